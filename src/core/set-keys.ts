/**
 * The key layout of backup sets (create_snap_shards, prune_snap, recover_snap_shards), as the bash tool's per-shard
 * generation writes it, so that either tool reads the other's sets:
 *   snapshots/{c}/shards/{shard}/{name}  a shard snapshot (written by Qdrant's S3 storage, or by the tool in transfer
 *                                        mode; Qdrant percent-encodes the collection segment, see keys.ts)
 *   backup_manifests/{c}/{set_id}.json   the set's manifest, written last: a set exists only when it exists
 *   restore_state/{c}/{set_id}.csv       the restore's durable resume state
 * The bash tool writes the manifest and restore-state keys with the collection name as it is (mc takes the name
 * verbatim); so does this tool.
 */
import { collectionSnapshotsPrefix } from "./keys.js";

export const MANIFESTS_PREFIX = "backup_manifests";
export const RESTORE_STATE_PREFIX = "restore_state";

/** `snapshots/{c}/shards/`: every shard snapshot of a collection, referenced by a manifest or not (the sweep's scope). */
export function shardsPrefix(collection: string): string {
  return `${collectionSnapshotsPrefix(collection)}shards/`;
}

/** `backup_manifests/{c}/`: the manifests of a collection's sets. */
export function manifestsPrefix(collection: string): string {
  return `${MANIFESTS_PREFIX}/${collection}/`;
}

/** `backup_manifests/{c}/{set_id}.json`. */
export function manifestKey(collection: string, setId: string): string {
  return `${manifestsPrefix(collection)}${setId}.json`;
}

/** The set id of a key `backup_manifests/{c}/{set_id}.json` directly under `manifestsPrefix(c)`, else undefined. */
export function setIdFromManifestKey(key: string, collection: string): string | undefined {
  const prefix = manifestsPrefix(collection);
  if (!key.startsWith(prefix) || !key.endsWith(".json")) return undefined;
  const id = key.slice(prefix.length, -".json".length);
  return id === "" || id.includes("/") ? undefined : id;
}

/** `restore_state/{c}/{set_id}.csv`. */
export function restoreStateKey(collection: string, setId: string): string {
  return `${RESTORE_STATE_PREFIX}/${collection}/${setId}.csv`;
}

/** The collection of a common prefix `backup_manifests/{c}/` from a delimited listing of `backup_manifests/`. */
export function collectionFromManifestsPrefix(commonPrefix: string): string | undefined {
  const head = `${MANIFESTS_PREFIX}/`;
  if (!commonPrefix.startsWith(head) || !commonPrefix.endsWith("/")) return undefined;
  const name = commonPrefix.slice(head.length, -1);
  return name === "" || name.includes("/") ? undefined : name;
}
