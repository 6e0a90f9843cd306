/**
 * Where recover_full_snap reads a full-storage snapshot from: a local file (--file), the backup destination
 * (transfer mode put it at `full_snapshots/{host:port}/{name}`), or the source node itself (GET /snapshots/{name}).
 * Each can be opened again for every restore host; nothing is copied to the tool's disk.
 */
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import path from "node:path";
import type { Readable } from "node:stream";
import { ConfigError } from "../errors.js";
import type { QdrantClient } from "../qdrant/client.js";
import type { SnapshotStore } from "../store/types.js";
import { ArchiveError } from "./full-archive.js";

export interface FullArchiveSource {
  /** The archive's file name (`full-snapshot-….snapshot`). */
  readonly name: string;
  /**
   * Its identity in the recovery history: `{host:port}/{name}` for a source host's snapshot (every node names its
   * full snapshots alike, as in the destination's `full_snapshots/{host:port}/{name}`), the file name for --file.
   */
  readonly id: string;
  /** Where it is read from (a path, `s3://bucket/key`, a node URL), for messages. Never a secret. */
  readonly location: string;
  /** A fresh stream of the archive's bytes from its first byte. */
  open(): Promise<Readable>;
}

/**
 * A local archive file (an absolute path).
 * @throws ConfigError (exit 2) when `file` is missing or not a regular file
 */
export async function fileSource(full: string): Promise<FullArchiveSource> {
  const info = await stat(full).catch((err: NodeJS.ErrnoException) => {
    throw new ConfigError(`recover_full_snap: --file ${full}: ${err.code === "ENOENT" ? "no such file" : err.message}`);
  });
  if (!info.isFile()) throw new ConfigError(`recover_full_snap: --file ${full} is not a regular file`);
  return {
    name: path.basename(full),
    id: path.basename(full),
    location: full,
    open: () =>
      new Promise((resolve, reject) => {
        const stream = createReadStream(full);
        stream.once("open", () => resolve(stream));
        stream.once("error", (err) => reject(new ArchiveError(`${full}: ${err.message}`)));
      }),
  };
}

/** The history identity of `host`'s full snapshot `name`. */
export function fullSnapshotId(host: string, name: string): string {
  return `${new URL(host).host}/${name}`;
}

/** Source host `host`'s full snapshot `name`, stored in the backup destination under `key`. */
export function storeSource(store: SnapshotStore, key: string, host: string, name: string): FullArchiveSource {
  const location = `${store.location}/${key}`;
  return {
    name,
    id: fullSnapshotId(host, name),
    location,
    open: async () => {
      const found = await store.get(key);
      if (found === undefined) throw new ArchiveError(`${location}: not found`);
      return found.body;
    },
  };
}

/** A full snapshot still on its source node. */
export function nodeSource(qdrant: QdrantClient, host: string, name: string): FullArchiveSource {
  return {
    name,
    id: fullSnapshotId(host, name),
    location: `${host}/snapshots/${name}`,
    open: async () => (await qdrant.downloadSnapshot(host, { kind: "full", name })).body,
  };
}
