/**
 * Backup sets written straight into a destination (the bucket or a directory), as create_snap_shards and the bash
 * tool leave them: shard objects at `snapshots/{c}/shards/{n}/{name}`, then a schema-2 manifest at
 * `backup_manifests/{c}/{set}.json`. And a store that records its deletions in order.
 */
import { Readable } from "node:stream";
import { serializeManifest, type Manifest } from "../../../src/backup/sets/manifest.js";
import { shardSnapshotKey } from "../../../src/core/keys.js";
import { manifestKey } from "../../../src/core/set-keys.js";
import type { SnapshotStore } from "../../../src/store/types.js";
import type { TestDeps } from "../deps.js";

/** A set id of the bash tool's form for a UTC time: `2026-11-20T02-00-00Z-backup-pod`. */
export function setIdAt(iso: string, host = "backup-pod"): string {
  return `${new Date(iso).toISOString().slice(0, 19).replace(/:/g, "-")}Z-${host}`;
}

/** The shard keys of a set: one per shard, named as Qdrant names shard snapshots, at the set's time. */
export function shardKeysOf(collection: string, setId: string, shards: number): string[] {
  const stamp = setId.slice(0, 19).replace("T", "-");
  return Array.from({ length: shards }, (_, n) =>
    shardSnapshotKey(collection, n, `${collection}-shard-${n}-${stamp}.snapshot`),
  );
}

/** A valid schema-2 manifest naming `keys` (shard n at keys[n]). */
export function manifestOf(collection: string, setId: string, keys: readonly string[]): Manifest {
  return {
    schema_version: 2,
    backup_set_id: setId,
    collection,
    qdrant_version: "1.15.1",
    sharding_method: "auto",
    shard_count: keys.length,
    points_count: 10,
    collection_config: { params: { shard_number: keys.length } },
    aliases: [],
    created_by: "qdrant_backup_recovery.sh@abc123",
    shards: keys.map((s3_key, id) => ({
      id,
      snapshot_name: s3_key.split("/").pop() ?? "",
      s3_key,
      size: 1,
      etag: "9dd4e461268c8034f5c8564e155c67a6",
      checksum: "",
      source_peer_id: "1",
      created_at: setId.slice(0, 19).replace(/T(\d\d)-(\d\d)-(\d\d)/, "T$1:$2:$3") + "Z",
    })),
  };
}

export const putText = (store: SnapshotStore, key: string, text: string): Promise<number> =>
  store.put(key, Readable.from([Buffer.from(text)]));

export interface WrittenSet {
  readonly id: string;
  readonly manifest: string;
  readonly shards: string[];
}

/**
 * Writes a set: its shard objects (each with a `.checksum` companion when `checksums`), then its manifest; the
 * manifest's body is `manifestText` instead when given (an unreadable manifest).
 */
export async function writeSet(
  store: SnapshotStore,
  collection: string,
  setId: string,
  opts: { shards?: number; checksums?: boolean; manifestText?: string; keys?: string[] } = {},
): Promise<WrittenSet> {
  const keys = opts.keys ?? shardKeysOf(collection, setId, opts.shards ?? 2);
  for (const key of keys) {
    await putText(store, key, "x");
    if (opts.checksums) await putText(store, `${key}.checksum`, "0".repeat(64));
  }
  const manifest = manifestKey(collection, setId);
  await putText(store, manifest, opts.manifestText ?? serializeManifest(manifestOf(collection, setId, keys)));
  return { id: setId, manifest, shards: keys };
}

/** Deps whose store records every delete, in the order issued (the store's own deletes still happen). */
export function recordingDeletes(deps: TestDeps): { deps: TestDeps; deletes: string[] } {
  const deletes: string[] = [];
  let wrapped: SnapshotStore | undefined;
  const store = (): SnapshotStore => {
    if (wrapped) return wrapped;
    const inner = deps.store();
    wrapped = {
      ...inner,
      delete: async (key) => {
        deletes.push(key);
        await inner.delete(key);
      },
    };
    return wrapped;
  };
  return { deps: { ...deps, store }, deletes };
}
