// The variables of backup sets: the manifest's created_by and the restore of a set with its gates and checks. A group
// of VARIABLES (variables.ts).
import type { VariableSpec } from "./spec.js";

export const BACKUP_SET_VARIABLES = [
  {
    name: "GIT_REF",
    default: "unknown",
    description: "recorded in each backup-set manifest's created_by (qdrant-backup-restore@GIT_REF)",
  },
  {
    name: "QDRANT_RESTORE_FORCE",
    default: "false",
    description:
      "recover_snap_shards: exactly true or false; true deletes and recreates a target collection holding data, and repoints aliases owned by another collection (a resumable restore is resumed, never deleted)",
  },
  {
    name: "QDRANT_SKIP_VERSION_CHECK",
    default: "false",
    description:
      "recover_snap_shards: exactly true or false; true restores onto any Qdrant version, not only the backup's minor or the next",
  },
  {
    name: "QDRANT_VERIFY_GREEN_TIMEOUT_SECONDS",
    default: "1800",
    description:
      "recover_snap_shards: how long a restored collection may take to turn green, reach its point count and settle its replicas, seconds",
  },
  {
    name: "QDRANT_VERIFY_POLL_INTERVAL_SECONDS",
    default: "5",
    description: "recover_snap_shards: seconds between two polls of the checks after a restore (at least 1)",
  },
  {
    name: "QDRANT_VERIFY_SAMPLE_POINTS",
    default: "300",
    description:
      "recover_snap_shards: random points read back with payload and vectors after a restore (0 = none, logged loudly)",
  },
] as const satisfies readonly VariableSpec[];
