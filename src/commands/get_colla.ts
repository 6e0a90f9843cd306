import { saveAliases } from "../backup/save-aliases.js";
import type { Deps, TaskOptions, TaskSummary } from "../backup/task/deps.js";

/** get_colla: the source hosts' aliases saved to `collection_aliases` (backup/save-aliases.ts). */
export function run(_options: TaskOptions, deps: Deps): Promise<TaskSummary> {
  return saveAliases(deps);
}
