// What the local lock of the state directory is taken with.
import type { LockedError } from "../errors.js";
import type { Logger } from "../log.js";

export interface LocalLockOptions {
  /** The state directory (created when missing). */
  dir: string;
  /** The tasks of this run, recorded for whoever finds the lock. */
  tasks: readonly string[];
  /** Remove any lock first (with a warning naming its holder). */
  breakLock: boolean;
  /** QDRANT_LOCK_TTL in ms: a heartbeat older than this is stale; ours is refreshed every ttlMs/3. */
  ttlMs: number;
  log: Pick<Logger, "warn">;
  /** Called once when the run loses its lock (heartbeat not refreshed within the TTL, or the file replaced). */
  onLost?: (error: LockedError) => void;
  /** Refresh the heartbeat on a timer (default true; tests call {@link LocalLock.refresh} themselves). */
  autoRefresh?: boolean;
  /** Default: the system clock. */
  clock?: () => Date;
  /** Default: os.hostname(). */
  host?: string;
  /** Default: process.pid. */
  pid?: number;
  /** Whether a PID of this host runs; default: process.kill(pid, 0) (ESRCH = gone). */
  isAlive?: (pid: number) => boolean;
}
