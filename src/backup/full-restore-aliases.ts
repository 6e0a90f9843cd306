// The aliases of a full-storage snapshot, created on one restore host once its collections are restored (full-restore.ts).
import { aliasDoneHost, aliasDoneStatus } from "../state/history.js";
import type { FullSnapshotConfig } from "./full-archive.js";
import type { Deps } from "./task/deps.js";
import { describeError, isFatal, key } from "./task/items.js";
import type { Tally } from "./task/tally.js";

/** How each collection of the archive came out on the host. */
export type Outcome = "ok" | "accepted" | "failed";

/**
 * Creates the archive's aliases (`config.aliases`) whose collection is restored on `host` (`outcomes` ok), skipping
 * those an earlier run recorded; each is recorded in alias_recovery_history and tallied.
 * @returns true when every alias is created
 */
export async function createArchiveAliases(
  deps: Pick<Deps, "log" | "qdrant" | "state">,
  tally: Tally,
  where: { archiveId: string; host: string },
  config: FullSnapshotConfig,
  outcomes: ReadonlyMap<string, Outcome>,
): Promise<boolean> {
  const { log, qdrant, state } = deps;
  const { host } = where;
  let allOk = true;
  // Aliases an earlier run recorded created on this host (pointing to the same collection) are not created again.
  const doneOn = new Set<string>();
  for (const r of await state.read("aliasRecoveryHistory"))
    if (aliasDoneHost(r.status) === host) doneOn.add(key(r.alias, r.collection));
  for (const [alias, collection] of [...config.aliases].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const item = { host, snapshot: where.archiveId, collection, alias, kind: "alias" };
    const outcome = outcomes.get(collection);
    if (outcome === "ok" && doneOn.has(key(alias, collection))) {
      tally.add("skipped", item);
      continue;
    }
    if (outcome !== "ok") {
      allOk = false;
      if (outcome === "accepted") {
        log.info(
          `Alias ${alias} -> ${collection} on ${host} waits until ${collection} is recovered (wait=false); run again`,
        );
        tally.add("skipped", item);
      } else {
        log.error(`Alias ${alias} -> ${collection} not created on ${host}: ${collection} was not restored`);
        tally.add("failed", { ...item, error: `${collection} was not restored` });
      }
      continue;
    }
    try {
      await qdrant.createAlias(host, collection, alias);
    } catch (err) {
      if (isFatal(err)) throw err;
      allOk = false;
      log.error(`Alias ${alias} -> ${collection} on ${host} failed: ${describeError(err)}`);
      tally.add("failed", { ...item, error: describeError(err) });
      continue;
    }
    await state.append("aliasRecoveryHistory", { collection, alias, status: aliasDoneStatus(host) });
    log.info(`Alias ${alias} -> ${collection} created on ${host}`);
    tally.add("done", item);
  }
  return allOk;
}
