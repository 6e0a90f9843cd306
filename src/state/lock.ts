/**
 * The local lock: one run at a time per state directory. `<stateDir>/.qdrant-backup-restore.lock` holds the
 * holder's host, PID, start time and tasks as JSON.
 *
 * - It is written whole to a temporary file, fsync'ed, then hard-linked to its name: link() fails when the name
 *   exists (like O_EXCL), and the lock never appears half-written. File systems without hard links fall back to
 *   open(path, "wx").
 * - A lock whose holder ran on this host and whose PID is gone is stale: it is taken over with a warning. Two runs
 *   taking over the same stale lock cannot both win: the lock is renamed aside first, and only the run that moved the
 *   very bytes it judged stale goes on.
 * - An unreadable lock counts as held. `--break-lock` removes any lock, naming its holder.
 */
import { randomBytes } from "node:crypto";
import { readFileSync, unlinkSync } from "node:fs";
import { link, mkdir, open, readFile, rename, unlink } from "node:fs/promises";
import os from "node:os";
import { join } from "node:path";
import { LockedError, StateFileError } from "../errors.js";
import type { Logger } from "../log.js";
import { codeOf, cureFor, describeSystemError, FILE_MODE, messageOf, syncDir, writeFully } from "./fs.js";
import { parseJsonObject } from "../lib/json.js";

export const LOCK_FILE_NAME = ".qdrant-backup-restore.lock";
export const TOOL_NAME = "qdrant-backup-restore";

/** What a lock file says about its holder. */
export interface LockHolder {
  tool: string;
  host: string;
  pid: number;
  /** ISO 8601. */
  startedAt: string;
  tasks: string[];
}

export interface LocalLockOptions {
  /** The state directory (created when missing). */
  dir: string;
  /** The tasks of this run, recorded for whoever finds the lock. */
  tasks: readonly string[];
  /** Remove any lock first (with a warning naming its holder). */
  breakLock: boolean;
  log: Pick<Logger, "warn">;
  /** Default: the system clock. */
  clock?: () => Date;
  /** Default: os.hostname(). */
  host?: string;
  /** Default: process.pid. */
  pid?: number;
  /** Whether a PID of this host runs; default: process.kill(pid, 0) (ESRCH = gone). */
  isAlive?: (pid: number) => boolean;
}

/** Lock paths this process holds: a lock naming our own PID is then ours, not stale (several runs in one process). */
const heldHere = new Set<string>();
const ATTEMPTS = 5;

/** A lock this run holds; {@link release} removes it unless another run replaced it (--break-lock). */
export class LocalLock {
  private released = false;
  constructor(
    readonly path: string,
    readonly holder: LockHolder,
    private readonly bytes: Buffer,
    private readonly log: Pick<Logger, "warn">,
  ) {}

  /** Removes the lock file if it is still ours. Never throws: a failure is a warning (the next run sees a stale lock). */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    heldHere.delete(this.path);
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
   * where no await may be left pending.
   */
  releaseSync(): void {
    if (this.released) return;
    this.released = true;
    heldHere.delete(this.path);
    try {
      if (!readFileSync(this.path).equals(this.bytes)) return;
      unlinkSync(this.path);
    } catch (err) {
      if (codeOf(err) === "ENOENT") return;
      this.log.warn(`cannot remove the lock ${this.path}: ${messageOf(err)}; the next run will find it stale`);
    }
  }
}

/**
 * Takes the state directory's lock.
 * @throws LockedError (exit 5) naming the holder, its age and the file when another run holds it or the file is
 *   unreadable; StateFileError (exit 2) when the directory or the file cannot be written
 */
export async function acquireLocalLock(opts: LocalLockOptions): Promise<LocalLock> {
  const clock = opts.clock ?? (() => new Date());
  const host = opts.host ?? os.hostname();
  const pid = opts.pid ?? process.pid;
  const isAlive = opts.isAlive ?? isPidAlive;
  const file = join(opts.dir, LOCK_FILE_NAME);
  const holder: LockHolder = { tool: TOOL_NAME, host, pid, startedAt: clock().toISOString(), tasks: [...opts.tasks] };
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
      opts.log.warn(`--break-lock: removed the lock ${file}, held by ${old.kind === "held" ? describeHolder(old.holder, clock()) : `an unreadable lock file (${old.reason})`}`);
    }
  }
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    if (await createExclusive(file, opts.dir, bytes)) {
      heldHere.add(file);
      return new LocalLock(file, holder, bytes, opts.log);
    }
    const found = await readLock(file);
    if (found.kind === "absent") continue; // released in the meantime: try again
    if (found.kind === "garbled") {
      throw new LockedError(`${file} exists but is unreadable (${found.reason}); if no other run uses this state, run again with --break-lock`);
    }
    const stale = found.holder.host === host && !heldHere.has(file) && (found.holder.pid === pid || !isAlive(found.holder.pid));
    if (!stale) throw new LockedError(`${file}: locked by ${describeHolder(found.holder, clock())}; if that run is gone, run again with --break-lock`);
    if (await moveAsideIfSame(file, found.raw)) {
      opts.log.warn(`taking over the stale lock ${file} of ${describeHolder(found.holder, clock())}: that process no longer runs`);
    }
    // Either way, try to create it again: a run that won the race holds it now, and the next look says so.
  }
  throw new LockedError(`${file}: other runs keep taking this lock; try again later`);
}

/** "pid 1234 on host h (create_snap) since 2026-…, 3 min ago". */
export function describeHolder(h: LockHolder, now: Date): string {
  const tasks = h.tasks.length ? ` (${h.tasks.join(" ")})` : "";
  return `pid ${h.pid} on host ${h.host}${tasks} since ${h.startedAt}, ${formatAge(now.getTime() - Date.parse(h.startedAt))} ago`;
}

/** A span for people: `42 s`, `3 min`, `5 h`, `2 d` (negative spans, from clock skew, read as 0 s). */
export function formatAge(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.floor(s / 60)} min`;
  if (s < 172_800) return `${Math.floor(s / 3600)} h`;
  return `${Math.floor(s / 86_400)} d`;
}

/** process.kill(pid, 0): ESRCH means no such process; EPERM means it runs under another user. */
export function isPidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return codeOf(err) !== "ESRCH";
  }
}

type Found = { kind: "absent" } | { kind: "garbled"; reason: string } | { kind: "held"; holder: LockHolder; raw: Buffer };

async function readLock(file: string): Promise<Found> {
  let raw: Buffer;
  try {
    raw = await readFile(file);
  } catch (err) {
    if (codeOf(err) === "ENOENT") return { kind: "absent" };
    return { kind: "garbled", reason: `cannot read: ${codeOf(err) ?? messageOf(err)}` };
  }
  const holder = parseHolder(raw);
  return holder === undefined ? { kind: "garbled", reason: raw.length === 0 ? "empty" : "not a lock this tool wrote" } : { kind: "held", holder, raw };
}

/** Parses a lock file's JSON into a checked holder, or undefined. */
export function parseHolder(raw: Uint8Array): LockHolder | undefined {
  const v = parseJsonObject(raw);
  if (v === undefined) return undefined;
  const { tool, host, pid, startedAt, tasks } = v;
  if (typeof tool !== "string" || typeof host !== "string" || typeof startedAt !== "string" || Number.isNaN(Date.parse(startedAt))) return undefined;
  // PID 0 or negative would make process.kill signal a whole process group.
  if (typeof pid !== "number" || !Number.isSafeInteger(pid) || pid <= 0) return undefined;
  const taskList = Array.isArray(tasks) ? tasks.filter((t): t is string => typeof t === "string") : [];
  return { tool, host, pid, startedAt, tasks: taskList };
}

/** Creates `file` with `bytes` unless it exists; false when it does. */
async function createExclusive(file: string, dir: string, bytes: Buffer): Promise<boolean> {
  const temp = `${file}.${process.pid}-${randomBytes(4).toString("hex")}.tmp`;
  try {
    await writeSynced(temp, bytes);
    try {
      await link(temp, file);
    } catch (err) {
      const code = codeOf(err);
      if (code === "EEXIST") return false;
      if (code !== "EPERM" && code !== "ENOTSUP" && code !== "ENOSYS" && code !== "EOPNOTSUPP") throw err;
      // No hard links here (some network and FUSE file systems): O_EXCL create, then write.
      try {
        await writeSynced(file, bytes);
      } catch (e) {
        if (codeOf(e) === "EEXIST") return false;
        throw e;
      }
    }
    await syncDir(dir);
    return true;
  } catch (err) {
    throw new StateFileError(file, undefined, `cannot create the lock: ${describeSystemError(err)}${cureFor(err, dir)}`);
  } finally {
    await unlink(temp).catch(() => undefined);
  }
}

/** Creates `file` (O_EXCL) holding `bytes`, fsync'ed; one created but not written whole (a full disk) is removed. */
async function writeSynced(file: string, bytes: Buffer): Promise<void> {
  const handle = await open(file, "wx", FILE_MODE);
  try {
    await writeFully(handle, bytes);
    await handle.sync();
  } catch (err) {
    await handle.close().catch(() => undefined);
    await unlink(file).catch(() => undefined);
    throw err;
  }
  await handle.close();
}

/**
 * Removes the stale lock `file` only if it still holds `raw`: renames it aside (atomic, so of two runs only one moves
 * it), then checks what it moved. A fresh lock moved by mistake (another run took over first) is linked back.
 */
async function moveAsideIfSame(file: string, raw: Buffer): Promise<boolean> {
  const aside = `${file}.${process.pid}-${randomBytes(4).toString("hex")}.stale`;
  try {
    await rename(file, aside);
  } catch (err) {
    if (codeOf(err) === "ENOENT") return false;
    throw new StateFileError(file, undefined, `cannot take over the stale lock: ${messageOf(err)}`);
  }
  try {
    const moved = await readFile(aside);
    if (moved.equals(raw)) return true;
    await link(aside, file).catch(() => undefined); // put the other run's lock back
    return false;
  } finally {
    await unlink(aside).catch(() => undefined);
  }
}

async function removeLock(file: string): Promise<void> {
  try {
    await unlink(file);
  } catch (err) {
    if (codeOf(err) !== "ENOENT") throw new StateFileError(file, undefined, `cannot remove the lock: ${messageOf(err)}`);
  }
}
