import type { Config } from "../../config.js";
import type { ExitCode } from "../../errors.js";
import type { Logger } from "../../log.js";
import type { ProgressReporter } from "./progress.js";
import type { QdrantClient } from "../../qdrant/client.js";
import type { SnapshotStore } from "../../store/types.js";
import type { StateStore } from "../../state/files.js";
import type { StateMirror } from "../../state/mirror.js";
import type { LeaseObjects } from "../../state/lease-options.js";

/** Everything a command may touch. Commands never print, read the environment or exit. */
export interface Deps {
  readonly config: Config;
  readonly qdrant: QdrantClient;
  /** The backup destination (the bucket, or QDRANT_BACKUP_DIR); created on first use, so tasks without one need no settings. */
  readonly store: () => SnapshotStore;
  readonly state: StateStore;
  /** The copies of the state files in the bucket (QDRANT_STATE_S3_PREFIX); undefined when not mirrored. */
  readonly stateMirror?: StateMirror;
  /** The bucket's conditional writes for leases (recover_snap_shards' lock per target); undefined without a bucket. */
  readonly leaseObjects?: () => LeaseObjects;
  readonly log: Logger;
  /** Where the task's items are reported while it runs (their Tally forwards to it); none by default. */
  readonly progress?: ProgressReporter;
  readonly clock: () => Date;
  readonly signal: AbortSignal;
}

/** Per-task options from the command line (every task's subcommand accepts them all, so tasks can be chained). */
export interface TaskOptions {
  /** reset: rename the state files to `.bkp` copies instead of deleting them. */
  readonly bkp?: boolean;
  /** prune_snap: delete for real (the default is a dry run). */
  readonly confirm?: boolean;
  /**
   * create_snap_shards, recover_snap, recover_colla, reset: log the plan and change nothing (no Qdrant or S3 write, no
   * state file written); prune_snap: list only, even with --confirm.
   */
  readonly dryRun?: boolean;
  /** create_snap: only what failed in the last create_snap run (the snapshot_failures file). */
  readonly onlyFailed?: boolean;
  /** prune_snap: only the bash tool's day-0 cleanup of legacy collection snapshots (QDRANT_LEGACY_KEEP_RUNS). */
  readonly legacy?: boolean;
  /** prune_snap: delete even more than QDRANT_PRUNE_MAX_DELETE_PCT of a group. */
  readonly force?: boolean;
  /** recover_snap: every listed snapshot, oldest first (the default: the newest per collection and source peer). */
  readonly all?: boolean;
  /** download_snap / upload_snap: the collection; recover_snap_shards: only this collection. */
  readonly collection?: string;
  /** recover_snap_shards: restore the one collection under this name (aliases untouched). */
  readonly as?: string;
  /** download_snap: the snapshot's name. */
  readonly snapshot?: string;
  /** download_snap / upload_snap: a shard snapshot of this shard id. */
  readonly shard?: number;
  /** download_snap: a full-storage snapshot. */
  readonly full?: boolean;
  /** download_snap: the node to download from (default: the first source host). */
  readonly host?: string;
  /** download_snap: read from the backup destination instead of a node. */
  readonly fromStore?: boolean;
  /** download_snap: where to write (default ./<snapshot>); upload_snap: the snapshot file to upload. */
  readonly file?: string;
  /** download_snap: the expected SHA-256; upload_snap: passed to Qdrant, which verifies it. */
  readonly checksum?: string;
  /** upload_snap: Qdrant's recovery priority. */
  readonly priority?: "snapshot" | "replica" | "no_sync";
  /** doctor: also check that Qdrant writes its snapshots to the bucket (a probe collection, removed after). */
  readonly probeWrite?: boolean;
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
  /** Lines printed on stdout before the summary line (doctor's checks); not with --json, which has `items`. */
  report?: string[];
  /** One entry per item touched, for --json. */
  items: Record<string, string>[];
  /** 0, or 3 when some items failed (doctor: the code of its worst failed check). */
  exitCode: ExitCode;
}

export type TaskRun = (options: TaskOptions, deps: Deps) => Promise<TaskSummary>;
