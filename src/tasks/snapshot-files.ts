// The tasks that move one snapshot between a node or the destination and a local file. In tasks.ts's order.
import { DEST, HTTP, lazy, STATE, type TaskDef } from "./task-def.js";

export const downloadSnapTask: TaskDef = {
  name: "download_snap",
  aliases: ["download_snapshot"],
  flags: ["--collection", "--snapshot", "--shard", "--full", "--host", "--from-store", "--file", "--checksum"],
  run: lazy(() => import("../commands/download_snap.js")),
  needs: [],
  summary:
    "download one snapshot (collection, shard or full) from a node or the destination to a file, checksummed, resumable",
  variables: ["QDRANT_SOURCE_HOSTS", ...DEST, ...HTTP],
};

export const uploadSnapTask: TaskDef = {
  name: "upload_snap",
  aliases: ["upload_snapshot"],
  flags: ["--collection", "--snapshot", "--shard", "--file", "--checksum", "--priority", "--force"],
  run: lazy(() => import("../commands/upload_snap.js")),
  needs: ["restore"],
  summary: "recover a collection (or shard) on every restore host from a local snapshot file, by upload",
  variables: ["QDRANT_RESTORE_HOSTS", "QDRANT_WAIT_ON_TASK", "QDRANT_CONCURRENCY", ...HTTP, ...STATE],
};
