// The shape of the validated config: every field a run reads, built and checked by buildConfig (config.ts).
import type { SetsConfig } from "./sets-config.js";
import type { RestoreConfig } from "./restore-config.js";

/** Everything a run needs, validated and frozen before the first request. */
export interface Config {
  readonly apiKey: string | undefined;
  readonly sourceHosts: readonly string[];
  readonly restoreHosts: readonly string[];
  readonly s3: {
    readonly endpoint: string | undefined;
    readonly accessKeyId: string | undefined;
    readonly secretAccessKey: string | undefined;
    readonly bucket: string | undefined;
    readonly region: string;
  };
  readonly discoverPeers: boolean;
  /** Time limit of one HTTP request, in ms (CURL_TIMEOUT). */
  readonly requestTimeoutMs: number;
  readonly waitOnTask: boolean;
  /** Presigned URL lifetime, seconds. */
  readonly linkExpirySeconds: number;
  readonly snapshotFilter: string;
  readonly httpPort: number;
  readonly stateDir: string;
  /** The CLI's working directory (absolute): file options such as --file are relative to it. */
  readonly cwd: string;
  /** Key prefix (ending in `/`) of the state files' copies in the bucket; undefined = not mirrored. */
  readonly stateS3Prefix: string | undefined;
  /** Local directory destination (QDRANT_BACKUP_DIR), absolute; undefined = none. */
  readonly backupDir: string | undefined;
  /** Stream new snapshots from the nodes into the destination (QDRANT_SNAPSHOT_TRANSFER). */
  readonly transfer: boolean;
  readonly deleteAfterTransfer: boolean;
  /** How a restore host gets a snapshot: a presigned URL it downloads, or an upload streamed by the tool. */
  readonly recoverVia: "url" | "upload";
  readonly verifyAfterRecover: boolean;
  /** How long a recovered collection may take to turn green, ms. */
  readonly verifyTimeoutMs: number;
  /** Percentage widening the point-count range of a snapshot taken while its collection was written to (0 = none). */
  readonly verifyTolerancePct: number;
  /** prune_snap's retention counts (0 = that rule keeps nothing). */
  readonly keep: {
    readonly last: number;
    readonly daily: number;
    readonly weekly: number;
    readonly monthly: number;
    readonly yearly: number;
  };
  /** prune_snap refuses to delete more than this percentage of a group without --force. */
  readonly pruneMaxDeletePct: number;
  /** Backup sets (create_snap_shards, prune_snap): retention by count, the orphan sweep, --legacy, provenance. */
  readonly sets: SetsConfig;
  /** recover_snap_shards: FORCE, the version gate, and the budget and depth of its verification. */
  readonly restore: RestoreConfig;
  readonly concurrency: number;
  readonly perHostConcurrency: number;
  readonly retries: number;
  /** Time to live of the local lock's heartbeat and of the state lease (QDRANT_LOCK_TTL), seconds; both renewed every third of it while a run lasts. */
  readonly lockTtlSeconds: number;
  /** status: hours after which a collection's newest backup is stale (QDRANT_STATUS_MAX_AGE_HOURS). */
  readonly statusMaxAgeHours: number;
  /** Base URL of the Pushgateway the run's metrics go to (QDRANT_PUSHGATEWAY_URL), no trailing slash; undefined = none. */
  readonly pushgatewayUrl: string | undefined;
  /** Seconds between plain progress lines when stderr is not a terminal (QDRANT_PROGRESS_INTERVAL); 0 = none. */
  readonly progressIntervalSeconds: number;
  /** The log lines' format (QDRANT_LOG_FORMAT); --log-format wins. */
  readonly logFormat: "text" | "json";
}
