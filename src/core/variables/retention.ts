// The variables of retention (prune_snap): the QDRANT_KEEP_* policy, its safety cap, backup-set retention and sweeps. A
// group of VARIABLES (variables.ts).
import type { VariableSpec } from "./spec.js";

export const RETENTION_VARIABLES = [
  { name: "QDRANT_KEEP_LAST", default: "0", description: "prune_snap: keep the newest N snapshots of each group" },
  {
    name: "QDRANT_KEEP_DAILY",
    default: "7",
    description: "prune_snap: keep the newest snapshot of each of the last N days (UTC) with one",
  },
  {
    name: "QDRANT_KEEP_WEEKLY",
    default: "4",
    description: "prune_snap: keep the newest snapshot of each of the last N ISO weeks with one",
  },
  {
    name: "QDRANT_KEEP_MONTHLY",
    default: "6",
    description: "prune_snap: keep the newest snapshot of each of the last N months with one",
  },
  {
    name: "QDRANT_KEEP_YEARLY",
    default: "0",
    description: "prune_snap: keep the newest snapshot of each of the last N years with one",
  },
  {
    name: "QDRANT_PRUNE_MAX_DELETE_PCT",
    default: "50",
    description: "prune_snap: refuse to delete more than this percentage of a group in one run (--force overrides)",
  },
  {
    name: "QDRANT_BACKUP_RETENTION_SETS",
    description:
      "backup sets: keep this many sets per collection, by count alone (the bash tool's rule; 0 = no automatic prune after create_snap_shards); unset = sets follow QDRANT_KEEP_* like snapshots",
  },
  {
    name: "QDRANT_SWEEP_GRACE_SECONDS",
    default: "172800",
    description:
      "backup sets: a shard snapshot no manifest references is swept only once older than this many seconds (at least 1; under 3600 warns)",
  },
  {
    name: "QDRANT_SWEEP_DELETE_CAP_PCT",
    default: "50",
    description:
      "backup sets: a sweep that would delete more than this percentage of a collection's shard snapshots deletes nothing (exit 3)",
  },
  {
    name: "QDRANT_LEGACY_KEEP_RUNS",
    default: "2",
    description: "prune_snap --legacy: keep the newest N collection snapshots per collection and peer (at least 1)",
  },
] as const satisfies readonly VariableSpec[];
