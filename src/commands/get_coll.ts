import { fetchCollections } from "../backup/task/items.js";
import { Tally } from "../backup/task/tally.js";
import type { Deps, TaskOptions, TaskSummary } from "../backup/task/deps.js";

/** get_coll: list the collections of every source host into `collections`, unless the file has rows already. */
export async function run(_options: TaskOptions, deps: Deps): Promise<TaskSummary> {
  const tally = new Tally("get_coll", deps.progress);
  const existing = await deps.state.read("collections");
  if (existing.length > 0) {
    for (const r of existing) tally.add("skipped", { host: r.host, collection: r.collection });
    return tally.finish(
      `collections file already lists ${existing.length} collections; nothing fetched (run reset to start over)`,
    );
  }
  const rows = await fetchCollections(deps);
  for (const r of rows) tally.add("done", { host: r.host, collection: r.collection });
  return tally.finish(`Collections fetched: ${rows.length} from ${deps.config.sourceHosts.length} source hosts`);
}
