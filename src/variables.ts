/**
 * Every environment variable the tool reads, in one table, with the one copy of each default: config.ts parses an
 * unset variable's default from here. --help, README.md, .env.sample and the k8s manifests are checked against it by
 * tests, so a variable cannot be added in one place and forgotten in another.
 */
export interface VariableSpec {
  readonly name: string;
  /** Default as the user would write it; undefined = no default. */
  readonly default?: string;
  readonly secret?: boolean;
  readonly description: string;
}

export const VARIABLES = [
  { name: "QDRANT_API_KEY", secret: true, description: "Qdrant API key, sent as the api-key header; empty = no key" },
  { name: "QDRANT_SOURCE_HOSTS", description: "comma-separated base URLs of the source Qdrant hosts (backup)" },
  { name: "QDRANT_RESTORE_HOSTS", description: "comma-separated base URLs of the Qdrant hosts to restore onto" },
  { name: "QDRANT_S3_ENDPOINT_URL", description: "S3-compatible endpoint (path-style); empty = AWS S3" },
  {
    name: "QDRANT_S3_ACCESS_KEY_ID",
    description: "S3 access key id; empty together with the secret = the AWS default credential chain",
  },
  { name: "QDRANT_S3_SECRET_ACCESS_KEY", secret: true, description: "S3 secret access key" },
  { name: "QDRANT_S3_BUCKET_NAME", description: "bucket where Qdrant stores snapshots (Qdrant's S3 snapshot storage)" },
  { name: "QDRANT_S3_REGION", default: "us-east-1", description: "S3 region used for signing" },
  {
    name: "GET_PEERS_FROM_CLUSTER_INFO",
    default: "false",
    description: "true: discover the cluster peers from GET /cluster on the first source host",
  },
  {
    name: "CURL_TIMEOUT",
    default: "1800",
    description:
      "time limit of each request to Qdrant and to S3, seconds or a duration (30s, 30m, 1h); a streamed snapshot transfer fails after this long without a byte instead; connecting takes at most min(30 s, this)",
  },
  { name: "QDRANT_WAIT_ON_TASK", default: "true", description: "wait=true|false on snapshot create and recover" },
  {
    name: "QDRANT_S3_LINK_EXPIRY_DURATION",
    default: "3600",
    description: "lifetime of presigned URLs: seconds or a duration (3600s, 60m, 1h); at most 7 days",
  },
  {
    name: "QDRANT_SNAPSHOT_DATETIME_FILTER",
    default: "",
    description: "only snapshots whose name contains this text, or matches it as a glob (* and ?) when it has one",
  },
  {
    name: "QDRANT_HTTP_PORT",
    default: "6333",
    description: "HTTP port put into peer URIs discovered from /cluster (those carry the p2p port)",
  },
  { name: "QDRANT_STATE_DIR", default: ".", description: "directory of the state files (--state-dir wins)" },
  {
    name: "QDRANT_STATE_S3_PREFIX",
    default: "",
    description:
      "mirror the state files to this prefix of QDRANT_S3_BUCKET_NAME (e.g. state/prod-backup/): downloaded at start, uploaded after every change; empty = local only",
  },
  {
    name: "QDRANT_BACKUP_DIR",
    default: "",
    description:
      "a local directory as the backup destination, with the bucket's key layout (set it or QDRANT_S3_BUCKET_NAME, not both)",
  },
  {
    name: "QDRANT_SNAPSHOT_TRANSFER",
    default: "false",
    description:
      "true: stream each new snapshot from the node into the destination, with SHA-256 (for nodes keeping snapshots on local disk)",
  },
  {
    name: "QDRANT_DELETE_AFTER_TRANSFER",
    default: "false",
    description: "true: delete the node's copy once its transfer is verified",
  },
  {
    name: "QDRANT_RECOVER_VIA",
    default: "url",
    description:
      "url: the node downloads a presigned URL (with checksum); upload: the tool streams the snapshot into the node (needed for QDRANT_BACKUP_DIR)",
  },
  {
    name: "QDRANT_VERIFY_AFTER_RECOVER",
    default: "true",
    description:
      "check each recovered collection: status, point count (exact, or within the range counted before and after the snapshot) and vectors config against the backup metadata, a payload scroll",
  },
  {
    name: "QDRANT_VERIFY_TIMEOUT",
    default: "300",
    description: "how long a recovered collection may take to turn green: seconds or a duration",
  },
  {
    name: "QDRANT_VERIFY_TOLERANCE_PCT",
    default: "0",
    description:
      "a snapshot taken while its collection was written to: widen its before/after point-count range by this percentage (a number >= 0)",
  },
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
  {
    name: "QDRANT_CONCURRENCY",
    default: "8",
    description:
      "work items running at once over all hosts (a snapshot create or recover of one collection on one host, a listing, a transfer)",
  },
  {
    name: "QDRANT_PER_HOST_CONCURRENCY",
    default: "1",
    description: "snapshot create or recover calls running at once against one Qdrant host",
  },
  {
    name: "QDRANT_RETRIES",
    default: "3",
    description:
      "how many times a failed request to Qdrant or S3 is tried again; a call that changes Qdrant is checked first, never re-sent blindly (README: Timeouts and retries)",
  },
  {
    name: "QDRANT_LOCK_TTL",
    default: "600",
    description:
      "time to live of the local lock's heartbeat and of the state lease in the bucket (with QDRANT_STATE_S3_PREFIX), seconds or a duration; both are renewed every third of it while a run lasts, and taken over by the next run once older than it; a run that could not renew its lease stops (exit 5) a tenth of it before it expires",
  },
  {
    name: "QDRANT_STATUS_MAX_AGE_HOURS",
    default: "24",
    description:
      "status: a collection of the source hosts whose newest backup (legacy snapshot or backup set) is older than this many hours is reported stale (exit 3); at least 1",
  },
  {
    name: "QDRANT_PUSHGATEWAY_URL",
    default: "",
    description:
      "base URL of a Prometheus Pushgateway: at the end of every run the run's metrics are pushed to <url>/metrics/job/qdrant_backup_restore/tasks/<tasks>; empty = no push",
  },
  {
    name: "QDRANT_PROGRESS_INTERVAL",
    default: "30",
    description:
      "when stderr is not a terminal, a plain progress line every this many seconds (or a duration) or at every tenth of a task's items, whichever comes first; 0 = none (on a terminal the display is live)",
  },
  {
    name: "QDRANT_LOG_FORMAT",
    default: "text",
    description:
      "text: [YYYY-MM-DD HH:MM:SS] message lines; json: one JSON object per line (time, level, task, host, collection, message); --log-format wins",
  },
  {
    name: "MC_CONFIG_DIR",
    description: "accepted and ignored (the bash tool's mc config directory; this tool has no mc)",
  },
] as const satisfies readonly VariableSpec[];

export type VariableName = (typeof VARIABLES)[number]["name"];

export const VARIABLE_NAMES: ReadonlySet<string> = new Set(VARIABLES.map((v) => v.name));

/** The variables that have a default in VARIABLES. */
export type DefaultedVariable = Extract<(typeof VARIABLES)[number], { default: string }>["name"];

const DEFAULTS: ReadonlyMap<string, string> = new Map(
  VARIABLES.flatMap((v) => ("default" in v ? [[v.name, v.default] as const] : [])),
);

/** The default of `name`, as the user would write it (config.ts parses it like a value from the environment). */
export function defaultOf(name: DefaultedVariable): string {
  const value = DEFAULTS.get(name);
  if (value === undefined) throw new Error(`${name} has no default in VARIABLES`);
  return value;
}
