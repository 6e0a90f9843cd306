// The tasks of legacy (per-collection, per-peer) snapshots and collection aliases: list, create, recover. In tasks.ts's order.
import { DEST, HTTP, lazy, STATE, type TaskDef } from "./task-def.js";

export const getCollTask: TaskDef = {
  name: "get_coll",
  aliases: ["get_collection"],
  run: lazy(() => import("../commands/get_coll.js")),
  needs: ["source"],
  summary: "list the collections of every source host into the collections file (skipped when it has rows)",
  variables: ["QDRANT_SOURCE_HOSTS", ...HTTP, ...STATE],
};

export const createSnapTask: TaskDef = {
  name: "create_snap",
  aliases: ["create_snapshot"],
  flags: ["--only-failed"],
  run: lazy(() => import("../commands/create_snap.js")),
  needs: ["source"],
  summary:
    "snapshot every collection on every source host (or every peer holding it) and record the snapshots with their backup metadata; in transfer mode, stream each into the destination",
  variables: [
    "QDRANT_SOURCE_HOSTS",
    "GET_PEERS_FROM_CLUSTER_INFO",
    "QDRANT_HTTP_PORT",
    "QDRANT_WAIT_ON_TASK",
    ...DEST,
    "QDRANT_SNAPSHOT_TRANSFER",
    "QDRANT_DELETE_AFTER_TRANSFER",
    "QDRANT_CONCURRENCY",
    "QDRANT_PER_HOST_CONCURRENCY",
    ...HTTP,
    ...STATE,
  ],
};

export const getSnapTask: TaskDef = {
  name: "get_snap",
  aliases: ["get_snapshot"],
  run: lazy(() => import("../commands/get_snap.js")),
  needs: [],
  summary: "list the snapshots of each collection on its host into the snapshots file (skipped when it has rows)",
  variables: ["QDRANT_SOURCE_HOSTS", "QDRANT_SNAPSHOT_DATETIME_FILTER", "QDRANT_CONCURRENCY", ...HTTP, ...STATE],
};

export const getSnapS3Task: TaskDef = {
  name: "get_snap_s3",
  aliases: ["get_snapshot_s3"],
  run: lazy(() => import("../commands/get_snap_s3.js")),
  needs: ["destination"],
  summary: "list the snapshots stored in the bucket into the snapshots file",
  variables: [...DEST, "QDRANT_SNAPSHOT_DATETIME_FILTER", "QDRANT_CONCURRENCY", "QDRANT_RETRIES", ...STATE],
};

export const recoverSnapTask: TaskDef = {
  name: "recover_snap",
  aliases: ["recover_snapshot"],
  run: lazy(() => import("../commands/recover_snap.js")),
  needs: ["restore", "destination"],
  flags: ["--all", "--dry-run"],
  summary:
    "recover the newest listed snapshot of each collection and source peer (--all: every one, oldest first) onto every restore host by presigned URL or upload, then check each collection (resumable)",
  variables: [
    "QDRANT_RESTORE_HOSTS",
    ...DEST,
    "QDRANT_RECOVER_VIA",
    "QDRANT_S3_LINK_EXPIRY_DURATION",
    "QDRANT_VERIFY_AFTER_RECOVER",
    "QDRANT_VERIFY_TIMEOUT",
    "QDRANT_WAIT_ON_TASK",
    "QDRANT_SNAPSHOT_DATETIME_FILTER",
    "QDRANT_CONCURRENCY",
    "QDRANT_PER_HOST_CONCURRENCY",
    ...HTTP,
    ...STATE,
  ],
};

export const getCollaTask: TaskDef = {
  name: "get_colla",
  aliases: ["get_collection_alias"],
  run: lazy(() => import("../commands/get_colla.js")),
  needs: ["source"],
  summary: "save the aliases of every source host into the collection_aliases file",
  variables: ["QDRANT_SOURCE_HOSTS", ...HTTP, ...STATE],
};

export const recoverCollaTask: TaskDef = {
  name: "recover_colla",
  aliases: ["recover_collection_alias"],
  flags: ["--dry-run"],
  run: lazy(() => import("../commands/recover_colla.js")),
  needs: ["restore"],
  summary: "create the saved aliases on every restore host (fetches them from the source first when none are saved)",
  variables: ["QDRANT_RESTORE_HOSTS", "QDRANT_SOURCE_HOSTS", "QDRANT_CONCURRENCY", ...HTTP, ...STATE],
};
