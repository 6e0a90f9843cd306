import { assertConfigured } from "../config.js";
import { mapPool } from "../lib/pool.js";
import { aliasDoneHost, aliasDoneStatus } from "../state/history.js";
import { planAliases } from "../backup/alias-dry-run.js";
import { saveAliases } from "../backup/save-aliases.js";
import { describeError, isDryRun, isFatal, key, settleAll } from "../backup/task/items.js";
import { Tally } from "../backup/task/tally.js";
import type { Deps, TaskOptions, TaskSummary } from "../backup/task/deps.js";

/**
 * recover_colla: create every saved alias on every restore host (the script sent them to the first source host).
 * `collection_aliases` is a log where an alias's last row wins, so only that row is applied; an alias moved and
 * moved back (blue/green) ends where the source had it. A host is done with an alias when its latest history row
 * `collection,alias,ok@host` names that collection. The script's plain `ok` rows are not trusted: it created those
 * aliases on the source host, so they are created again (create_alias is idempotent).
 * `--dry-run` (the run's state store then writes nothing) logs per host each alias it would create or switch, after
 * reading the host's aliases; nothing is created.
 */
export async function run(options: TaskOptions, deps: Deps): Promise<TaskSummary> {
  const { config, log, qdrant, state } = deps;
  assertConfigured(config, "recover_colla", ["restore"]);
  const tally = new Tally("recover_colla", deps.progress);
  if (await state.isEmpty("collectionAliases")) {
    assertConfigured(config, "recover_colla", ["source"]);
    log.info("collection_aliases file is empty; fetching the aliases first (get_colla)");
    const fetched = (await saveAliases(deps)).message;
    log.info(state.dryRun ? `[dry run] ${fetched} (in memory only)` : fetched);
  }
  const history = await state.read("aliasRecoveryHistory");
  if (history.some((r) => r.status === "ok")) {
    log.info(
      "alias_recovery_history has rows from the bash tool (which created aliases on the source host); they are recovered again",
    );
  }
  const doneOn = new Map<string, string>(); // (alias, host) → collection of the latest success
  for (const r of history) {
    const host = aliasDoneHost(r.status);
    if (host !== undefined) doneOn.set(key(r.alias, host), r.collection);
  }
  const target = new Map<string, string>(); // alias → collection of its last row
  for (const r of await state.read("collectionAliases")) target.set(r.alias, r.collection);
  if (isDryRun(options, deps)) {
    const planned = [...target].flatMap(([alias, collection]) =>
      config.restoreHosts.flatMap((host) => {
        if (doneOn.get(key(alias, host)) !== collection) return [{ host, alias, collection }];
        tally.add("skipped", { host, collection, alias });
        return [];
      }),
    );
    await planAliases(deps, tally, planned);
    return tally.finish(
      `[dry run] Aliases that would be recovered: ${tally.done}, already recovered: ${tally.skipped}; nothing changed`,
    );
  }

  await mapPool(
    [...target],
    config.concurrency,
    async ([alias, collection]) => {
      await settleAll(
        config.restoreHosts.map(async (host) => {
          if (doneOn.get(key(alias, host)) === collection) {
            tally.add("skipped", { host, collection, alias });
            return;
          }
          try {
            await qdrant.createAlias(host, collection, alias);
            await state.append("aliasRecoveryHistory", { collection, alias, status: aliasDoneStatus(host) });
            log.info(`Alias ${alias} -> ${collection} created on ${host}`);
            tally.add("done", { host, collection, alias });
          } catch (err) {
            if (isFatal(err)) throw err;
            log.error(`Alias ${alias} -> ${collection} on ${host} failed: ${describeError(err)}`);
            tally.add("failed", { host, collection, alias, error: describeError(err) });
          }
        }),
      );
    },
    deps.signal,
  );
  return tally.finish(`Aliases recovered: ${tally.done}, already recovered: ${tally.skipped}, failed: ${tally.failed}`);
}
