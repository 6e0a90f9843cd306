/**
 * Which backup a drill restores: the collection's newest backup set when it has any (backup/sets/restore-select.ts then picks
 * and checks it, as recover_snap_shards does), else its newest legacy snapshot of each source peer, as recover_snap
 * picks them by default (backup/recover-newest.ts). QDRANT_SNAPSHOT_DATETIME_FILTER applies to both, as it does there.
 */
import { collectionFromManifestsPrefix, MANIFESTS_PREFIX } from "../../core/set-keys.js";
import {
  collectionFromPrefix,
  collectionSnapshotsPrefix,
  SNAPSHOTS_PREFIX,
  snapshotNameFromKey,
} from "../../core/keys.js";
import { createSnapshotFilter } from "../../lib/filter.js";
import { newestPerPeer } from "../recover-newest.js";
import { listSetIds } from "../sets/set-listing.js";
import { newestFirst, setIdMatches } from "../sets/set-id.js";
import { compareSnapshotNames } from "../task/items.js";
import type { Deps } from "../task/deps.js";
import { isScratch } from "./scratch.js";

export type DrillSource =
  /** `newest`: the set backup/sets/restore-select.ts starts from (it may fall back to an older one, and says so). */
  | { kind: "set"; newest: string; legacy: string | undefined }
  /** `names`: oldest first, the newest per source peer; the last one is what the collection is checked against. */
  | { kind: "snapshot"; names: string[] };

type ChooseDeps = Pick<Deps, "store" | "config">;

/** The newest legacy snapshots of `collection` (oldest first), after the filter. */
async function legacyNames(deps: ChooseDeps, collection: string): Promise<string[]> {
  const prefix = collectionSnapshotsPrefix(collection);
  const keep = createSnapshotFilter(deps.config.snapshotFilter);
  const names = (await deps.store().listKeys(prefix))
    .map((k) => snapshotNameFromKey(k, prefix))
    .filter((n): n is string => n !== undefined && keep(n))
    .sort(compareSnapshotNames);
  return newestPerPeer(collection, names).chosen;
}

/** The backup to drill for `collection`, or undefined when the destination holds none (after the filter). */
export async function chooseBackup(deps: ChooseDeps, collection: string): Promise<DrillSource | undefined> {
  const filter = deps.config.snapshotFilter;
  const ids = newestFirst(await listSetIds(deps.store(), collection)).filter(
    (id) => filter === "" || setIdMatches(id, filter),
  );
  const legacy = await legacyNames(deps, collection);
  if (ids[0] !== undefined) return { kind: "set", newest: ids[0], legacy: legacy.at(-1) };
  return legacy.length > 0 ? { kind: "snapshot", names: legacy } : undefined;
}

/** `--all`: every collection with a set or a legacy snapshot in the destination, scratch names left out. */
export async function backedUpCollections(deps: Pick<Deps, "store">): Promise<string[]> {
  const store = deps.store();
  const sets = (await store.listPrefixes(`${MANIFESTS_PREFIX}/`)).flatMap(
    (p) => collectionFromManifestsPrefix(p) ?? [],
  );
  const legacy = (await store.listPrefixes(`${SNAPSHOTS_PREFIX}/`)).flatMap((p) => collectionFromPrefix(p) ?? []);
  return [...new Set([...sets, ...legacy])].filter((c) => !isScratch(c)).sort();
}
