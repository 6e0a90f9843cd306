/**
 * Snapshot names as Qdrant lists them. With local snapshot storage a listing gives the file name as created; with S3
 * snapshot storage it gives the last segment of the object key, which object_store percent-encodes (reserved
 * characters such as `%`, `#`, `?`, `[`, and every non-ASCII byte: `ü docs-1-….snapshot` is listed as
 * `%C3%BC docs-1-….snapshot`). Qdrant encodes a name it is given again, so an encoded name cannot be downloaded,
 * recovered or deleted as is. Both forms are told apart by the collection's name, which every collection and shard
 * snapshot name starts with.
 */

/**
 * The raw name of a snapshot of `collection` as listed: `name` itself when it starts with `{collection}-` (local
 * storage, or nothing to encode), else its percent-decoded form when that does (S3 storage); else `name` unchanged.
 */
export function rawSnapshotName(collection: string, name: string): string {
  const head = `${collection}-`;
  if (name.startsWith(head) || !name.includes("%")) return name;
  let decoded: string;
  try {
    decoded = decodeURIComponent(name);
  } catch {
    return name; // not valid percent-encoding: not an encoded key segment
  }
  return decoded.startsWith(head) ? decoded : name;
}
