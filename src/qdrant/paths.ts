// The REST paths the client sends: names as path segments (refusing "." and ".."), and where each snapshot lives.
import { EXIT, ToolError } from "../errors.js";

/**
 * A collection or snapshot name as one path segment. `.` and `..` cannot be sent at all: every URL parser (undici's,
 * Qdrant's) resolves them, `%2E%2E` included, so `/collections/../snapshots` would create a full-storage snapshot.
 */
export function seg(name: string): string {
  if (name === "." || name === "..") throw new UnaddressableNameError(name);
  return encodeURIComponent(name);
}

/** A name that no Qdrant REST path can carry (`.` or `..`), e.g. from a hand-edited state file: that item fails. */
export class UnaddressableNameError extends ToolError {
  constructor(name: string) {
    super(
      `the name ${JSON.stringify(name)} cannot be sent to Qdrant: a URL path resolves "." and ".." segments, so the request would reach another endpoint`,
      EXIT.usage,
    );
  }
}

/** A snapshot on a node: of a collection, of one shard of it, or of the whole storage. */
export type SnapshotRef =
  | { kind: "collection"; collection: string; name: string }
  | { kind: "shard"; collection: string; shard: number; name: string }
  | { kind: "full"; name: string };

/** What an upload recovers: a collection, or one shard of it. */
export type UploadTarget = { collection: string; shard?: number };

/** The REST path of `ref` (download and delete use it). */
export function snapshotPath(ref: SnapshotRef): string {
  switch (ref.kind) {
    case "collection":
      return `/collections/${seg(ref.collection)}/snapshots/${seg(ref.name)}`;
    case "shard":
      return `/collections/${seg(ref.collection)}/shards/${ref.shard}/snapshots/${seg(ref.name)}`;
    case "full":
      return `/snapshots/${seg(ref.name)}`;
  }
}
