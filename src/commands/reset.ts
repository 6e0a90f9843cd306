import { isDryRun } from "../backup/task/items.js";
import { Tally } from "../backup/task/tally.js";
import type { Deps, TaskOptions, TaskSummary } from "../backup/task/deps.js";

/**
 * reset: delete the state files, or with `--bkp true` rename each to `file-YYYY-MM-DD_HH-MM-SS.bkp`. With a state
 * mirror, its copies in the bucket go first (deleted, or copied to `.bkp` keys and deleted): were the local files
 * reset first and the bucket then failed, the next run would download the old state again.
 * `--dry-run` (the run's state store then writes nothing) logs each file and copy it would remove or rename.
 */
export async function run(options: TaskOptions, deps: Deps): Promise<TaskSummary> {
  const tally = new Tally("reset", deps.progress);
  const bkp = options.bkp === true;
  const dry = isDryRun(options, deps);
  const now = deps.clock();
  const remote = deps.stateMirror ? await deps.stateMirror.reset({ bkp, now }) : { removed: [], backedUp: [] };
  const local = await deps.state.reset({ bkp, now });
  const tag = dry ? "[dry run] " : "";
  for (const file of [...remote.removed, ...local.removed]) {
    if (dry) deps.log.info(`${tag}would remove ${file}`);
    tally.add("done", { file, action: dry ? "would remove" : "removed" });
  }
  for (const file of [...remote.backedUp, ...local.backedUp]) {
    if (dry) deps.log.info(`${tag}would keep a copy as ${file}`);
    tally.add("done", { file, action: dry ? "would back up" : "backed up" });
  }
  const mirrored = deps.stateMirror
    ? `; copies in ${deps.stateMirror.location}: ${bkp ? remote.backedUp.length : remote.removed.length}`
    : "";
  const changed = dry ? "; nothing changed" : "";
  return tally.finish(
    bkp
      ? `${tag}State files ${dry ? "that would be backed up" : "backed up"}: ${local.backedUp.length}${mirrored}${changed}`
      : `${tag}State files ${dry ? "that would be removed" : "removed"}: ${local.removed.length}${mirrored}${changed}`,
  );
}
