import { assertConfigured } from "../config.js";
import { collectionFromManifestsPrefix, MANIFESTS_PREFIX } from "../core/set-keys.js";
import { ConfigError, EXIT, ToolError } from "../errors.js";
import { restoreCollection } from "../backup/sets/restore-collection.js";
import { discoverTargets, targetVersion } from "../backup/sets/restore-target.js";
import { distinct } from "../backup/task/items.js";
import { Tally } from "../backup/task/tally.js";
import type { Deps, TaskOptions, TaskSummary } from "../backup/task/deps.js";

/**
 * recover_snap_shards: restore each collection's newest backup set (or the newest matching
 * QDRANT_SNAPSHOT_DATETIME_FILTER) onto each cluster QDRANT_RESTORE_HOSTS names (a host of a cluster already
 * found is one of its peers; any other starts a target of its own), shard by shard, and end each with a verdict
 * (backup/sets/restore-collection.ts). The collections: the `collections` file, else every collection with
 * sets in the destination. Exit 3 when any collection is not VERIFIED.
 */
export async function run(options: TaskOptions, deps: Deps): Promise<TaskSummary> {
  const { config, log, state } = deps;
  assertConfigured(config, "recover_snap_shards", ["restore", "destination"]);
  const tally = new Tally("recover_snap_shards", deps.progress);
  let collections = distinct((await state.read("collections")).map((r) => r.collection).filter((c) => c !== ""));
  if (options.collection !== undefined) collections = [options.collection];
  else if (collections.length > 0)
    log.warn(`Restoring the ${collections.length} collection(s) of the collections file`);
  else {
    const prefixes = await deps.store().listPrefixes(`${MANIFESTS_PREFIX}/`);
    collections = prefixes.flatMap((p) => collectionFromManifestsPrefix(p) ?? []).sort();
  }
  if (collections.length === 0)
    throw new ToolError(
      `recover_snap_shards: no collection to restore: the collections file is empty and ${deps.store().location}/${MANIFESTS_PREFIX}/ holds no set`,
      EXIT.partial,
    );
  if (options.as !== undefined && collections.length !== 1)
    throw new ConfigError(
      `recover_snap_shards --as ${options.as}: restores one collection under another name, but ${collections.length} are to be restored (name it with --collection)`,
    );
  const targets = await discoverTargets(deps);
  tally.start(targets.length * collections.length);
  for (const target of targets) {
    const version = await targetVersion(deps, target.host);
    // One collection at a time: each one's shards already run in parallel over the peers.
    for (const collection of collections) {
      const item = { collection, target: target.host };
      tally.begin(item);
      const verdict = await tally.track(item, () => restoreCollection(deps, target, version, collection, options.as));
      const line = targets.length > 1 ? `${verdict.line} [target ${target.host}]` : verdict.line;
      if (verdict.verified) log.info(line);
      else log.error(line);
      tally.add(verdict.verified ? "done" : "failed", {
        collection,
        target: target.host,
        set: verdict.set ?? "",
        verdict: line,
      });
    }
  }
  return tally.finish(
    `restore summary: ${tally.done} collection(s) verified, ${tally.failed} failed${targets.length > 1 ? ` (on ${targets.length} target clusters)` : ""}`,
  );
}
