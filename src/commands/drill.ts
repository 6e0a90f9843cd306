import { assertConfigured } from "../config.js";
import { ConfigError, EXIT, ToolError } from "../errors.js";
import { backedUpCollections } from "../backup/drill/choose.js";
import { itemOf, reportLine } from "../backup/drill/evidence.js";
import { runDrill } from "../backup/drill/run-drill.js";
import { Tally } from "../backup/task/tally.js";
import type { Deps, TaskOptions, TaskSummary } from "../backup/task/deps.js";

/**
 * drill: the restore drill. The newest backup of `--collection NAME` (or of every backed-up collection, `--all`) is
 * restored onto the restore hosts under a scratch name, verified exactly as a restore verifies it, and removed
 * again; one report line and one drill_history row of evidence per drill (backup/drill/). Exit 3 when any failed.
 */
export async function run(options: TaskOptions, deps: Deps): Promise<TaskSummary> {
  assertConfigured(deps.config, "drill", ["restore", "destination"]);
  if (options.all === true && options.collection !== undefined)
    throw new ConfigError("drill: --collection and --all exclude each other; give one of them");
  if (options.all !== true && options.collection === undefined)
    throw new ConfigError(
      "drill: name what to drill: --collection NAME for one collection, or --all for every collection with a backup",
    );
  const collections = options.all === true ? await backedUpCollections(deps) : [options.collection!];
  if (collections.length === 0)
    throw new ToolError(`drill --all: ${deps.store().location} holds no backup of any collection`, EXIT.partial);
  const { evidence, leftovers } = await runDrill(deps, collections);
  const tally = new Tally("drill");
  for (const e of evidence) tally.add(e.passed ? "done" : "failed", itemOf(e));
  const summary = tally.finish(
    `drill: ${tally.done} passed, ${tally.failed} failed${leftovers.length > 0 ? `, ${leftovers.length} leftover scratch collection(s) handled` : ""}`,
  );
  return { ...summary, report: [...leftovers, ...evidence.map(reportLine)] };
}
