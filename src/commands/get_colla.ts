import { key } from "./shared.js";
import { Tally } from "./summary.js";
import type { Deps, TaskOptions, TaskSummary } from "./types.js";

/**
 * get_colla: save the aliases of every source host to `collection_aliases` (snapshots do not contain them).
 * Pairs already in the file are not written again, so a nightly run does not grow the file; peers of one cluster
 * report the same aliases, which are saved once.
 */
export async function run(_options: TaskOptions, deps: Deps): Promise<TaskSummary> {
  const { config, log, qdrant, state } = deps;
  const tally = new Tally("get_colla");
  const lists = await Promise.all(config.sourceHosts.map((host) => qdrant.listAliases(host)));
  const existing = new Set((await state.read("collectionAliases")).map((r) => key(r.collection, r.alias)));
  const fresh: { collection: string; alias: string }[] = [];
  for (const a of lists.flat()) {
    const row = { collection: a.collection_name, alias: a.alias_name };
    const k = key(row.collection, row.alias);
    if (existing.has(k)) {
      tally.add("skipped", row);
      continue;
    }
    existing.add(k);
    fresh.push(row);
  }
  await state.appendMany("collectionAliases", fresh);
  for (const r of fresh) tally.add("done", r);
  log.info(`Fetched ${lists.flat().length} aliases from ${config.sourceHosts.join(", ")}`);
  return tally.finish(`Aliases saved: ${tally.done} new, ${tally.skipped} already saved`);
}
