// The state files' table: each kind's file name and columns, and a row's field by column.

export const STATE_FILES = {
  collections: { name: "collections", columns: ["host", "collection"] },
  snapshots: { name: "snapshots", columns: ["host", "collection", "snapshot"] },
  collectionAliases: { name: "collection_aliases", columns: ["collection", "alias"] },
  snapshotRecoveryHistory: { name: "snapshot_recovery_history", columns: ["host", "snapshot", "status"] },
  failedSnapshotRecovery: { name: "failed_snapshot_recovery", columns: ["host", "snapshot", "status"] },
  aliasRecoveryHistory: { name: "alias_recovery_history", columns: ["collection", "alias", "status"] },
  /** The bash tool's per-shard generation: the restore of sets records `target,collection,set_id,shard_id,ok`. */
  shardRecoveryHistory: {
    name: "shard_recovery_history",
    columns: ["target", "collection", "set", "shard", "status"],
  },
  // Not in the bash tool: full-storage snapshots (create_full_snap), what prune_snap deleted, the drills, and what
  // create_snap failed.
  fullSnapshots: { name: "full_snapshots", columns: ["host", "snapshot"] },
  /** `location` is `s3://bucket`, the backup directory or a node's URL; `key` the snapshot's key in the layout. */
  prunedSnapshots: { name: "pruned_snapshots", columns: ["location", "key", "deleted_at"] },
  /**
   * One row per restore drill (the `drill` task): what was restored (`kind` set|snapshot, the set id or snapshot
   * name, its key), from where, onto which targets, the counts, the durations, and the verdict (passed|failed) last.
   */
  drillHistory: {
    name: "drill_history",
    columns: [
      "started_at",
      "collection",
      "scratch",
      "kind",
      "backup",
      "key",
      "location",
      "targets",
      "expected",
      "found",
      "seconds",
      "cleanup_seconds",
      "detail",
      "verdict",
    ],
  },
  /**
   * create_snap's outcome per (host, collection) when it changed: `failed`, then `ok` once it succeeds again; an
   * empty host stands for every host of the collection (its peers could not be found). The last row of a pair wins.
   */
  snapshotFailures: { name: "snapshot_failures", columns: ["host", "collection", "status"] },
} as const;

export type StateKind = keyof typeof STATE_FILES;
export type Row<K extends StateKind> = Record<(typeof STATE_FILES)[K]["columns"][number], string>;

/** Every state file's kind, in STATE_FILES' order. */
export const STATE_KINDS: readonly StateKind[] = Object.keys(STATE_FILES) as StateKind[]; // the keys of a literal object: exactly StateKind

export function fieldOf(row: Readonly<Record<string, unknown>>, column: string): string {
  const value = row[column];
  if (typeof value !== "string") throw new TypeError(`state row is missing the "${column}" field`);
  return value;
}
