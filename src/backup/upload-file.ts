/** What upload_snap knows of a local snapshot file: its key in the history, and the backup metadata of its bytes. */
import { collectionSnapshotKey } from "../core/keys.js";
import { readMetadata, type BackupMetadata } from "./metadata.js";
import type { Deps } from "./task/deps.js";
import { describeError, isFatal } from "./task/items.js";

/**
 * The snapshot_recovery_history `snapshot_name` of an upload: `<file name>@<collection, percent-encoded>/<shard>/<sha256>`,
 * the shard being `*` for a whole collection (e.g. `docs-1-2026-11-20-02-00-00.snapshot@docs/2/ab12…` for shard 2).
 * One (host, key) is one upload of those bytes into that collection or shard; the last `@` ends the file name (the
 * encoded collection has none).
 */
export function uploadKey(u: { file: string; collection: string; shard: number | undefined; sha256: string }): string {
  return `${u.file}@${encodeURIComponent(u.collection)}/${u.shard ?? "*"}/${u.sha256.toLowerCase()}`;
}

/**
 * The backup metadata to check an uploaded collection against: the destination's metadata of a snapshot by the file's
 * name, when it describes these very bytes (its SHA-256, or without one its size) of this collection. Undefined (status
 * check only) for a shard, without a destination, or when there is no such metadata.
 */
export async function metadataOfFile(
  deps: Deps,
  collection: string,
  name: string,
  shard: number | undefined,
  sha256: string,
  size: number,
): Promise<BackupMetadata | undefined> {
  const { config, log } = deps;
  if (shard !== undefined) {
    log.info(`Uploaded shard snapshots are checked by the collection's status only`);
    return undefined;
  }
  if (config.s3.bucket === undefined && config.backupDir === undefined) return undefined;
  try {
    const found = await readMetadata(deps.store(), collectionSnapshotKey(collection, name));
    if (found === undefined) return undefined;
    const same =
      found.kind === "collection" &&
      (found.collection ?? collection) === collection &&
      (found.sha256 !== undefined ? found.sha256 === sha256 : found.size === size);
    if (same) return found;
    log.info(
      `The backup metadata of ${name} in ${deps.store().location} describes other bytes or another collection: ${collection} is checked by status only`,
    );
  } catch (err) {
    if (isFatal(err)) throw err;
    log.warn(
      `Cannot read the backup metadata of ${name} (${collection} is checked by status only): ${describeError(err)}`,
    );
  }
  return undefined;
}
