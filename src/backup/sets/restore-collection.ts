/**
 * One collection's restore from a set, start to verdict, under its lock on the target (restore-lock.ts): the set
 * (restore-select.ts), the version and capacity gates, the state gate with the create (restore-gates.ts), placement and shard recovery (restore-target.ts,
 * restore-shards.ts), aliases (restore-aliases.ts) and verification (restore-verify.ts). Every failure stays inside
 * the collection and becomes its verdict line; only fatal errors (an interrupt, a refused key, a state file that
 * cannot be written) go up.
 */
import { describeError, isFatal } from "../task/items.js";
import type { Deps } from "../task/deps.js";
import { SetRejected } from "./restore-preflight.js";
import { capacityGate, stateGate, versionGate } from "./restore-gates.js";
import { selectSet } from "./restore-select.js";
import { recoverShards } from "./restore-shards.js";
import { isResumable, recordStarted } from "./restore-state.js";
import { placeShards, type Target } from "./restore-target.js";
import { restoreAliases } from "./restore-aliases.js";
import { verifyRestore } from "./restore-verify.js";
import { lockRestore, type RestoreLock } from "./restore-lock.js";

export interface CollectionVerdict {
  collection: string;
  set: string | undefined;
  verified: boolean;
  /** `restore of C from set S VERIFIED (…)` or `… FAILED: …`. */
  line: string;
  /** The point count the set's manifest allows (`N` or `MIN to MAX`), once verification read it. */
  expected?: string;
  /** The point count found on the target, once verification counted it. */
  found?: number;
}

export async function restoreCollection(
  deps: Deps,
  target: Target,
  targetVersion: string,
  collection: string,
  /** --as: the name the collection gets on the target (its aliases are then left alone). */
  as?: string,
): Promise<CollectionVerdict> {
  const name = as ?? collection;
  let set: string | undefined;
  let counts: Pick<CollectionVerdict, "expected" | "found"> = {};
  const failed = (why: string): CollectionVerdict => ({
    collection,
    set,
    ...counts,
    verified: false,
    line: `restore of ${collection}${as ? ` as ${as}` : ""}${set ? ` from set ${set}` : ""} FAILED: ${why}`,
  });
  let lock: RestoreLock | undefined;
  try {
    lock = await lockRestore(deps, target, name);
    const checked = await selectSet(deps, target.host, collection, name);
    // The target's view of the set: its collection under the name it gets there (the objects stay where they are).
    const m = as === undefined ? checked.manifest : { ...checked.manifest, collection: name };
    set = m.backup_set_id;
    versionGate(deps, m, targetVersion);
    capacityGate(deps, m, target.peerCount);
    const resumable = await isResumable(deps, target.host, name, set);
    const state = await stateGate(deps, target.host, target.host, m, resumable);
    const done = state === "resumed" && !deps.config.restore.force ? checked.done : new Set<number>();
    // From here on the collection is this restore's: a run killed at any later point is resumed, never refused.
    await recordStarted(deps, target.host, name, set);
    const placement = await placeShards(deps, target, m);
    const shards = await recoverShards(deps, target.host, m, placement, done);
    if (shards.failures.length > 0)
      return failed(
        `${shards.failures.length} shard(s) not recovered (${shards.failures.join("; ")}); run it again to resume`,
      );
    const aliasFailures = as === undefined ? await restoreAliases(deps, target.host, m) : [];
    const verdict = await verifyRestore(deps, target.host, target.peerCount, m);
    counts = {
      ...(verdict.expected !== undefined ? { expected: verdict.expected } : {}),
      ...(verdict.count !== undefined ? { found: verdict.count } : {}),
    };
    const lost = lock.lost();
    const problems = [...verdict.failures, ...aliasFailures, ...(lost ? [`the restore lock was lost: ${lost}`] : [])];
    if (problems.length > 0) return failed(problems.join("; "));
    const resumed = shards.skipped > 0 ? `, ${shards.skipped} resumed` : "";
    return {
      collection,
      set,
      ...counts,
      verified: true,
      line: `restore of ${collection}${as ? ` as ${as}` : ""} from set ${set} VERIFIED (${verdict.count ?? "?"} points, ${m.shard_count} shard(s): ${shards.recovered} recovered${resumed}, ${as ? "aliases untouched" : `${m.aliases.length} alias(es)`}, green, replicas Active, payloads and vectors read back)`,
    };
  } catch (err) {
    if (isFatal(err) || deps.signal.aborted) throw err;
    return failed(err instanceof SetRejected ? err.message : describeError(err));
  } finally {
    await lock?.release();
  }
}
