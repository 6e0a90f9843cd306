/**
 * status: what the destination holds per collection (its newest legacy snapshot and newest backup set), what the state
 * files say was recovered per restore host, and which collections of the source hosts have no recent backup.
 * Reads only: the store is listed and read, the state files are peeked (StateStore.peek), nothing is written.
 */
import { stat } from "node:fs/promises";
import { collectionFromPrefix, SNAPSHOTS_PREFIX } from "../../core/keys.js";
import { collectionFromManifestsPrefix, MANIFESTS_PREFIX } from "../../core/set-keys.js";
import { mapPool } from "../../lib/pool.js";
import type { SnapshotStore } from "../../store/types.js";
import type { Deps } from "../task/deps.js";
import { newestLegacy } from "./legacy.js";
import { newestTime, type CollectionStatus } from "./model.js";
import { readRecoveries, type Recoveries } from "./recoveries.js";
import { newestSet } from "./sets.js";
import { sourceCollections, type SourceCollections } from "./source.js";

export interface StatusReport {
  /** The destination, `s3://bucket` or the directory. */
  readonly location: string;
  readonly now: Date;
  readonly maxAgeHours: number;
  readonly collections: CollectionStatus[];
  readonly recoveries: Recoveries;
  readonly source: SourceCollections;
  /** QDRANT_BACKUP_DIR does not exist (nothing written there yet, or a volume not mounted). */
  readonly missingDir: boolean;
}

/** The collections with a folder under `snapshots/` or `backup_manifests/`. */
async function destinationCollections(store: SnapshotStore): Promise<string[]> {
  const [snapshots, manifests] = await Promise.all([
    store.listPrefixes(`${SNAPSHOTS_PREFIX}/`),
    store.listPrefixes(`${MANIFESTS_PREFIX}/`),
  ]);
  return [
    ...snapshots.map((p) => collectionFromPrefix(p)),
    ...manifests.map((p) => collectionFromManifestsPrefix(p)),
  ].filter((c): c is string => c !== undefined);
}

/**
 * Gathers the report.
 * @throws the store's UpstreamError (exit 4) when the destination cannot be listed; StateFileError (exit 2) for a
 *   malformed state file
 */
export async function gatherStatus(deps: Deps): Promise<StatusReport> {
  const { config, signal } = deps;
  const store = deps.store();
  const now = deps.clock();
  const [stored, source, recoveries] = await Promise.all([
    destinationCollections(store),
    sourceCollections(deps),
    readRecoveries(deps.state),
  ]);
  const onSource = source.checked ? source.collections : new Set<string>();
  const names = [...new Set([...stored, ...onSource])].sort();
  const cutoff = now.getTime() - config.statusMaxAgeHours * 3_600_000;
  const collections = await mapPool(
    names,
    config.concurrency,
    async (collection): Promise<CollectionStatus> => {
      const [legacy, set] = await Promise.all([newestLegacy(store, collection), newestSet(store, collection)]);
      const listed = source.checked ? source.collections.has(collection) : undefined;
      const newest = newestTime({ legacy, set });
      const stale = listed === true && (newest === undefined || newest.getTime() < cutoff);
      return { collection, legacy, set, onSource: listed, stale };
    },
    signal,
  );
  const missingDir =
    config.backupDir !== undefined && (await stat(config.backupDir).catch(() => undefined)) === undefined;
  return {
    location: store.location,
    now,
    maxAgeHours: config.statusMaxAgeHours,
    collections,
    recoveries,
    source,
    missingDir,
  };
}
