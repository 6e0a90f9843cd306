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
 *
 * This file takes the lock; lock-held.ts keeps it (heartbeat, release), lock-files.ts writes and reads the file.
 */
import { randomBytes } from "node:crypto";
import { mkdir } from "node:fs/promises";
import os from "node:os";
import { join } from "node:path";
import { LockedError, StateFileError } from "../errors.js";
import { messageOf } from "../lib/fs.js";
import { createExclusive, moveAsideIfSame, readLock, removeLock } from "./lock-files.js";
import { heldHere, LocalLock } from "./lock-held.js";
import type { LocalLockOptions } from "./lock-options.js";
import { describeHolder, formatAge, isPidAlive, staleReason, TOOL_NAME, type LockHolder } from "./lock-holder.js";

export { describeHolder, formatAge, isPidAlive, parseHolder, TOOL_NAME, type LockHolder } from "./lock-holder.js";
export { LocalLock } from "./lock-held.js";
export type { LocalLockOptions } from "./lock-options.js";
export const LOCK_FILE_NAME = ".qdrant-backup-restore.lock";

const ATTEMPTS = 5;

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
