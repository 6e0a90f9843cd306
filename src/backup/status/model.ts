// What the status task reports: per collection its newest legacy snapshot and its newest backup set, per restore host
// the recoveries recorded in the state files.

/** The newest backup of one kind (a legacy collection snapshot, or a backup set) of a collection. */
export interface NewestBackup {
  /** The snapshot's name or the set's id ("" when no set of the collection has a readable manifest). */
  readonly id: string;
  /** When it was taken; undefined when nothing tells. */
  readonly time: Date | undefined;
  /** Bytes: the snapshot's, or the sum of the set's shard snapshots. */
  readonly size: number | undefined;
  /** Where it came from: `host (peer N)` of the metadata, or the set's source peers. */
  readonly sources: readonly string[];
  readonly qdrantVersion: string | undefined;
  readonly points: number | undefined;
  /** How many of this kind the destination keeps for the collection (legacy: snapshots; sets: manifests). */
  readonly kept: number;
  /** Source peers with a legacy snapshot of the collection; a set's shard count. */
  readonly spread: number;
  /** False when it cannot be restored (no set has a readable manifest). */
  readonly usable: boolean;
  /** Why something of it could not be read (invalid metadata, newer unreadable manifests), else undefined. */
  readonly problem: string | undefined;
}

export interface CollectionStatus {
  readonly collection: string;
  readonly legacy: NewestBackup | undefined;
  readonly set: NewestBackup | undefined;
  /** Listed by a source host; undefined when the source was not checked. */
  readonly onSource: boolean | undefined;
  /** On the source and without a usable backup newer than QDRANT_STATUS_MAX_AGE_HOURS. */
  readonly stale: boolean;
}

/** The recoveries the state files record for one restore host (or one set-restore target). */
export interface RestoreHostStatus {
  readonly host: string;
  /** Distinct snapshots recovered (`ok`) or accepted (`accepted`, wait=false) on it. */
  readonly recovered: number;
  readonly accepted: number;
  /** Of those, checked after the recovery (`verified`). */
  readonly verified: number;
  /** Distinct snapshots whose recovery or check failed (failed_snapshot_recovery) and that never succeeded since. */
  readonly failed: number;
  /** Backup-set restores begun on it (distinct collection and set in shard_recovery_history). */
  readonly setRestores: number;
  /** Shards recorded recovered there. */
  readonly shards: number;
}

/** The newest usable time of a collection's backups, of either kind. */
export function newestTime(c: Pick<CollectionStatus, "legacy" | "set">): Date | undefined {
  const times = [c.legacy, c.set]
    .filter((b): b is NewestBackup => b !== undefined && b.usable && b.time !== undefined)
    .map((b) => b.time!.getTime());
  return times.length ? new Date(Math.max(...times)) : undefined;
}
