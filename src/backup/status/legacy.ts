/**
 * A collection's newest legacy snapshot (create_snap: `snapshots/{c}/{name}`, listed as get_snap_s3 lists them) and
 * its backup metadata (`backup_metadata/…`, backup/metadata.ts). Reads only.
 */
import { collectionSnapshotKey, collectionSnapshotsPrefix, snapshotNameFromKey } from "../../core/keys.js";
import { InterruptedError, UpstreamError } from "../../errors.js";
import type { SnapshotStore } from "../../store/types.js";
import { readMetadata, type BackupMetadata } from "../metadata.js";
import { newestPerPeer } from "../recover-newest.js";
import { parseCreationTime, parseSnapshotTime } from "../retention.js";
import { compareSnapshotNames, describeError } from "../task/items.js";
import type { NewestBackup } from "./model.js";

/** The newest legacy snapshot of `collection` in `store`, or undefined when it has none. */
export async function newestLegacy(store: SnapshotStore, collection: string): Promise<NewestBackup | undefined> {
  const prefix = collectionSnapshotsPrefix(collection);
  const found = (await store.listObjects(prefix)).flatMap((o) => {
    const name = snapshotNameFromKey(o.key, prefix);
    return name === undefined ? [] : [{ name, object: o }];
  });
  if (found.length === 0) return undefined;
  found.sort((a, b) => compareSnapshotNames(a.name, b.name));
  const newest = found[found.length - 1]!;
  let meta: BackupMetadata | undefined;
  let problem: string | undefined;
  try {
    meta = await readMetadata(store, collectionSnapshotKey(collection, newest.name));
    if (meta === undefined) problem = "no backup metadata (taken by the bash tool, or before metadata existed)";
  } catch (err) {
    if (err instanceof InterruptedError || err instanceof UpstreamError) throw err;
    problem = describeError(err);
  }
  const peer = meta?.source.peerId === undefined ? "" : ` (peer ${meta.source.peerId})`;
  return {
    id: newest.name,
    time: parseSnapshotTime(newest.name) ?? parseCreationTime(meta?.createdAt) ?? newest.object.lastModified,
    size: meta?.size ?? newest.object.size,
    sources: meta ? [`${meta.source.host}${peer}`] : [],
    qdrantVersion: meta?.qdrantVersion,
    points: meta?.pointsCountAfter ?? meta?.pointsCount,
    kept: found.length,
    spread: newestPerPeer(
      collection,
      found.map((f) => f.name),
    ).groups,
    usable: true,
    problem,
  };
}
