/**
 * The local lock: one run at a time per state directory. `<stateDir>/.qdrant-backup-restore.lock` holds the
 * holder's host, PID, start time, tasks, runId and heartbeat as JSON.
 *
 * - It is written whole to a temporary file, fsync'ed, then hard-linked to its name: link() fails when the name
 *   exists (like O_EXCL), and the lock never appears half-written. File systems without hard links fall back to
 *   open(path, "wx").
 * - While the run lives its heartbeat is refreshed every QDRANT_LOCK_TTL/3: a whole new file renamed over the old one
 *   (never half-written), in the background, so a refresh that fails or hangs never stalls the run. A lock whose
 *   heartbeat is older than the TTL is stale whatever host it names (every Kubernetes pod has a new host name); so is
 *   one naming this host and a PID that is gone. A stale lock is taken over with a warning naming the old holder. A run
 *   that cannot refresh its heartbeat within the TTL, or finds its lock replaced, stops (exit 5): another run may hold
 *   the state by then.
 * - Two runs taking over the same stale lock cannot both win: the lock is renamed aside first, and only the run that
 *   moved the very bytes it judged stale goes on.
 * - An unreadable lock counts as held. `--break-lock` removes any lock, naming its holder.
 */
import { randomBytes } from "node:crypto";
import { readFileSync, unlinkSync } from "node:fs";
import { mkdir, readFile, rename, unlink } from "node:fs/promises";
import os from "node:os";
import { join } from "node:path";
import { LockedError, StateFileError } from "../errors.js";
import type { Logger } from "../log.js";
import { codeOf, messageOf } from "../lib/fs.js";
import { createExclusive, moveAsideIfSame, readLock, removeLock, writeSynced } from "./lock-files.js";
import type { LocalLockOptions } from "./lock-options.js";
import {
  describeHolder,
  formatAge,
  isPidAlive,
  parseHolder,
  staleReason,
  TOOL_NAME,
  type LockHolder,
} from "./lock-holder.js";

export { describeHolder, formatAge, isPidAlive, parseHolder, TOOL_NAME, type LockHolder } from "./lock-holder.js";
export type { LocalLockOptions } from "./lock-options.js";
export const LOCK_FILE_NAME = ".qdrant-backup-restore.lock";

/** Lock paths this process holds: a lock naming our own PID is then ours, not stale (several runs in one process). */
const heldHere = new Set<string>();
const ATTEMPTS = 5;
/** How long release() waits for a heartbeat write in flight (one that hangs, e.g. on a stuck network file system). */
const RELEASE_WAIT_MS = 2_000;

/** A lock this run holds; {@link release} removes it unless another run replaced it (--break-lock). */
export class LocalLock {
  private released = false;
  /** Set once the lock is lost: the run must stop and exit 5. */
  lost: LockedError | undefined;
  private timer: NodeJS.Timeout | undefined;
  private refreshing: Promise<void> | undefined;
  /** When the heartbeat on disk was last written, by our clock (ms). */
  private beatMs: number;
  constructor(
    readonly path: string,
    public holder: LockHolder,
    private bytes: Buffer,
    private readonly log: Pick<Logger, "warn">,
    private readonly opts: Pick<LocalLockOptions, "onLost"> & { ttlMs: number; clock: () => Date } = {
      ttlMs: Infinity,
      clock: () => new Date(),
    },
  ) {
    this.beatMs = Date.parse(holder.heartbeatAt ?? holder.startedAt);
  }

  /** Starts refreshing the heartbeat every TTL/3 (the timer does not keep the process alive). */
  startHeartbeat(): void {
    const every = Math.max(1, Math.floor(this.opts.ttlMs / 3));
    this.timer = setInterval(() => this.tick(), every);
    this.timer.unref();
  }

  /** One timer tick: loses the lock when the heartbeat is a TTL old (a refresh hung or kept failing), else refreshes. */
  private tick(): void {
    if (this.released || this.lost) return;
    const age = this.opts.clock().getTime() - this.beatMs;
    if (age >= this.opts.ttlMs) {
      this.lose(
        `its heartbeat could not be refreshed for ${formatAge(age)} (QDRANT_LOCK_TTL ${formatAge(this.opts.ttlMs)}), so another run may take it over`,
      );
      return;
    }
    this.refreshing ??= this.refresh().finally(() => (this.refreshing = undefined));
  }

  /**
   * Writes a new heartbeat: a whole new file renamed over the lock, when the lock is still ours. Never throws: a
   * failure is a warning (the next tick tries again); a lock replaced by another run is lost.
   */
  async refresh(): Promise<void> {
    if (this.released || this.lost) return;
    const now = this.opts.clock();
    const next: LockHolder = { ...this.holder, heartbeatAt: now.toISOString() };
    const bytes = Buffer.from(`${JSON.stringify(next)}\n`, "utf8");
    const temp = `${this.path}.${process.pid}-${randomBytes(4).toString("hex")}.tmp`;
    try {
      const current = await readFile(this.path).catch((err: unknown) =>
        codeOf(err) === "ENOENT" ? undefined : Promise.reject(err),
      );
      if (current === undefined || !current.equals(this.bytes)) {
        const other = current && parseHolder(current);
        this.lose(
          other
            ? `replaced by ${describeHolder(other, now)}`
            : current
              ? "replaced by an unreadable file"
              : "removed (--break-lock?)",
        );
        return;
      }
      await writeSynced(temp, bytes);
      if (this.released || this.lost) return; // released while this write hung: never bring the lock back
      await rename(temp, this.path);
      this.holder = next;
      this.bytes = bytes;
      this.beatMs = now.getTime();
    } catch (err) {
      this.log.warn(
        `cannot refresh the heartbeat of the lock ${this.path} (last written ${formatAge(this.opts.clock().getTime() - this.beatMs)} ago): ${messageOf(err)}; retrying`,
      );
    } finally {
      await unlink(temp).catch(() => undefined);
    }
  }

  /** Removes the lock file if it is still ours. Never throws: a failure is a warning (the next run sees a stale lock). */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    heldHere.delete(this.path);
    if (this.timer !== undefined) clearInterval(this.timer);
    if (this.refreshing) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        this.refreshing,
        new Promise<void>((resolve) => (timer = setTimeout(resolve, RELEASE_WAIT_MS))),
      ]);
      clearTimeout(timer);
    }
    try {
      const current = await readFile(this.path);
      if (!current.equals(this.bytes)) {
        this.log.warn(`the lock ${this.path} was replaced by another run (--break-lock?); leaving it in place`);
        return;
      }
      await unlink(this.path);
    } catch (err) {
      if (codeOf(err) === "ENOENT") return;
      this.log.warn(`cannot remove the lock ${this.path}: ${messageOf(err)}; the next run will find it stale`);
    }
  }

  /**
   * The same, synchronously: for a process that must exit now (a second Ctrl-C, a run that can no longer finish),
   * where no await may be left pending. A heartbeat write in flight is not waited for; it renames nothing once released.
   */
  releaseSync(): void {
    if (this.released) return;
    this.released = true;
    heldHere.delete(this.path);
    if (this.timer !== undefined) clearInterval(this.timer);
    try {
      if (!readFileSync(this.path).equals(this.bytes)) return;
      unlinkSync(this.path);
    } catch (err) {
      if (codeOf(err) === "ENOENT") return;
      this.log.warn(`cannot remove the lock ${this.path}: ${messageOf(err)}; the next run will find it stale`);
    }
  }

  private lose(why: string): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.lost = new LockedError(`lost the lock ${this.path}: ${why}; this run stops (what it finished is recorded)`);
    this.opts.onLost?.(this.lost);
  }
}

/**
 * Takes the state directory's lock and starts its heartbeat.
 * @throws LockedError (exit 5) naming the holder, its age and the file when another run holds it or the file is
 *   unreadable; StateFileError (exit 2) when the directory or the file cannot be written
 */
export async function acquireLocalLock(opts: LocalLockOptions): Promise<LocalLock> {
  const clock = opts.clock ?? (() => new Date());
  const host = opts.host ?? os.hostname();
  const pid = opts.pid ?? process.pid;
  const isAlive = opts.isAlive ?? isPidAlive;
  const file = join(opts.dir, LOCK_FILE_NAME);
  const startedAt = clock().toISOString();
  const runId = randomBytes(12).toString("hex");
  const holder: LockHolder = {
    tool: TOOL_NAME,
    host,
    pid,
    startedAt,
    tasks: [...opts.tasks],
    heartbeatAt: startedAt,
    runId,
  };
  const bytes = Buffer.from(`${JSON.stringify(holder)}\n`, "utf8");
  try {
    await mkdir(opts.dir, { recursive: true });
  } catch (err) {
    throw new StateFileError(opts.dir, undefined, `cannot create the state directory: ${messageOf(err)}`);
  }
  if (opts.breakLock) {
    const old = await readLock(file);
    if (old.kind !== "absent") {
      await removeLock(file);
      opts.log.warn(
        `--break-lock: removed the lock ${file}, held by ${old.kind === "held" ? describeHolder(old.holder, clock()) : `an unreadable lock file (${old.reason})`}`,
      );
    }
  }
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    if (await createExclusive(file, opts.dir, bytes)) {
      heldHere.add(file);
      const lock = new LocalLock(file, holder, bytes, opts.log, { ttlMs: opts.ttlMs, clock, onLost: opts.onLost });
      if (opts.autoRefresh !== false) lock.startHeartbeat();
      return lock;
    }
    const found = await readLock(file);
    if (found.kind === "absent") continue; // released in the meantime: try again
    if (found.kind === "garbled") {
      throw new LockedError(
        `${file} exists but is unreadable (${found.reason}); if no other run uses this state, run again with --break-lock`,
      );
    }
    const now = clock();
    const why = heldHere.has(file)
      ? undefined
      : staleReason(found.holder, { now, host, pid, ttlMs: opts.ttlMs, isAlive });
    if (why === undefined) {
      const beat =
        found.holder.heartbeatAt === undefined
          ? ""
          : `, heartbeat ${formatAge(now.getTime() - Date.parse(found.holder.heartbeatAt))} ago`;
      throw new LockedError(
        `${file}: locked by ${describeHolder(found.holder, now)}${beat}; if that run is gone, run again with --break-lock`,
      );
    }
    if (await moveAsideIfSame(file, found.raw)) {
      opts.log.warn(`taking over the stale lock ${file} of ${describeHolder(found.holder, now)}: ${why}`);
    }
    // Either way, try to create it again: a run that won the race holds it now, and the next look says so.
  }
  throw new LockedError(`${file}: other runs keep taking this lock; try again later`);
}
