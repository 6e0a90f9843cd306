/**
 * The two places download_snap reads a snapshot from, as resumable byte sources: a Qdrant node (HTTP Range) and
 * the backup destination (the store's ranged get).
 */
import { Readable } from "node:stream";
import { EXIT, ToolError } from "../errors.js";
import type { QdrantClient, SnapshotRef } from "../qdrant/client.js";
import { QdrantError } from "../qdrant/errors.js";
import type { SnapshotStore } from "../store/types.js";
import type { ByteSource, OpenedBytes } from "./resumable-download.js";

/** Nothing left to fetch: the partial file already holds every byte (the checksum still decides). */
const nothingFrom = (start: number): OpenedBytes => ({ body: Readable.from([]), start, total: start });

/**
 * GET …/snapshots/{name} on `host`, from byte `start` with a Range header. A node that answers 200 instead of 206
 * (Qdrant with S3 snapshot storage streams without Range) restarts the file; so does a 416 (a partial file longer
 * than the snapshot).
 * @param listedSize the snapshot's size in the node's listing, when it was listed
 */
export function nodeSource(
  qdrant: QdrantClient,
  host: string,
  ref: SnapshotRef,
  listedSize: number | undefined,
): ByteSource {
  const open = async (start: number): Promise<OpenedBytes> => {
    if (listedSize !== undefined && start > listedSize) return open(0);
    if (listedSize !== undefined && start > 0 && start === listedSize) return nothingFrom(start);
    try {
      const got = await qdrant.downloadSnapshot(host, ref, { start });
      if (start > 0 && !got.ranged) return { body: got.body, start: 0, total: got.length };
      return { body: got.body, start, total: got.length === undefined ? undefined : start + got.length };
    } catch (err) {
      if (start > 0 && err instanceof QdrantError && err.status === 416) return open(0);
      throw err;
    }
  };
  return { what: `${host} ${ref.name}`, open };
}

/** The snapshot is not in the backup destination (exit 3 for the item). */
export class MissingObjectError extends ToolError {
  constructor(location: string, key: string) {
    super(`${location}/${key}: no such snapshot in the backup destination`, EXIT.partial);
  }
}

/** The object `key` of the backup destination, from byte `start` (S3 Range, or a file read from an offset). */
export function storeSource(store: SnapshotStore, key: string): ByteSource {
  const open = async (start: number): Promise<OpenedBytes> => {
    // Sized first: S3 refuses a range starting at or past the end (416) instead of answering with no bytes.
    const head = await store.head(key);
    if (!head) throw new MissingObjectError(store.location, key);
    const from = start > head.size ? 0 : start;
    if (from > 0 && from === head.size) return nothingFrom(from);
    const got = await store.get(key, { start: from });
    if (!got) throw new MissingObjectError(store.location, key);
    return { body: got.body, start: from, total: Number.isFinite(got.size) ? got.size : undefined };
  };
  return { what: `${store.location}/${key}`, open };
}
