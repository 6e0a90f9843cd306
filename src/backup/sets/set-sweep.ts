/**
 * The orphan sweep of one collection: objects under `snapshots/{c}/shards/` that no remaining manifest references
 * (a failed shard retry, a backup killed before its manifest, a set deleted half-way) are deleted once older than
 * QDRANT_SWEEP_GRACE_SECONDS, so that a backup writing its shards right now is never swept. A `.checksum` whose
 * snapshot is referenced counts as referenced. A sweep that would delete more than QDRANT_SWEEP_DELETE_CAP_PCT of
 * the collection's shard objects deletes nothing: so many orphans mean something is wrong (manifests missing from
 * the listing, a foreign writer), not garbage. The caller never sweeps without a readable manifest.
 */
import { InterruptedError } from "../../errors.js";
import type { SnapshotStore, StoredObject } from "../../store/types.js";
import { describeError } from "../task/items.js";
import type { Deps } from "../task/deps.js";
import { refusalOf } from "./set-delete.js";

export interface SweepPlan {
  /** Unreferenced and older than the grace period, oldest first (empty when refused). */
  readonly eligible: readonly StoredObject[];
  /** Unreferenced but younger than the grace period (or of unknown age): kept. */
  readonly young: number;
  /** Every object listed under the collection's `shards/`. */
  readonly total: number;
  /** Why nothing is swept although objects are eligible (the cap). */
  readonly refused: string | undefined;
}

/** True when `key` is referenced: named by a manifest, or the `.checksum` of an object that is. */
export function isReferenced(key: string, referenced: ReadonlySet<string>): boolean {
  return referenced.has(key) || (key.endsWith(".checksum") && referenced.has(key.slice(0, -".checksum".length)));
}

/**
 * Plans the sweep of `objects` (the collection's `shards/` listing) against the keys the remaining manifests name.
 * @param graceSeconds an object is eligible when `now − lastModified` is greater than this
 * @param capPct at most this percentage of `objects` may go, else nothing does
 */
export function planSweep(
  collection: string,
  objects: readonly StoredObject[],
  referenced: ReadonlySet<string>,
  now: Date,
  graceSeconds: number,
  capPct: number,
): SweepPlan {
  const orphans = objects.filter((o) => !isReferenced(o.key, referenced) && refusalOf(collection, o.key) === undefined);
  const isOld = (o: StoredObject) => {
    const age = now.getTime() - o.lastModified.getTime();
    return Number.isFinite(age) && age > graceSeconds * 1000;
  };
  const eligible = orphans.filter(isOld).sort((a, b) => a.lastModified.getTime() - b.lastModified.getTime());
  const young = orphans.length - eligible.length;
  const total = objects.length;
  if (eligible.length * 100 > total * capPct) {
    const pct = Math.round((eligible.length * 100) / total);
    return {
      eligible: [],
      young,
      total,
      refused:
        `${eligible.length} of ${total} shard objects (${pct}%) are referenced by no manifest and older than ` +
        `QDRANT_SWEEP_GRACE_SECONDS=${graceSeconds}: more than QDRANT_SWEEP_DELETE_CAP_PCT=${capPct}%, so the sweep ` +
        `deletes none of them; check that no manifest is missing, then raise the cap for one run`,
    };
  }
  return { eligible, young, total, refused: undefined };
}

/**
 * Deletes the eligible objects of `plan`, each appended to `pruned_snapshots`. A failed deletion is reported and
 * the sweep goes on (the object is swept again next time).
 * @returns the keys deleted and the failures, one line each
 */
export async function runSweep(
  deps: Deps,
  store: SnapshotStore,
  plan: SweepPlan,
): Promise<{ deleted: string[]; errors: string[] }> {
  const deleted: string[] = [];
  const errors: string[] = [];
  for (const o of plan.eligible) {
    if (deps.signal.aborted) throw new InterruptedError();
    try {
      await store.delete(o.key);
    } catch (err) {
      if (err instanceof InterruptedError) throw err;
      errors.push(`cannot sweep ${o.key}: ${describeError(err)}`);
      continue;
    }
    deleted.push(o.key);
    await deps.state.append("prunedSnapshots", {
      location: store.location,
      key: o.key,
      deleted_at: deps.clock().toISOString(),
    });
  }
  return { deleted, errors };
}
