import { key } from "./shared.js";
import { Tally } from "./summary.js";
import type { Deps, TaskOptions, TaskSummary } from "./types.js";

/**
 * get_colla: save the aliases of the first source host to `collection_aliases` (snapshots do not contain them).
 * Pairs already in the file are not written again, so a nightly run does not grow the file.
 */
export async function run(_options: TaskOptions, deps: Deps): Promise<TaskSummary> {
  const { config, log, qdrant, state } = deps;
  const tally = new Tally("get_colla");
  const host = config.sourceHosts[0]!;
  const aliases = await qdrant.listAliases(host);
  const existing = new Set((await state.read("collectionAliases")).map((r) => key(r.collection, r.alias)));
  const fresh = aliases
    .map((a) => ({ collection: a.collection_name, alias: a.alias_name }))
    .filter((r) => {
      const k = key(r.collection, r.alias);
      if (existing.has(k)) {
        tally.add("skipped", r);
        return false;
      }
      existing.add(k);
      return true;
    });
  await state.appendMany("collectionAliases", fresh);
  for (const r of fresh) tally.add("done", r);
  log.info(`Fetched ${aliases.length} aliases from ${host}`);
  return tally.finish(`Aliases saved: ${tally.done} new, ${tally.skipped} already saved`);
}
