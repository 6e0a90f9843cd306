/** Where snapshot files live: the common interface of the local and the S3 snapshot storage. */
import type { Schemas } from "@qdrant/js-client-rest";
import type { Readable } from "node:stream";

export type SnapshotDescription = Schemas["SnapshotDescription"];

/** Which directory (or key prefix) a snapshot belongs to. */
export type SnapshotScope =
  { kind: "collection"; collection: string } | { kind: "shard"; collection: string; shard: number } | { kind: "full" };

/** Path segments of a scope below `snapshots_path`. */
export function scopeSegments(scope: SnapshotScope): string[] {
  if (scope.kind === "full") return [];
  if (scope.kind === "collection") return [scope.collection];
  return [scope.collection, "shards", String(scope.shard)];
}

export interface StoredSnapshot {
  size: number | undefined;
  lastModified: Date | undefined;
  /** Local file path (local storage only: enables Content-Disposition/Range like actix NamedFile). */
  path: string | undefined;
  /** Stream the bytes; a byte range (inclusive end) is honoured by local storage only. Open exactly once. */
  open(range?: { start: number; end: number }): Promise<Readable>;
}

export interface SnapshotStore {
  readonly kind: "local" | "s3";
  /** Move a finished archive (a temp file, consumed) into place and describe it. */
  save(scope: SnapshotScope, name: string, tmpFile: string, sha256: string): Promise<SnapshotDescription>;
  list(scope: SnapshotScope): Promise<SnapshotDescription[]>;
  /** Undefined when there is no such snapshot (including names that are not plain file names). */
  get(scope: SnapshotScope, name: string): Promise<StoredSnapshot | undefined>;
  /** False when there was nothing to delete. */
  delete(scope: SnapshotScope, name: string): Promise<boolean>;
}
