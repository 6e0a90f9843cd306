// The tasks of full-storage snapshots (POST /snapshots): create, list, restore. In tasks.ts's order.
import { DEST, HTTP, lazy, STATE, type TaskDef } from "./task-def.js";

export const createFullSnapTask: TaskDef = {
  name: "create_full_snap",
  aliases: ["create_full_snapshot"],
  run: lazy(() => import("../commands/create_full_snap.js")),
  needs: ["source"],
  summary: "snapshot the whole storage of every source host (POST /snapshots) and record it in full_snapshots",
  variables: [
    "QDRANT_SOURCE_HOSTS",
    "QDRANT_WAIT_ON_TASK",
    "QDRANT_SNAPSHOT_TRANSFER",
    "QDRANT_DELETE_AFTER_TRANSFER",
    "QDRANT_CONCURRENCY",
    ...DEST,
    ...HTTP,
    ...STATE,
  ],
};

export const getFullSnapTask: TaskDef = {
  name: "get_full_snap",
  aliases: ["get_full_snapshot"],
  run: lazy(() => import("../commands/get_full_snap.js")),
  needs: ["source"],
  summary:
    "list the full-storage snapshots of every source host (and, in transfer mode, their copies in the destination) into full_snapshots",
  variables: [
    "QDRANT_SOURCE_HOSTS",
    "QDRANT_SNAPSHOT_DATETIME_FILTER",
    "QDRANT_SNAPSHOT_TRANSFER",
    "QDRANT_CONCURRENCY",
    ...DEST,
    ...HTTP,
    ...STATE,
  ],
};

export const recoverFullSnapTask: TaskDef = {
  name: "recover_full_snap",
  aliases: ["recover_full_snapshot"],
  flags: ["--snapshot", "--host", "--file"],
  run: lazy(() => import("../commands/recover_full_snap.js")),
  needs: ["restore"],
  summary:
    "restore one full-storage snapshot (--file, or the newest in full_snapshots) onto running nodes: each collection by upload, then the aliases (resumable)",
  variables: [
    "QDRANT_RESTORE_HOSTS",
    "QDRANT_SOURCE_HOSTS",
    "QDRANT_SNAPSHOT_DATETIME_FILTER",
    "QDRANT_SNAPSHOT_TRANSFER",
    "QDRANT_WAIT_ON_TASK",
    "QDRANT_CONCURRENCY",
    ...DEST,
    ...HTTP,
    ...STATE,
  ],
};
