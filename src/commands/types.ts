import type { Config } from "../config.js";
import type { ExitCode } from "../errors.js";
import type { Logger } from "../log.js";
import type { QdrantClient } from "../qdrant/client.js";
import type { SnapshotStore } from "../store/types.js";
import type { StateStore } from "../state/files.js";
import type { StateMirror } from "../state/mirror.js";

/** Everything a command may touch. Commands never print, read the environment or exit. */
export interface Deps {
  readonly config: Config;
  readonly qdrant: QdrantClient;
  /** The backup destination (the bucket, or QDRANT_BACKUP_DIR); created on first use, so tasks without one need no settings. */
  readonly store: () => SnapshotStore;
  readonly state: StateStore;
  /** The copies of the state files in the bucket (QDRANT_STATE_S3_PREFIX); undefined when not mirrored. */
  readonly stateMirror?: StateMirror;
  readonly log: Logger;
  readonly clock: () => Date;
  readonly signal: AbortSignal;
}

/** Per-task options from the command line. */
export interface TaskOptions {
  /** reset: rename the state files to `.bkp` copies instead of deleting them. */
  readonly bkp?: boolean;
}

/** What a task did, for the summary line, `--json` and the exit code. */
export interface TaskSummary {
  task: string;
  done: number;
  skipped: number;
  failed: number;
  accepted: number;
  /** The one-line summary printed at the end of the task. */
  message: string;
  /** One entry per item touched, for --json. */
  items: Record<string, string>[];
  /** 0, or 3 when some items failed. */
  exitCode: ExitCode;
}

export type TaskRun = (options: TaskOptions, deps: Deps) => Promise<TaskSummary>;
