/** The lock file's atomic operations: exclusive creation, reading, a synced write, removal, and moving a stale lock aside. */
import { randomBytes } from "node:crypto";
import { link, open, readFile, rename, unlink } from "node:fs/promises";
import { StateFileError } from "../errors.js";
import { codeOf, cureFor, describeSystemError, FILE_MODE, messageOf, syncDir, writeFully } from "../lib/fs.js";
import { parseHolder, type LockHolder } from "./lock-holder.js";

/** Creates `file` with `bytes` unless it exists; false when it does. */
export async function createExclusive(file: string, dir: string, bytes: Buffer): Promise<boolean> {
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
    throw new StateFileError(
      file,
      undefined,
      `cannot create the lock: ${describeSystemError(err)}${cureFor(err, dir)}`,
    );
  } finally {
    await unlink(temp).catch(() => undefined);
  }
}

/** Creates `file` (O_EXCL) holding `bytes`, fsync'ed; one created but not written whole (a full disk) is removed. */
export async function writeSynced(file: string, bytes: Buffer): Promise<void> {
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
export async function moveAsideIfSame(file: string, raw: Buffer): Promise<boolean> {
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

export async function removeLock(file: string): Promise<void> {
  try {
    await unlink(file);
  } catch (err) {
    if (codeOf(err) !== "ENOENT")
      throw new StateFileError(file, undefined, `cannot remove the lock: ${messageOf(err)}`);
  }
}

/** What the lock file holds: nothing, something unreadable, or a holder with the raw bytes. */
export type Found =
  { kind: "absent" } | { kind: "garbled"; reason: string } | { kind: "held"; holder: LockHolder; raw: Buffer };

/** Reads the lock file at `file`. */
export async function readLock(file: string): Promise<Found> {
  let raw: Buffer;
  try {
    raw = await readFile(file);
  } catch (err) {
    if (codeOf(err) === "ENOENT") return { kind: "absent" };
    return { kind: "garbled", reason: `cannot read: ${codeOf(err) ?? messageOf(err)}` };
  }
  const holder = parseHolder(raw);
  return holder === undefined
    ? { kind: "garbled", reason: raw.length === 0 ? "empty" : "not a lock this tool wrote" }
    : { kind: "held", holder, raw };
}
