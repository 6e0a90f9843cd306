// recover_colla --dry-run: what each restore host would get, from its current aliases (read, never changed).
import { describeError, isFatal } from "./task/items.js";
import type { Deps } from "./task/deps.js";
import type { Tally } from "./task/tally.js";

/**
 * Logs and tallies, per restore host, each alias recover_colla would create (`create`), move from another collection
 * (`switch`) or find already in place (`in place`); `planned` holds the (host, alias, collection) not done yet. A host
 * whose aliases cannot be listed is planned as `create` with a warning.
 */
export async function planAliases(
  deps: Deps,
  tally: Tally,
  planned: readonly { host: string; alias: string; collection: string }[],
): Promise<void> {
  const current = new Map<string, Promise<Map<string, string> | undefined>>();
  const aliasesOf = (host: string) => {
    let found = current.get(host);
    if (!found) {
      found = deps.qdrant.listAliases(host).then(
        (list) => new Map(list.map((a) => [a.alias_name, a.collection_name] as const)),
        (err: unknown) => {
          if (isFatal(err)) throw err;
          deps.log.warn(`[dry run] cannot list the aliases of ${host}: ${describeError(err)}`);
          return undefined;
        },
      );
      current.set(host, found);
    }
    return found;
  };
  for (const { host, alias, collection } of planned) {
    const now = (await aliasesOf(host))?.get(alias);
    const action = now === collection ? "in place" : now === undefined ? "create" : "switch";
    const what =
      action === "switch"
        ? `would switch alias ${alias} from ${now} to ${collection}`
        : action === "create"
          ? `would create alias ${alias} -> ${collection}`
          : `alias ${alias} -> ${collection} is in place; would record it`;
    deps.log.info(`[dry run] ${host}: ${what}`);
    tally.add("done", { host, collection, alias, action });
  }
}
