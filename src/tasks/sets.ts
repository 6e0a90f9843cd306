// The tasks of backup sets (one snapshot per shard and a manifest): back up and restore. In tasks.ts's order.
import { DEST, HTTP, lazy, SET_RESTORE, STATE, type TaskDef } from "./task-def.js";

export const createSnapShardsTask: TaskDef = {
  name: "create_snap_shards",
  aliases: [],
  flags: ["--dry-run"],
  run: lazy(() => import("../commands/create_snap_shards.js")),
  needs: ["source", "destination"],
  summary:
    "back up every collection as a set: one snapshot per shard on an Active replica (round-robin over the peers), confirmed in the destination, then the manifest backup_manifests/{c}/{set_id}.json last; --dry-run shows the plan",
  variables: [
    "QDRANT_SOURCE_HOSTS",
    "QDRANT_HTTP_PORT",
    ...DEST,
    "QDRANT_SNAPSHOT_TRANSFER",
    "QDRANT_CONCURRENCY",
    "QDRANT_PER_HOST_CONCURRENCY",
    "QDRANT_VERIFY_TIMEOUT",
    "GIT_REF",
    "QDRANT_WAIT_ON_TASK",
    ...HTTP,
    ...STATE,
  ],
};

export const recoverSnapShardsTask: TaskDef = {
  name: "recover_snap_shards",
  aliases: [],
  flags: ["--collection", "--as"],
  run: lazy(() => import("../commands/recover_snap_shards.js")),
  needs: ["restore", "destination"],
  summary:
    "restore each collection's newest backup set (or the newest matching the filter) onto each cluster of the restore hosts, shard by shard, after pre-flight and gates, then verify it: one VERIFIED or FAILED line per collection (resumable)",
  variables: SET_RESTORE,
};
