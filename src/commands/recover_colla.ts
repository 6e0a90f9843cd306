import { assertConfigured } from "../config.js";
import { mapPool } from "../lib/pool.js";
import { run as getColla } from "./get_colla.js";
import { describeError, isFatal, key, settleAll } from "./shared.js";
import { Tally } from "./summary.js";
import type { Deps, TaskOptions, TaskSummary } from "./types.js";

/** Status written to alias_recovery_history: `ok@<restore host>`, so each restore host resumes on its own. */
export function aliasDoneStatus(host: string): string {
  return `ok@${host}`;
}

/**
 * recover_colla: create every alias of `collection_aliases` on every restore host (the script sent them to the
 * first source host). Rows for the same alias are applied in file order, so a re-pointed alias ends where it was last.
 * History rows are `collection,alias,ok@host`; the script's plain `ok` rows are not trusted, because the script
 * created those aliases on the source host, so such aliases are created again (create_alias is idempotent).
 */
export async function run(options: TaskOptions, deps: Deps): Promise<TaskSummary> {
  const { config, log, qdrant, state } = deps;
  assertConfigured(config, "recover_colla", ["restore"]);
  const tally = new Tally("recover_colla");
  if (await state.isEmpty("collectionAliases")) {
    assertConfigured(config, "recover_colla", ["source"]);
    log.info("collection_aliases file is empty; fetching the aliases first (get_colla)");
    log.info((await getColla(options, deps)).message);
  }
  const history = await state.read("aliasRecoveryHistory");
  if (history.some((r) => r.status === "ok")) {
    log.info("alias_recovery_history has rows from the bash tool (which created aliases on the source host); they are recovered again");
  }
  const done = new Set(history.map((r) => key(r.collection, r.alias, r.status)));
  const byAlias = new Map<string, { collection: string; alias: string }[]>();
  for (const row of await state.read("collectionAliases")) {
    byAlias.set(row.alias, [...(byAlias.get(row.alias) ?? []), row]);
  }

  await mapPool([...byAlias.values()], config.concurrency, async (rows) => {
    for (const { collection, alias } of rows) {
      await settleAll(
        config.restoreHosts.map(async (host) => {
          const status = aliasDoneStatus(host);
          if (done.has(key(collection, alias, status))) {
            tally.add("skipped", { host, collection, alias });
            return;
          }
          try {
            await qdrant.createAlias(host, collection, alias);
            await state.append("aliasRecoveryHistory", { collection, alias, status });
            done.add(key(collection, alias, status));
            log.info(`Alias ${alias} -> ${collection} created on ${host}`);
            tally.add("done", { host, collection, alias });
          } catch (err) {
            if (isFatal(err)) throw err;
            log.error(`Alias ${alias} -> ${collection} on ${host} failed: ${describeError(err)}`);
            tally.add("failed", { host, collection, alias, error: describeError(err) });
          }
        }),
      );
    }
  }, deps.signal);
  return tally.finish(`Aliases recovered: ${tally.done}, already recovered: ${tally.skipped}, failed: ${tally.failed}`);
}
