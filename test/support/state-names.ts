/**
 * The bash tool's six state file names, written out literally (not taken from src/) so the tests pin them.
 */
export const STATE_FILE_NAMES = [
  "collections",
  "snapshots",
  "collection_aliases",
  "snapshot_recovery_history",
  "failed_snapshot_recovery",
  "alias_recovery_history",
] as const;
export type StateFileName = (typeof STATE_FILE_NAMES)[number];

/** The state file the bash tool's per-shard generation added (the restore of sets), written out literally too. */
export const SET_STATE_FILE_NAMES = ["shard_recovery_history"] as const;

/** This tool's own state files (not in the bash tool), written out literally too. */
export const TOOL_STATE_FILE_NAMES = [
  "full_snapshots",
  "pruned_snapshots",
  "drill_history",
  "snapshot_failures",
] as const;
