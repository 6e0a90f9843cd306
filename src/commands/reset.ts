import { Tally } from "./summary.js";
import type { Deps, TaskOptions, TaskSummary } from "./types.js";

/** reset: delete the state files, or with `--bkp true` rename each to `file-YYYY-MM-DD_HH-MM-SS.bkp`. */
export async function run(options: TaskOptions, deps: Deps): Promise<TaskSummary> {
  const tally = new Tally("reset");
  const result = await deps.state.reset({ bkp: options.bkp === true, now: deps.clock() });
  for (const file of result.removed) tally.add("done", { file, action: "removed" });
  for (const file of result.backedUp) tally.add("done", { file, action: "backed up" });
  return tally.finish(
    options.bkp ? `State files backed up: ${result.backedUp.length}` : `State files removed: ${result.removed.length}`,
  );
}
