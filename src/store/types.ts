import type { Readable } from "node:stream";

/** One object of a store: its key, size in bytes and last modification time. */
export interface StoredObject {
  readonly key: string;
  readonly size: number;
  readonly lastModified: Date;
}

/**
 * Where backups live: the S3 bucket (also Qdrant's own S3 snapshot storage) or a local directory
 * (QDRANT_BACKUP_DIR) with the same key layout (`snapshots/{collection}/{name}`, see core/keys.ts).
 * Errors are UpstreamError (exit 4) for S3 and StateFileError-like ToolErrors naming the path for a directory.
 */
export interface SnapshotStore {
  readonly kind: "s3" | "dir";
  /** `s3://bucket` or the directory's absolute path, for messages. */
  readonly location: string;
  /** Every key under `prefix` (recursive), past any page limit. */
  listKeys(prefix: string): Promise<string[]>;
  /** Every object under `prefix` (recursive), with size and modification time. */
  listObjects(prefix: string): Promise<StoredObject[]>;
  /** The common prefixes one level under `prefix` (which ends in `/`), each ending in `/`. */
  listPrefixes(prefix: string): Promise<string[]>;
  /**
   * A presigned GET URL for `key`, valid for `expirySeconds` (S3 only; a directory has none). A bearer
   * credential: never log it.
   */
  presignGet?(key: string, expirySeconds: number): Promise<string>;
  /**
   * Streams `body` into `key`, in constant memory. Nothing is visible under `key` until the whole body is stored
   * (S3 multipart upload completed; temporary file renamed); a failed or aborted put leaves nothing behind.
   * `size`, when known, lets S3 choose a part size that keeps memory flat for any size.
   * @returns the number of bytes stored
   */
  put(key: string, body: Readable, opts?: { contentType?: string; size?: number }): Promise<number>;
  /** The object's bytes from byte `start` (default 0) as a stream, and its full size; undefined when missing. */
  get(key: string, opts?: { start?: number }): Promise<{ body: Readable; size: number } | undefined>;
  /**
   * The object's size, time and ETag, or undefined when missing. The ETag is opaque (compare, never parse): S3's,
   * unquoted (a multipart upload's is `<md5 of md5s>-N`, and taken from this HEAD, since some stores answer a
   * CompleteMultipartUpload without one); a directory's is `<mtime ms, hex>-<size, hex>`, as nginx forms them.
   */
  head(key: string): Promise<(StoredObject & { readonly etag: string }) | undefined>;
  /** Deletes `key`; a missing key is not an error. */
  delete(key: string): Promise<void>;
  /**
   * Temporary files of puts that a killed run left (a directory's `<name>.partial-…`), last written before
   * `before`: listed, and removed when `remove`. Stores without such leftovers have no such method.
   */
  sweepPartials?(before: Date, remove: boolean): Promise<string[]>;
}
