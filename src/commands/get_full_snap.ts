import { listFullSnapshots } from "../backup/list-full-snapshots.js";
import type { Deps, TaskOptions, TaskSummary } from "../backup/task/deps.js";

/** get_full_snap: `full_snapshots` listed from the source hosts (backup/list-full-snapshots.ts). */
export function run(_options: TaskOptions, deps: Deps): Promise<TaskSummary> {
  return listFullSnapshots(deps);
}
