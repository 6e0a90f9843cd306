/**
 * A shard snapshot's object in the destination, confirmed before a manifest may name it: with Qdrant's S3 snapshot
 * storage the node wrote it under `snapshots/{c}/shards/{s}/{name}` itself and a HEAD must find it; in transfer mode
 * (QDRANT_SNAPSHOT_TRANSFER=true) or with QDRANT_BACKUP_DIR the tool streams it off the peer to that key, hashing it,
 * then the HEAD confirms it. Size and ETag come from that HEAD (the manifest's integrity fields).
 */
import { shardSnapshotKey } from "../../core/keys.js";
import { EXIT, ToolError } from "../../errors.js";
import type { SnapshotDescription } from "../../qdrant/types.js";
import { holdsChecksum } from "../snapshot-placement.js";
import { transferSnapshot } from "../transfer.js";
import type { Deps } from "../task/deps.js";

/** What the destination holds for one shard snapshot. */
export interface ConfirmedObject {
  key: string;
  size: number;
  etag: string;
  /** Computed while streaming, else Qdrant's checksum; undefined when neither. */
  sha256: string | undefined;
}

/** Whether shard snapshots are streamed by the tool (transfer mode or a directory destination). */
export function streamsShards(config: Deps["config"]): boolean {
  return config.transfer || config.backupDir !== undefined;
}

/**
 * Places (when streaming) and confirms the snapshot `snap` of `shard` taken on `peerUrl`.
 * @throws ToolError (the shard fails) when the object is missing, empty or has no ETag; the transfer's errors
 */
export async function confirmShardObject(
  deps: Pick<Deps, "qdrant" | "store" | "config" | "log" | "signal">,
  peerUrl: string,
  collection: string,
  shard: number,
  snap: SnapshotDescription,
): Promise<ConfirmedObject> {
  const store = deps.store();
  const key = shardSnapshotKey(collection, shard, snap.name);
  let sha256 = snap.checksum ?? undefined;
  if (streamsShards(deps.config)) {
    const existing = await store.head(key);
    // A node whose snapshots live in this destination already wrote the object: copying it onto itself is pointless.
    const inPlace = existing !== undefined && existing.size === snap.size && (await holdsChecksum(store, key, sha256));
    if (!inPlace) {
      const ref = { kind: "shard", collection, shard, name: snap.name } as const;
      const got = await transferSnapshot(deps, peerUrl, ref, key, sha256);
      if (got.size !== snap.size) {
        await store.delete(key);
        throw new ToolError(
          `${peerUrl} ${snap.name} → ${store.location}/${key}: ${got.size} bytes arrived, Qdrant reported ${snap.size}`,
          EXIT.partial,
        );
      }
      sha256 = got.sha256;
      deps.log.info(
        `Transferred ${snap.name} from ${peerUrl} to ${store.location}/${key}: ${got.size} bytes, SHA-256 ${got.sha256}`,
      );
    }
  }
  const head = await store.head(key);
  if (head === undefined) {
    throw new ToolError(
      `${snap.name} (shard ${shard} of ${collection}) is not at ${store.location}/${key}: Qdrant must store its snapshots in this bucket (its S3 snapshot storage), or set QDRANT_SNAPSHOT_TRANSFER=true`,
      EXIT.partial,
    );
  }
  if (head.size <= 0 || head.etag === "")
    throw new ToolError(`${store.location}/${key} is empty or has no ETag (size ${head.size})`, EXIT.partial);
  return { key, size: head.size, etag: head.etag, sha256 };
}
