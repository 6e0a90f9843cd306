import { listStoreSnapshots } from "../backup/list-store-snapshots.js";
import type { Deps, TaskOptions, TaskSummary } from "../backup/task/deps.js";

/** get_snap_s3: `snapshots` built from the destination (backup/list-store-snapshots.ts). */
export function run(_options: TaskOptions, deps: Deps): Promise<TaskSummary> {
  return listStoreSnapshots(deps);
}
