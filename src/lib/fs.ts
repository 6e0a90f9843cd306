/**
 * File-system helpers of the state store: atomic replacement, backups, reads (durable appends are in fd-append.ts).
 * Every error they raise names the file (StateFileError, exit 2).
 */
import fs from "node:fs";
import { mkdir, open, readFile, rename, lstat, stat, unlink, type FileHandle } from "node:fs/promises";
import { StateFileError } from "../errors.js";
import { codeOf, cureFor, describeSystemError, messageOf } from "./system-errors.js";

export { codeOf, cureFor, describeSystemError, isOutOfSpace, messageOf } from "./system-errors.js";

/** State holds host, collection and snapshot names, no secrets. */
export const FILE_MODE = 0o644;

/** The file's identity and size by path, or undefined when it is gone. */
export async function statOrUndefined(file: string): Promise<fs.Stats | undefined> {
  try {
    return await stat(file);
  } catch (err) {
    if (codeOf(err) === "ENOENT") return undefined;
    throw err;
  }
}

// write() may in principle write less than asked; for regular files it writes everything in one call.
export async function writeFully(handle: FileHandle, buffer: Buffer): Promise<void> {
  for (let offset = 0; offset < buffer.length;) {
    const { bytesWritten } = await handle.write(buffer, offset, buffer.length - offset);
    offset += bytesWritten;
  }
}

/**
 * What fsync of a directory answers where it is not supported at all, rather than failed: Linux file systems without
 * directory fsync (some FUSE and network mounts) answer EINVAL, ENOTSUP/EOPNOTSUPP or ENOSYS; Windows cannot open a
 * directory as a file (EISDIR) or fsync one (EPERM). There is then nothing more durable to wait for. Anything else
 * (EIO, ENOSPC, EROFS, EDQUOT…) means the directory entry may not be on disk: the caller must fail.
 */
const DIR_SYNC_UNSUPPORTED = new Set([
  "EINVAL",
  "ENOTSUP",
  "EOPNOTSUPP",
  "ENOSYS",
  ...(process.platform === "win32" ? ["EISDIR", "EPERM"] : []),
]);

/**
 * fsyncs directory `dir`, so that a file created or renamed in it survives a crash.
 * @param openDir opens the directory (a test seam: a real EIO cannot be provoked on demand)
 * @throws the system error (with its `code`) unless the file system does not support it (DIR_SYNC_UNSUPPORTED)
 */
export async function syncDir(
  dir: string,
  openDir: (dir: string) => Promise<Pick<FileHandle, "sync" | "close">> = (d) => open(d, "r"),
): Promise<void> {
  try {
    const handle = await openDir(dir);
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch (err) {
    if (!DIR_SYNC_UNSUPPORTED.has(codeOf(err) ?? "")) throw err;
  }
}

export async function readOrEmpty(file: string): Promise<Buffer | undefined> {
  try {
    return await readFile(file);
  } catch (err) {
    if (codeOf(err) === "ENOENT") return undefined;
    throw new StateFileError(file, undefined, `cannot read: ${messageOf(err)}`);
  }
}

export function decodeUtf8(bytes: Buffer, file: string): string {
  const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
  try {
    return decoder.decode(bytes);
  } catch {
    // Error path only: find the first line that fails to decode, so the message can point at it.
    let line = 1;
    for (let start = 0; start <= bytes.length; line++) {
      const end = bytes.indexOf(0x0a, start);
      const stop = end === -1 ? bytes.length : end;
      try {
        decoder.decode(bytes.subarray(start, stop));
      } catch {
        break;
      }
      start = stop + 1;
    }
    throw new StateFileError(file, line, "invalid UTF-8");
  }
}

export async function remove(file: string): Promise<string | undefined> {
  try {
    await unlink(file);
    return file;
  } catch (err) {
    if (codeOf(err) === "ENOENT") return undefined;
    throw new StateFileError(file, undefined, `cannot delete: ${messageOf(err)}`);
  }
}

/** Renames `file` to `<file>-<stamp><suffix>`, adding `-1`, `-2`… before the suffix when the name is taken. */
export async function backUp(file: string, stamp: string, suffix: string): Promise<string | undefined> {
  try {
    for (let n = 0; ; n++) {
      const target = `${file}-${stamp}${n === 0 ? "" : `-${n}`}${suffix}`;
      if (await exists(target)) continue;
      await rename(file, target);
      return target;
    }
  } catch (err) {
    if (codeOf(err) === "ENOENT") return undefined;
    throw new StateFileError(file, undefined, `cannot back up: ${messageOf(err)}`);
  }
}

/**
 * Replaces `file` with `bytes` atomically: a temporary file in the same directory is written, fsync'ed and renamed
 * over it, so a crash leaves either the old or the new content, never a mix.
 */
export async function writeAtomically(file: string, dir: string, bytes: Uint8Array): Promise<void> {
  await mkdir(dir, { recursive: true });
  const temp = `${file}.tmp-${process.pid}`;
  try {
    const handle = await open(temp, "w", FILE_MODE);
    try {
      await writeFully(handle, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      await handle.datasync();
    } finally {
      await handle.close();
    }
    await rename(temp, file);
    await syncDir(dir);
  } catch (err) {
    await unlink(temp).catch(() => undefined);
    throw new StateFileError(
      file,
      undefined,
      `cannot write: ${describeSystemError(err)}; the file is unchanged${cureFor(err, dir)}`,
    );
  }
}

export async function exists(file: string): Promise<boolean> {
  try {
    await lstat(file);
    return true;
  } catch (err) {
    if (codeOf(err) === "ENOENT") return false;
    throw err;
  }
}

/** `YYYY-MM-DD_HH-MM-SS` in local time, as `date +%F_%H-%M-%S` prints it. */
export function formatStamp(date: Date): string {
  const pad = (value: number): string => String(value).padStart(2, "0");
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}` +
    `_${pad(date.getHours())}-${pad(date.getMinutes())}-${pad(date.getSeconds())}`
  );
}
