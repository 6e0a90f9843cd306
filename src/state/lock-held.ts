/** The local lock a run holds (lock.ts takes it): its heartbeat, its loss, its release. */
import { randomBytes } from "node:crypto";
import { readFileSync, unlinkSync } from "node:fs";
import { readFile, rename, unlink } from "node:fs/promises";
import { LockedError } from "../errors.js";
import type { Logger } from "../log.js";
import { codeOf, messageOf } from "../lib/fs.js";
import { writeSynced } from "./lock-files.js";
import type { LocalLockOptions } from "./lock-options.js";
import { describeHolder, formatAge, parseHolder, type LockHolder } from "./lock-holder.js";

/** Lock paths this process holds: a lock naming our own PID is then ours, not stale (several runs in one process). */
export const heldHere = new Set<string>();
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
