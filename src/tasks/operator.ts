// The operator tasks: retention, reset of the state files, restore drills, doctor and status. In tasks.ts's order.
import { DEST, HOSTS, HTTP, lazy, S3, SET_RESTORE, STATE, type TaskDef } from "./task-def.js";

export const pruneSnapTask: TaskDef = {
  name: "prune_snap",
  aliases: ["prune_snapshot"],
  flags: ["--confirm", "--dry-run", "--legacy", "--force"],
  run: lazy(() => import("../commands/prune_snap.js")),
  needs: [],
  summary:
    "apply the retention policy (QDRANT_KEEP_*) to the destination and the nodes, and to backup sets (then sweep their orphans); --legacy: keep QDRANT_LEGACY_KEEP_RUNS legacy snapshots per peer; a dry run, --confirm deletes",
  variables: [
    "QDRANT_KEEP_LAST",
    "QDRANT_KEEP_DAILY",
    "QDRANT_KEEP_WEEKLY",
    "QDRANT_KEEP_MONTHLY",
    "QDRANT_KEEP_YEARLY",
    "QDRANT_PRUNE_MAX_DELETE_PCT",
    "QDRANT_BACKUP_RETENTION_SETS",
    "QDRANT_SWEEP_GRACE_SECONDS",
    "QDRANT_SWEEP_DELETE_CAP_PCT",
    "QDRANT_LEGACY_KEEP_RUNS",
    "QDRANT_SOURCE_HOSTS",
    "GET_PEERS_FROM_CLUSTER_INFO",
    "QDRANT_HTTP_PORT",
    "QDRANT_CONCURRENCY",
    ...DEST,
    ...HTTP,
    ...STATE,
  ],
};

export const resetTask: TaskDef = {
  name: "reset",
  aliases: [],
  flags: ["--bkp", "--dry-run"],
  run: lazy(() => import("../commands/reset.js")),
  needs: [],
  summary: "delete the state files (and their copies in the bucket), or keep them as .bkp copies with --bkp true",
  variables: [...STATE, ...S3],
};

export const drillTask: TaskDef = {
  name: "drill",
  aliases: [],
  flags: ["--collection", "--all"],
  run: lazy(() => import("../commands/drill.js")),
  needs: ["restore", "destination"],
  summary:
    "restore drill: restore the newest backup (a set, else legacy snapshots) of --collection NAME, or of every backed-up collection with --all, onto the restore hosts under a scratch name ({collection}__drill_{time}), verify it as a restore does, delete it, and record the evidence in drill_history; leftover scratches of killed drills are removed first; exit 0 only when every drill passed",
  // recover_snap_shards' for a set (a fresh scratch never needs FORCE), QDRANT_VERIFY_TIMEOUT for legacy snapshots.
  variables: [...SET_RESTORE.filter((v) => v !== "QDRANT_RESTORE_FORCE"), "QDRANT_VERIFY_TIMEOUT"],
};

export const doctorTask: TaskDef = {
  name: "doctor",
  aliases: [],
  flags: ["--probe-write"],
  run: lazy(() => import("../commands/doctor.js")),
  needs: [],
  stateless: true,
  summary:
    "check the variables, every Qdrant host (reachable, version, API key, write access, cluster peers) and the destination (bucket, list, put/get/delete, multipart, presigned URL, clock skew, conditional writes), one line each; --probe-write also checks that Qdrant writes its snapshots to the bucket; exit 0 only when none fails",
  variables: [...HOSTS, ...DEST, "QDRANT_SNAPSHOT_TRANSFER", "QDRANT_STATE_S3_PREFIX", ...HTTP],
};

export const statusTask: TaskDef = {
  name: "status",
  aliases: [],
  run: lazy(() => import("../commands/status.js")),
  needs: ["destination"],
  stateless: true,
  summary:
    "what do I have: per collection the newest legacy snapshot and the newest backup set in the destination (age, size, source, Qdrant version, points, how many kept), the recoveries per restore host from the state files, and a warning for each collection of the source hosts without a backup newer than QDRANT_STATUS_MAX_AGE_HOURS (exit 3); reads only, takes no lock",
  variables: [
    ...DEST,
    "QDRANT_SOURCE_HOSTS",
    "QDRANT_STATUS_MAX_AGE_HOURS",
    "QDRANT_STATE_DIR",
    "QDRANT_CONCURRENCY",
    ...HTTP,
  ],
};
