/**
 * The aliases of a set's manifest, created on the target after its shards. The guard: an alias that belongs to
 * another collection which still exists is never taken from it unless QDRANT_RESTORE_FORCE=true (it is refused and
 * the collection's restore fails, after its verification). When GET /aliases fails, the guard cannot look and is
 * skipped with a warning, as in the bash tool.
 */
import { describeError, isFatal } from "../task/items.js";
import type { Deps } from "../task/deps.js";
import type { Manifest } from "./manifest.js";

/** Creates the manifest's aliases on `host`; returns one line per alias that failed or was refused. */
export async function restoreAliases(deps: Pick<Deps, "qdrant" | "log" | "config">, host: string, m: Manifest) {
  const failures: string[] = [];
  if (m.aliases.length === 0) return failures;
  let owners: Map<string, string> | undefined;
  let live: Set<string> | undefined;
  try {
    owners = new Map((await deps.qdrant.listAliases(host)).map((a) => [a.alias_name, a.collection_name]));
    live = new Set(await deps.qdrant.listCollections(host));
  } catch (err) {
    if (isFatal(err)) throw err;
    deps.log.warn(
      `WARNING: GET /aliases on ${host} failed (${describeError(err)}); aliases are created without the guard`,
    );
  }
  for (const alias of m.aliases) {
    const owner = owners?.get(alias);
    if (owner === m.collection) continue;
    if (owner !== undefined && live?.has(owner) && !deps.config.restore.force) {
      failures.push(
        `alias ${alias} points at the live collection ${owner}: not repointed (QDRANT_RESTORE_FORCE=true does)`,
      );
      deps.log.error(`${m.collection}: ${failures.at(-1)}`);
      continue;
    }
    try {
      await deps.qdrant.createAlias(host, m.collection, alias);
      deps.log.info(`${m.collection}: alias ${alias} created${owner ? ` (taken from ${owner})` : ""}`);
    } catch (err) {
      if (isFatal(err)) throw err;
      failures.push(`alias ${alias}: ${describeError(err)}`);
      deps.log.error(`${m.collection}: ${failures.at(-1)}`);
    }
  }
  return failures;
}
