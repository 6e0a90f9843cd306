// get_colla's listing of the source hosts' aliases into `collection_aliases`, which recover_colla also runs when that
// file is empty.
import { formatCsvRow } from "../state/csv.js";
import { Tally } from "./task/tally.js";
import type { Deps, TaskSummary } from "./task/deps.js";

/**
 * get_colla: saves the aliases of every source host to `collection_aliases` (snapshots do not contain them).
 * The file is a log read in order, where an alias's last row wins. A row is appended only when the alias's last row
 * does not already name its current collection: a nightly run does not grow the file, an alias moved (or moved
 * back, blue/green) gets a new row, and peers of one cluster, which report the same aliases, add it once.
 * The latest listing decides: when an alias in the file is gone from every source host, the file is replaced
 * (atomically) by the current listing, in the same `collection,alias` rows, so recover_colla never recreates it.
 */
export async function saveAliases(deps: Deps): Promise<TaskSummary> {
  const { config, log, qdrant, state } = deps;
  const tally = new Tally("get_colla", deps.progress);
  const lists = await Promise.all(config.sourceHosts.map((host) => qdrant.listAliases(host)));
  const latest = new Map<string, string>();
  for (const r of await state.read("collectionAliases")) latest.set(r.alias, r.collection);
  // Independent sources may both define an alias; the first source host that has it decides (and we say so).
  const current = new Map<string, string>();
  lists.forEach((aliases, i) => {
    for (const a of aliases) {
      const seen = current.get(a.alias_name);
      if (seen === undefined) current.set(a.alias_name, a.collection_name);
      else if (seen === a.collection_name) tally.add("skipped", { collection: seen, alias: a.alias_name });
      else {
        log.warn(
          `Alias ${a.alias_name} points to ${seen} on an earlier source host but to ${a.collection_name} on ${config.sourceHosts[i]}; keeping ${seen}`,
        );
      }
    }
  });
  const fresh: { collection: string; alias: string }[] = [];
  for (const [alias, collection] of current) {
    const row = { collection, alias };
    if (latest.get(row.alias) === row.collection) {
      tally.add("skipped", row);
      continue;
    }
    latest.set(row.alias, row.collection);
    fresh.push(row);
  }
  const removed = [...latest.keys()].filter((alias) => !current.has(alias));
  if (removed.length > 0) {
    // The file cannot say "removed" in the bash tool's two columns: it is rewritten as the listing instead.
    log.info(`Aliases removed at the source since the last listing (no longer restored): ${removed.sort().join(", ")}`);
    const rows = [...current].map(([alias, collection]) => formatCsvRow([collection, alias])).join("");
    await state.replace("collectionAliases", Buffer.from(rows, "utf8"));
  } else {
    await state.appendMany("collectionAliases", fresh);
  }
  for (const r of fresh) tally.add("done", r);
  log.info(`Fetched ${lists.flat().length} aliases from ${config.sourceHosts.join(", ")}`);
  return tally.finish(
    `Aliases saved: ${tally.done} new, ${tally.skipped} already saved${removed.length > 0 ? `, ${removed.length} removed at the source` : ""}`,
  );
}
