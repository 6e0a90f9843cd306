import type { TaskRun } from "./commands/types.js";
import type { Need } from "./config.js";
import type { VariableName } from "./variables.js";

/** One task of the bash tool: its name, long alias, what it reads and what it needs configured. */
export interface TaskDef {
  readonly name: string;
  readonly aliases: readonly string[];
  readonly summary: string;
  /** Needed before the task starts. Some tasks need more only in some states (e.g. an empty state file). */
  readonly needs: readonly Need[];
  readonly variables: readonly VariableName[];
  readonly run: TaskRun;
}

/** A task's run(), loading its module (and through it undici and the AWS SDK) only when the task runs. */
function lazy(load: () => Promise<{ run: TaskRun }>): TaskRun {
  return async (options, deps) => (await load()).run(options, deps);
}

const createSnap = lazy(() => import("./commands/create_snap.js"));
const getColl = lazy(() => import("./commands/get_coll.js"));
const getColla = lazy(() => import("./commands/get_colla.js"));
const getSnap = lazy(() => import("./commands/get_snap.js"));
const getSnapS3 = lazy(() => import("./commands/get_snap_s3.js"));
const recoverColla = lazy(() => import("./commands/recover_colla.js"));
const recoverSnap = lazy(() => import("./commands/recover_snap.js"));
const reset = lazy(() => import("./commands/reset.js"));

const HTTP: VariableName[] = ["QDRANT_API_KEY", "CURL_TIMEOUT", "QDRANT_RETRIES"];
const S3: VariableName[] = ["QDRANT_S3_ENDPOINT_URL", "QDRANT_S3_ACCESS_KEY_ID", "QDRANT_S3_SECRET_ACCESS_KEY", "QDRANT_S3_BUCKET_NAME", "QDRANT_S3_REGION"];
/** The backup destination: the bucket or a directory. */
const DEST: VariableName[] = [...S3, "QDRANT_BACKUP_DIR"];
const STATE: VariableName[] = ["QDRANT_STATE_DIR", "QDRANT_STATE_S3_PREFIX"];

export const TASKS: readonly TaskDef[] = [
  {
    name: "get_coll", aliases: ["get_collection"], run: getColl, needs: ["source"],
    summary: "list the collections of every source host into the collections file (skipped when it has rows)",
    variables: ["QDRANT_SOURCE_HOSTS", ...HTTP, ...STATE],
  },
  {
    name: "create_snap", aliases: ["create_snapshot"], run: createSnap, needs: ["source"],
    summary: "snapshot every collection on every source host (or every peer holding it) and record the snapshots",
    variables: ["QDRANT_SOURCE_HOSTS", "GET_PEERS_FROM_CLUSTER_INFO", "QDRANT_HTTP_PORT", "QDRANT_WAIT_ON_TASK", "QDRANT_CONCURRENCY", "QDRANT_PER_HOST_CONCURRENCY", ...HTTP, ...STATE],
  },
  {
    name: "get_snap", aliases: ["get_snapshot"], run: getSnap, needs: [],
    summary: "list the snapshots of each collection on its host into the snapshots file (skipped when it has rows)",
    variables: ["QDRANT_SOURCE_HOSTS", "QDRANT_SNAPSHOT_DATETIME_FILTER", "QDRANT_CONCURRENCY", ...HTTP, ...STATE],
  },
  {
    name: "get_snap_s3", aliases: ["get_snapshot_s3"], run: getSnapS3, needs: ["destination"],
    summary: "list the snapshots stored in the bucket into the snapshots file",
    variables: [...DEST, "QDRANT_SNAPSHOT_DATETIME_FILTER", "QDRANT_CONCURRENCY", "QDRANT_RETRIES", ...STATE],
  },
  {
    name: "recover_snap", aliases: ["recover_snapshot"], run: recoverSnap, needs: ["restore", "destination"],
    summary: "recover every listed snapshot onto every restore host from a presigned URL (resumable)",
    variables: ["QDRANT_RESTORE_HOSTS", ...DEST, "QDRANT_S3_LINK_EXPIRY_DURATION", "QDRANT_WAIT_ON_TASK", "QDRANT_SNAPSHOT_DATETIME_FILTER", "QDRANT_CONCURRENCY", "QDRANT_PER_HOST_CONCURRENCY", ...HTTP, ...STATE],
  },
  {
    name: "get_colla", aliases: ["get_collection_alias"], run: getColla, needs: ["source"],
    summary: "save the aliases of every source host into the collection_aliases file",
    variables: ["QDRANT_SOURCE_HOSTS", ...HTTP, ...STATE],
  },
  {
    name: "recover_colla", aliases: ["recover_collection_alias"], run: recoverColla, needs: ["restore"],
    summary: "create the saved aliases on every restore host (fetches them from the source first when none are saved)",
    variables: ["QDRANT_RESTORE_HOSTS", "QDRANT_SOURCE_HOSTS", "QDRANT_CONCURRENCY", ...HTTP, ...STATE],
  },
  {
    name: "reset", aliases: [], run: reset, needs: [],
    summary: "delete the state files (and their copies in the bucket), or keep them as .bkp copies with --bkp true",
    variables: [...STATE, ...S3],
  },
];

const BY_NAME = new Map(TASKS.flatMap((t) => [t.name, ...t.aliases].map((n) => [n, t] as const)));

/** The task for a name or long alias, or undefined. */
export function findTask(name: string): TaskDef | undefined {
  return BY_NAME.get(name);
}
