/**
 * The gates before a set's restore changes anything on the target (the bash tool's order and rules):
 * - version: the target runs the backup's minor version or the next one (QDRANT_SKIP_VERSION_CHECK=true overrides;
 *   an unknown or unparseable version blocks);
 * - capacity: a write_consistency_factor above the number of peers could never acknowledge a write (refused); a
 *   replication factor above it only warns;
 * - state: an absent collection is created from the manifest; an empty or resumable one with the same shard number
 *   and vectors is restored into as it is (even under FORCE: resume beats FORCE); one holding data, or configured
 *   otherwise, is refused unless QDRANT_RESTORE_FORCE=true, which deletes and recreates it.
 */
import { QdrantError } from "../../qdrant/errors.js";
import { describeError } from "../task/items.js";
import type { Deps } from "../task/deps.js";
import type { Manifest } from "./manifest.js";
import { createBody, createPayloadIndexes, paramsOf } from "./restore-create.js";
import { SetRejected } from "./restore-preflight.js";
import { purgeTarget } from "./restore-state.js";
import { sameJson } from "../../lib/same-json.js";

type GateDeps = Pick<Deps, "qdrant" | "log" | "config" | "state" | "store">;

const minorOf = (v: string): [number, number] | undefined => {
  const m = /^v?(\d+)\.(\d+)(?:\.|$|-)/.exec(v.trim());
  return m ? [Number(m[1]), Number(m[2])] : undefined;
};

/** The version gate; `targetVersion` is GET / on the target, or "unknown". */
export function versionGate(deps: Pick<Deps, "log" | "config">, m: Manifest, targetVersion: string): void {
  const from = minorOf(m.qdrant_version);
  const to = minorOf(targetVersion);
  const what = `set ${m.backup_set_id} of ${m.collection} was taken on Qdrant ${m.qdrant_version}, the target runs ${targetVersion}`;
  if (deps.config.restore.skipVersionCheck) {
    deps.log.warn(`WARNING: ${what}; not checked (QDRANT_SKIP_VERSION_CHECK=true)`);
    return;
  }
  if (from && to && from[0] === to[0] && from[1] === to[1]) return;
  if (from && to && from[0] === to[0] && to[1] === from[1] + 1) {
    deps.log.warn(`WARNING: ${what} (the next minor version: supported)`);
    return;
  }
  throw new SetRejected(
    `${what}: Qdrant restores snapshots onto the same or the next minor version only (QDRANT_SKIP_VERSION_CHECK=true to try anyway)`,
    false,
  );
}

/** The capacity gate against the target's peer count. */
export function capacityGate(deps: Pick<Deps, "log">, m: Manifest, peers: number): void {
  const params = paramsOf(m);
  const wcf = Number(params["write_consistency_factor"] ?? 1);
  const rf = Number(params["replication_factor"] ?? 1);
  if (wcf > peers)
    throw new SetRejected(
      `${m.collection}: write_consistency_factor ${wcf} exceeds the target's ${peers} peer(s): no write could ever be acknowledged`,
      false,
    );
  if (rf > peers)
    deps.log.warn(
      `WARNING: ${m.collection}: replication_factor ${rf} exceeds the target's ${peers} peer(s); each shard gets ${peers} replica(s)`,
    );
}

/** The state gate, then the collection created when needed (with its payload indexes). */
export async function stateGate(
  deps: GateDeps,
  host: string,
  target: string,
  m: Manifest,
  resumable: boolean,
): Promise<"created" | "resumed" | "recreated"> {
  const c = m.collection;
  let config: Record<string, unknown> | undefined;
  try {
    config = (await deps.qdrant.getCollection(host, c)).config ?? {};
  } catch (err) {
    if (!(err instanceof QdrantError) || err.status !== 404) throw err;
  }
  let outcome: "created" | "recreated" = "created";
  if (config !== undefined) {
    const points = await deps.qdrant.countPoints(host, c);
    const params = (config["params"] ?? {}) as Record<string, unknown>;
    const want = paramsOf(m);
    const compatible =
      params["shard_number"] != null &&
      params["shard_number"] === want["shard_number"] &&
      sameJson(params["vectors"], want["vectors"]);
    if ((points === 0 || resumable) && compatible) {
      deps.log.info(
        `${c} exists on the target ${resumable ? "(resuming an earlier restore)" : "and is empty"}: restoring into it`,
      );
      return "resumed";
    }
    const why = compatible ? `holds ${points} points` : "has another shard number or vectors config";
    if (!deps.config.restore.force)
      throw new SetRejected(
        `${c} on the target ${why}: refusing to overwrite it (QDRANT_RESTORE_FORCE=true deletes and recreates it)`,
        false,
      );
    deps.log.warn(`WARNING: ${c} on the target ${why}: deleting it (QDRANT_RESTORE_FORCE=true)`);
    await deps.qdrant.deleteCollection(host, c);
    outcome = "recreated";
  }
  await purgeTarget(deps, target, c);
  await deps.qdrant.createCollection(host, c, createBody(m));
  const failed = await createPayloadIndexes(deps, host, m).catch((err: unknown) => {
    deps.log.warn(`WARNING: payload indexes of ${c}: ${describeError(err)}`);
    return 1;
  });
  deps.log.info(
    `${c} ${outcome} on the target from the manifest${failed ? ` (${failed} payload index(es) failed)` : ""}`,
  );
  return outcome;
}
