import { backUpSets } from "../backup/sets/create-sets.js";
import { pruneSets } from "../backup/sets/prune-sets.js";
import { withPruneReport } from "../backup/sets/prune-report.js";
import type { Deps, TaskOptions, TaskSummary } from "../backup/task/deps.js";

/**
 * create_snap_shards: one snapshot per logical shard on an Active replica (spread over the peers), each object
 * confirmed in the destination, then the collection's manifest `backup_manifests/{c}/{set_id}.json` last; a
 * collection that fails a precondition or a shard writes no manifest and counts as failed (exit 3).
 * Then retention of sets for the collections that succeeded, as the bash tool does (skipped with
 * QDRANT_BACKUP_RETENTION_SETS=0); it deletes (no --confirm needed), and its failures count in the exit code.
 * `--dry-run` logs the plan and changes nothing.
 */
export async function run(options: TaskOptions, deps: Deps): Promise<TaskSummary> {
  const { summary, succeeded } = await backUpSets(deps, { dryRun: options.dryRun === true });
  if (succeeded.length === 0) return summary;
  return withPruneReport(summary, await pruneSets(deps, succeeded, { remove: true, trigger: "after-backup" }));
}
