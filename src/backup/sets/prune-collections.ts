/**
 * The collections prune_snap works on for sets and --legacy, as the bash tool finds them: the `collections` file;
 * else GET /collections on the first source host when one is set; else the folder names under `backup_manifests/`
 * and `snapshots/` in the destination.
 */
import { collectionFromPrefix, SNAPSHOTS_PREFIX } from "../../core/keys.js";
import { collectionFromManifestsPrefix, MANIFESTS_PREFIX } from "../../core/set-keys.js";
import { InterruptedError, UpstreamError } from "../../errors.js";
import type { SnapshotStore } from "../../store/types.js";
import { describeError } from "../task/items.js";
import type { Deps } from "../task/deps.js";

/**
 * @param withManifests also the folders under `backup_manifests/` (sets; --legacy needs only `snapshots/`)
 * @throws UpstreamError (exit 4) when the source host or the destination cannot be listed: nothing is pruned
 */
export async function resolvePruneCollections(
  deps: Deps,
  store: SnapshotStore,
  task: string,
  withManifests: boolean,
): Promise<string[]> {
  const rows = await deps.state.read("collections");
  if (rows.length > 0) return [...new Set(rows.map((r) => r.collection))].sort();
  const host = deps.config.sourceHosts[0];
  try {
    if (host !== undefined) return (await deps.qdrant.listCollections(host)).sort();
    const folders = await store.listPrefixes(`${SNAPSHOTS_PREFIX}/`);
    const names = folders.map((p) => collectionFromPrefix(p));
    if (withManifests) {
      const manifests = await store.listPrefixes(`${MANIFESTS_PREFIX}/`);
      names.push(...manifests.map((p) => collectionFromManifestsPrefix(p)));
    }
    return [...new Set(names.filter((n): n is string => n !== undefined))].sort();
  } catch (err) {
    if (err instanceof InterruptedError) throw err;
    const what =
      host !== undefined
        ? `the collections of ${host}`
        : `${store.location}/${SNAPSHOTS_PREFIX}/${withManifests ? ` and ${MANIFESTS_PREFIX}/` : ""} (the collections)`;
    throw new UpstreamError(
      `${task}: cannot list ${what}: ${describeError(err)}; refusing to prune, nothing was deleted`,
      { cause: err },
    );
  }
}
