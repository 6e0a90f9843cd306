// The shape of a task definition, its lazy loader and the variable groups the task families share (tasks.ts).
import type { TaskRun } from "../backup/task/deps.js";
import type { Need } from "../config.js";
import type { VariableName } from "../variables.js";

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
export function lazy(load: () => Promise<{ run: TaskRun }>): TaskRun {
  return async (options, deps) => (await load()).run(options, deps);
}

export const HTTP: VariableName[] = ["QDRANT_API_KEY", "CURL_TIMEOUT", "QDRANT_RETRIES"];
export const S3: VariableName[] = [
  "QDRANT_S3_ENDPOINT_URL",
  "QDRANT_S3_ACCESS_KEY_ID",
  "QDRANT_S3_SECRET_ACCESS_KEY",
  "QDRANT_S3_BUCKET_NAME",
  "QDRANT_S3_REGION",
];
/** The backup destination: the bucket or a directory. */
export const DEST: VariableName[] = [...S3, "QDRANT_BACKUP_DIR"];
export const STATE: VariableName[] = ["QDRANT_STATE_DIR", "QDRANT_STATE_S3_PREFIX"];
export const HOSTS: VariableName[] = ["QDRANT_SOURCE_HOSTS", "QDRANT_RESTORE_HOSTS", "QDRANT_HTTP_PORT"];
/** What the restore of a backup set reads (recover_snap_shards; drill's set restores). */
export const SET_RESTORE: VariableName[] = [
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
