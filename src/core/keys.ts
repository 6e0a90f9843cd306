/**
 * Qdrant's S3 key layout for snapshots (its S3 snapshot storage), as pure functions.
 * Qdrant builds keys with object_store paths: each segment is percent-encoded for ASCII controls, non-ASCII bytes
 * and the characters \ { ^ } % ` ] " > [ ~ < # | * ?, and a segment "." or ".." becomes %2E / %2E%2E.
 * The tool must use the same encoding, or a presigned URL for a collection named `a"b` points nowhere.
 */

/** Default key prefix: Qdrant's default `snapshots_path: ./snapshots`. */
export const SNAPSHOTS_PREFIX = "snapshots";

const RESERVED = new Set(["\\", "{", "^", "}", "%", "`", "]", '"', ">", "[", "~", "<", "#", "|", "*", "?", "/"]);

/** Percent-encodes one path segment exactly as Qdrant's object store does. */
export function encodeKeySegment(segment: string): string {
  if (segment === ".") return "%2E";
  if (segment === "..") return "%2E%2E";
  let out = "";
  for (const byte of Buffer.from(segment, "utf8")) {
    const ch = String.fromCharCode(byte);
    if (byte < 0x20 || byte >= 0x7f || RESERVED.has(ch)) out += `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
    else out += ch;
  }
  return out;
}

/** Reverses encodeKeySegment; a malformed escape is kept literally. */
export function decodeKeySegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** `snapshots/{collection}/` — the prefix under which Qdrant keeps a collection's snapshots (and its shard snapshots). */
export function collectionSnapshotsPrefix(collection: string, prefix = SNAPSHOTS_PREFIX): string {
  return `${prefix}/${encodeKeySegment(collection)}/`;
}

/** `snapshots/{collection}/{name}` — the key of one collection snapshot. */
export function collectionSnapshotKey(collection: string, name: string, prefix = SNAPSHOTS_PREFIX): string {
  return collectionSnapshotsPrefix(collection, prefix) + encodeKeySegment(name);
}

/**
 * The snapshot name of a key directly under a collection's prefix, or undefined for anything else:
 * shard snapshots (`shards/…`), `.checksum` companions and other objects are not collection snapshots.
 */
export function snapshotNameFromKey(key: string, collectionPrefix: string): string | undefined {
  if (!key.startsWith(collectionPrefix)) return undefined;
  const rest = key.slice(collectionPrefix.length);
  if (rest === "" || rest.includes("/") || !rest.endsWith(".snapshot")) return undefined;
  return decodeKeySegment(rest);
}

/** The collection name of a common prefix `snapshots/{collection}/` from a delimited listing. */
export function collectionFromPrefix(commonPrefix: string, prefix = SNAPSHOTS_PREFIX): string | undefined {
  const head = `${prefix}/`;
  if (!commonPrefix.startsWith(head) || !commonPrefix.endsWith("/")) return undefined;
  const seg = commonPrefix.slice(head.length, -1);
  return seg === "" || seg.includes("/") ? undefined : decodeKeySegment(seg);
}

/** Qdrant's shard snapshot names: `{collection}-shard-{id}-{YYYY-MM-DD-HH-MM-SS}.snapshot`. */
export function isShardSnapshotName(name: string): boolean {
  return /-shard-\d+-\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}\.snapshot$/.test(name);
}

/** `snapshots/{collection}/shards/{shard}/{name}` — a shard snapshot, where Qdrant's S3 storage puts it. */
export function shardSnapshotKey(collection: string, shard: number, name: string, prefix = SNAPSHOTS_PREFIX): string {
  return `${collectionSnapshotsPrefix(collection, prefix)}shards/${shard}/${encodeKeySegment(name)}`;
}

/** Where the tool puts full-storage snapshots it transfers: one folder per source host (their names collide). */
export const FULL_SNAPSHOTS_PREFIX = "full_snapshots";

/** `full_snapshots/{host:port}/` for a source host URL such as `http://qdrant-0:6333`. */
export function fullSnapshotsPrefix(host: string): string {
  return `${FULL_SNAPSHOTS_PREFIX}/${encodeKeySegment(new URL(host).host)}/`;
}

/** `full_snapshots/{host:port}/{name}` — a full-storage snapshot transferred from `host`. */
export function fullSnapshotKey(host: string, name: string): string {
  return fullSnapshotsPrefix(host) + encodeKeySegment(name);
}

/**
 * Backup metadata lives beside, never under, `snapshots/`: Qdrant's own S3 listing is recursive and would show a
 * JSON object there as a snapshot.
 */
export const METADATA_PREFIX = "backup_metadata";

/**
 * The metadata key of a snapshot stored under `snapshotKey`: `snapshots/{c}/{name}` → `backup_metadata/{c}/{name}.json`,
 * `snapshots/{c}/shards/{n}/{name}` → `backup_metadata/{c}/shards/{n}/{name}.json`,
 * `full_snapshots/{host}/{name}` → `backup_metadata/full_snapshots/{host}/{name}.json`.
 */
export function metadataKeyOf(snapshotKey: string): string {
  const head = `${SNAPSHOTS_PREFIX}/`;
  const rest = snapshotKey.startsWith(head) ? snapshotKey.slice(head.length) : snapshotKey;
  return `${METADATA_PREFIX}/${rest}.json`;
}
