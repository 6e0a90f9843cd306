import { backUpSets } from "../backup/sets/create-sets.js";
import type { Deps, TaskOptions, TaskSummary } from "../backup/task/deps.js";

/**
 * create_snap_shards: one snapshot per logical shard on an Active replica (round-robin over the peers), each object
 * confirmed in the destination, then the collection's manifest `backup_manifests/{c}/{set_id}.json` last; a
 * collection that fails a precondition or a shard writes no manifest and counts as failed (exit 3).
 * `--dry-run` logs the plan and changes nothing.
 */
export async function run(options: TaskOptions, deps: Deps): Promise<TaskSummary> {
  const { summary } = await backUpSets(deps, { dryRun: options.dryRun === true });
  return summary;
}
