import type { TaskRun } from "./backup/task/deps.js";
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
  /** The task flags it takes (task-flags.ts's names, e.g. `--dry-run`); `<task> --help` shows only these. */
  readonly flags?: readonly string[];
  /**
   * Takes no lock and writes nothing (doctor, status): it runs beside a backup holding the lock. status only peeks at
   * the local state files (no mirror pulled with QDRANT_STATE_S3_PREFIX).
   */
  readonly stateless?: boolean;
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
const createFullSnap = lazy(() => import("./commands/create_full_snap.js"));
const getFullSnap = lazy(() => import("./commands/get_full_snap.js"));
const recoverFullSnap = lazy(() => import("./commands/recover_full_snap.js"));
const downloadSnap = lazy(() => import("./commands/download_snap.js"));
const uploadSnap = lazy(() => import("./commands/upload_snap.js"));
const createSnapShards = lazy(() => import("./commands/create_snap_shards.js"));
const pruneSnap = lazy(() => import("./commands/prune_snap.js"));
const doctor = lazy(() => import("./commands/doctor.js"));
const recoverSnapShards = lazy(() => import("./commands/recover_snap_shards.js"));
const status = lazy(() => import("./commands/status.js"));
const drill = lazy(() => import("./commands/drill.js"));

const HTTP: VariableName[] = ["QDRANT_API_KEY", "CURL_TIMEOUT", "QDRANT_RETRIES"];
const S3: VariableName[] = [
  "QDRANT_S3_ENDPOINT_URL",
  "QDRANT_S3_ACCESS_KEY_ID",
  "QDRANT_S3_SECRET_ACCESS_KEY",
  "QDRANT_S3_BUCKET_NAME",
  "QDRANT_S3_REGION",
];
/** The backup destination: the bucket or a directory. */
const DEST: VariableName[] = [...S3, "QDRANT_BACKUP_DIR"];
const STATE: VariableName[] = ["QDRANT_STATE_DIR", "QDRANT_STATE_S3_PREFIX"];
const HOSTS: VariableName[] = ["QDRANT_SOURCE_HOSTS", "QDRANT_RESTORE_HOSTS", "QDRANT_HTTP_PORT"];
/** What the restore of a backup set reads (recover_snap_shards; drill's set restores). */
const SET_RESTORE: VariableName[] = [
  "QDRANT_RESTORE_HOSTS",
  "QDRANT_HTTP_PORT",
  ...DEST,
  "QDRANT_RECOVER_VIA",
  "QDRANT_S3_LINK_EXPIRY_DURATION",
  "QDRANT_SNAPSHOT_DATETIME_FILTER",
  "QDRANT_RESTORE_FORCE",
  "QDRANT_SKIP_VERSION_CHECK",
  "QDRANT_VERIFY_TOLERANCE_PCT",
  "QDRANT_VERIFY_GREEN_TIMEOUT_SECONDS",
  "QDRANT_VERIFY_POLL_INTERVAL_SECONDS",
  "QDRANT_VERIFY_SAMPLE_POINTS",
  "QDRANT_LOCK_TTL",
  "QDRANT_CONCURRENCY",
  "QDRANT_PER_HOST_CONCURRENCY",
  ...HTTP,
  ...STATE,
];

export const TASKS: readonly TaskDef[] = [
  {
    name: "get_coll",
    aliases: ["get_collection"],
    run: getColl,
    needs: ["source"],
    summary: "list the collections of every source host into the collections file (skipped when it has rows)",
    variables: ["QDRANT_SOURCE_HOSTS", ...HTTP, ...STATE],
  },
  {
    name: "create_snap",
    aliases: ["create_snapshot"],
    flags: ["--only-failed"],
    run: createSnap,
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
  },
  {
    name: "create_snap_shards",
    aliases: [],
    flags: ["--dry-run"],
    run: createSnapShards,
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
  },
  {
    name: "get_snap",
    aliases: ["get_snapshot"],
    run: getSnap,
    needs: [],
    summary: "list the snapshots of each collection on its host into the snapshots file (skipped when it has rows)",
    variables: ["QDRANT_SOURCE_HOSTS", "QDRANT_SNAPSHOT_DATETIME_FILTER", "QDRANT_CONCURRENCY", ...HTTP, ...STATE],
  },
  {
    name: "get_snap_s3",
    aliases: ["get_snapshot_s3"],
    run: getSnapS3,
    needs: ["destination"],
    summary: "list the snapshots stored in the bucket into the snapshots file",
    variables: [...DEST, "QDRANT_SNAPSHOT_DATETIME_FILTER", "QDRANT_CONCURRENCY", "QDRANT_RETRIES", ...STATE],
  },
  {
    name: "recover_snap",
    aliases: ["recover_snapshot"],
    run: recoverSnap,
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
  },
  {
    name: "recover_snap_shards",
    aliases: [],
    flags: ["--collection", "--as"],
    run: recoverSnapShards,
    needs: ["restore", "destination"],
    summary:
      "restore each collection's newest backup set (or the newest matching the filter) onto each cluster of the restore hosts, shard by shard, after pre-flight and gates, then verify it: one VERIFIED or FAILED line per collection (resumable)",
    variables: SET_RESTORE,
  },
  {
    name: "get_colla",
    aliases: ["get_collection_alias"],
    run: getColla,
    needs: ["source"],
    summary: "save the aliases of every source host into the collection_aliases file",
    variables: ["QDRANT_SOURCE_HOSTS", ...HTTP, ...STATE],
  },
  {
    name: "recover_colla",
    aliases: ["recover_collection_alias"],
    flags: ["--dry-run"],
    run: recoverColla,
    needs: ["restore"],
    summary: "create the saved aliases on every restore host (fetches them from the source first when none are saved)",
    variables: ["QDRANT_RESTORE_HOSTS", "QDRANT_SOURCE_HOSTS", "QDRANT_CONCURRENCY", ...HTTP, ...STATE],
  },
  {
    name: "create_full_snap",
    aliases: ["create_full_snapshot"],
    run: createFullSnap,
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
  },
  {
    name: "get_full_snap",
    aliases: ["get_full_snapshot"],
    run: getFullSnap,
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
  },
  {
    name: "recover_full_snap",
    aliases: ["recover_full_snapshot"],
    flags: ["--snapshot", "--host", "--file"],
    run: recoverFullSnap,
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
  },
  {
    name: "download_snap",
    aliases: ["download_snapshot"],
    flags: ["--collection", "--snapshot", "--shard", "--full", "--host", "--from-store", "--file", "--checksum"],
    run: downloadSnap,
    needs: [],
    summary:
      "download one snapshot (collection, shard or full) from a node or the destination to a file, checksummed, resumable",
    variables: ["QDRANT_SOURCE_HOSTS", ...DEST, ...HTTP],
  },
  {
    name: "upload_snap",
    aliases: ["upload_snapshot"],
    flags: ["--collection", "--snapshot", "--shard", "--file", "--checksum", "--priority", "--force"],
    run: uploadSnap,
    needs: ["restore"],
    summary: "recover a collection (or shard) on every restore host from a local snapshot file, by upload",
    variables: ["QDRANT_RESTORE_HOSTS", "QDRANT_WAIT_ON_TASK", "QDRANT_CONCURRENCY", ...HTTP, ...STATE],
  },
  {
    name: "prune_snap",
    aliases: ["prune_snapshot"],
    flags: ["--confirm", "--dry-run", "--legacy", "--force"],
    run: pruneSnap,
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
  },
  {
    name: "reset",
    aliases: [],
    flags: ["--bkp", "--dry-run"],
    run: reset,
    needs: [],
    summary: "delete the state files (and their copies in the bucket), or keep them as .bkp copies with --bkp true",
    variables: [...STATE, ...S3],
  },
  {
    name: "drill",
    aliases: [],
    flags: ["--collection", "--all"],
    run: drill,
    needs: ["restore", "destination"],
    summary:
      "restore drill: restore the newest backup (a set, else legacy snapshots) of --collection NAME, or of every backed-up collection with --all, onto the restore hosts under a scratch name ({collection}__drill_{time}), verify it as a restore does, delete it, and record the evidence in drill_history; leftover scratches of killed drills are removed first; exit 0 only when every drill passed",
    // recover_snap_shards' for a set (a fresh scratch never needs FORCE), QDRANT_VERIFY_TIMEOUT for legacy snapshots.
    variables: [...SET_RESTORE.filter((v) => v !== "QDRANT_RESTORE_FORCE"), "QDRANT_VERIFY_TIMEOUT"],
  },
  {
    name: "doctor",
    aliases: [],
    flags: ["--probe-write"],
    run: doctor,
    needs: [],
    stateless: true,
    summary:
      "check the variables, every Qdrant host (reachable, version, API key, write access, cluster peers) and the destination (bucket, list, put/get/delete, multipart, presigned URL, clock skew, conditional writes), one line each; --probe-write also checks that Qdrant writes its snapshots to the bucket; exit 0 only when none fails",
    variables: [...HOSTS, ...DEST, "QDRANT_SNAPSHOT_TRANSFER", "QDRANT_STATE_S3_PREFIX", ...HTTP],
  },
  {
    name: "status",
    aliases: [],
    run: status,
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
  },
];

const BY_NAME = new Map(TASKS.flatMap((t) => [t.name, ...t.aliases].map((n) => [n, t] as const)));

/** The task for a name or long alias, or undefined. */
export function findTask(name: string): TaskDef | undefined {
  return BY_NAME.get(name);
}
