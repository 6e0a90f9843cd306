import { Tally } from "../backup/task/tally.js";
import type { Deps, TaskOptions, TaskSummary } from "../backup/task/deps.js";

/**
 * reset: delete the state files, or with `--bkp true` rename each to `file-YYYY-MM-DD_HH-MM-SS.bkp`. With a state
 * mirror, its copies in the bucket go first (deleted, or copied to `.bkp` keys and deleted): were the local files
 * reset first and the bucket then failed, the next run would download the old state again.
 */
export async function run(options: TaskOptions, deps: Deps): Promise<TaskSummary> {
  const tally = new Tally("reset", deps.progress);
  const bkp = options.bkp === true;
  const now = deps.clock();
  const remote = deps.stateMirror ? await deps.stateMirror.reset({ bkp, now }) : { removed: [], backedUp: [] };
  const local = await deps.state.reset({ bkp, now });
  for (const file of [...remote.removed, ...local.removed]) tally.add("done", { file, action: "removed" });
  for (const file of [...remote.backedUp, ...local.backedUp]) tally.add("done", { file, action: "backed up" });
  const mirrored = deps.stateMirror
    ? `; copies in ${deps.stateMirror.location}: ${bkp ? remote.backedUp.length : remote.removed.length}`
    : "";
  return tally.finish(
    bkp
      ? `State files backed up: ${local.backedUp.length}${mirrored}`
      : `State files removed: ${local.removed.length}${mirrored}`,
  );
}
