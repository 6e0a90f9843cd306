/**
 * Retention of backup sets over several collections: the automatic pass after create_snap_shards (for the
 * collections that backed up, `remove: true`) and prune_snap (every collection; a dry run unless --confirm).
 * Collections are pruned in parallel (QDRANT_CONCURRENCY); a failure stays inside its collection.
 */
import { InterruptedError } from "../../errors.js";
import { mapPool } from "../../lib/pool.js";
import type { Deps } from "../task/deps.js";
import { pruneCollectionSets } from "./prune-collection-sets.js";
import { PruneItems, type PruneReport } from "./prune-report.js";
import { describeSetsPolicy, setsPolicyOf, type PruneTrigger } from "./set-retention.js";

export interface PruneSetsOptions {
  /** Delete (the automatic pass; prune_snap --confirm), or only report what would go. */
  readonly remove: boolean;
  /** "after-backup": QDRANT_BACKUP_RETENTION_SETS=0 skips the pass; "prune_snap": 0 keeps 1. */
  readonly trigger: PruneTrigger;
  /** prune_snap --force: GFS may delete more than QDRANT_PRUNE_MAX_DELETE_PCT of a collection's sets. */
  readonly force?: boolean;
  /** The sweep's "now" (default deps.clock()). */
  readonly now?: Date;
}

/** Below this, the grace period may sweep the shards of a backup still running (the bash tool warns too). */
const SHORT_GRACE_SECONDS = 3600;

/**
 * Prunes the sets of `collections` in the destination (deps.store()): per collection, the sets the policy condemns
 * (QDRANT_BACKUP_RETENTION_SETS by count, else QDRANT_KEEP_* by set time), manifest first, then the orphan sweep.
 * Never throws for one collection's failure (those are failed items); throws on an interrupt or a state file error.
 * @returns every decision as items, the counts and a summary line; failed > 0 means the pass should exit 3
 */
export async function pruneSets(
  deps: Deps,
  collections: readonly string[],
  opts: PruneSetsOptions,
): Promise<PruneReport> {
  const { config, log } = deps;
  const out = new PruneItems();
  const policy = setsPolicyOf(config, opts.trigger, opts.force === true);
  if (policy === undefined) {
    log.info("QDRANT_BACKUP_RETENTION_SETS=0: no automatic prune of sets after the backup");
    return out.report("Sets: no automatic prune (QDRANT_BACKUP_RETENTION_SETS=0)");
  }
  if (collections.length === 0) return out.report("Sets: no collections");
  const store = deps.store();
  const { sweepGraceSeconds: grace, sweepDeleteCapPct: cap } = config.sets;
  if (grace < SHORT_GRACE_SECONDS) {
    log.warn(
      `QDRANT_SWEEP_GRACE_SECONDS=${grace} is under ${SHORT_GRACE_SECONDS}: the sweep may delete the shard snapshots ` +
        `of a backup still running; 172800 (two days) is the default`,
    );
  }
  if (config.sets.retentionSets === 0 && opts.trigger === "prune_snap")
    log.info("QDRANT_BACKUP_RETENTION_SETS=0 keeps 1 set in a manual prune_snap (the newest is never deleted)");
  log.info(
    `${opts.remove ? "Pruning sets" : "Dry run for sets (nothing is deleted; --confirm deletes)"}: ` +
      `${describeSetsPolicy(policy)}; sweep unreferenced shard objects older than ${grace} s, at most ${cap}% ` +
      `of a collection's; ${collections.length} ${collections.length === 1 ? "collection" : "collections"} in ${store.location}`,
  );
  const now = opts.now ?? deps.clock();
  await mapPool(
    [...new Set(collections)],
    config.concurrency,
    async (collection) => {
      if (deps.signal.aborted) throw new InterruptedError();
      await pruneCollectionSets(deps, store, collection, { policy, remove: opts.remove, now }, out);
    },
    deps.signal,
  );
  return out.report(summarize(out, opts.remove));
}

function summarize(out: PruneItems, remove: boolean): string {
  const sets = `${out.deleted} ${out.deleted === 1 ? "set" : "sets"}`;
  const objects = `${out.swept} orphaned shard ${out.swept === 1 ? "object" : "objects"}`;
  const failed = out.failed > 0 ? `, ${out.failed} failed` : "";
  return remove
    ? `Sets: deleted ${sets}, swept ${objects}${failed}`
    : `Sets (dry run): ${sets} would be deleted, ${objects} would be swept${failed}`;
}
