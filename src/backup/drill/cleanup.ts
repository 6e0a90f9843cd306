/**
 * Removing a drill's scratch collection, whatever became of the drill: verified, failed, or interrupted (the run's
 * signal fired). The calls go through the Qdrant client under a signal of their own, bounded by
 * CLEANUP_DEADLINE_MS, so an interrupted drill still removes what it made; only a second signal (exit now) or the
 * deadline leaves it, for the next drill (leftovers.ts). Only the scratch is touched: its own snapshots on the node
 * (an upload leaves one there), the collection, and a set restore's resume state kept under its name.
 */
import { QdrantError } from "../../qdrant/errors.js";
import { purgeTarget } from "../sets/restore-state.js";
import { describeError } from "../task/items.js";
import type { Deps } from "../task/deps.js";

/** How long removing a scratch may take in all, interrupted or not. */
export const CLEANUP_DEADLINE_MS = 60_000;

export interface Cleanup {
  seconds: number;
  /** What could not be removed (the drill then fails: a scratch left behind is for the operator to know). */
  problems: string[];
}

/**
 * Deletes `scratch` on each of `hosts` (its snapshots first); with `stateTarget`, purges the shard_recovery_history
 * lines and `restore_state/{scratch}/` copies of that target (a set restore's), unless the run was interrupted.
 */
export async function removeScratch(
  deps: Pick<Deps, "qdrant" | "log" | "state" | "store" | "signal">,
  hosts: readonly string[],
  scratch: string,
  stateTarget?: string,
): Promise<Cleanup> {
  const started = performance.now();
  const qdrant = deps.qdrant.withSignal(AbortSignal.timeout(CLEANUP_DEADLINE_MS));
  const problems: string[] = [];
  for (const host of hosts) {
    try {
      for (const s of await qdrant.listSnapshots(host, scratch))
        await qdrant.deleteSnapshot(host, { kind: "collection", collection: scratch, name: s.name }, true);
    } catch (err) {
      if (!(err instanceof QdrantError && err.status === 404))
        deps.log.warn(`drill: the snapshots of ${scratch} on ${host} were not removed: ${describeError(err)}`);
    }
    try {
      if (await qdrant.deleteCollection(host, scratch)) deps.log.info(`drill: removed ${scratch} on ${host}`);
    } catch (err) {
      problems.push(`${scratch} on ${host} was NOT removed (${describeError(err)}): the next drill removes it`);
    }
  }
  if (stateTarget !== undefined && !deps.signal.aborted)
    await purgeTarget(deps, stateTarget, scratch).catch((err: unknown) =>
      deps.log.warn(`drill: the resume state of ${scratch} was not purged: ${describeError(err)}`),
    );
  return { seconds: (performance.now() - started) / 1000, problems };
}
