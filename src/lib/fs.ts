/**
 * File-system helpers of the state store: durable appends, atomic replacement, backups. Every error they raise
 * names the file (StateFileError, exit 2).
 */
import fs from "node:fs";
import { mkdir, open, readFile, rename, lstat, stat, unlink, type FileHandle } from "node:fs/promises";
import { StateFileError } from "../errors.js";

/** State holds host, collection and snapshot names, no secrets. */
export const FILE_MODE = 0o644;

/**
 * A file opened for appending, as a bare descriptor: the state store keeps one open between appends, and a descriptor
 * (unlike a FileHandle) left open by a store nobody closed, as in tests, draws no warning when collected.
 */
export async function openAppendFd(file: string, dir: string): Promise<number> {
  try {
    // a+: appends always go to the end (O_APPEND), and the last byte can still be read.
    return await fdCall<number>((cb) => fs.open(file, "a+", FILE_MODE, cb));
  } catch (err) {
    if (codeOf(err) !== "ENOENT") throw err;
    await mkdir(dir, { recursive: true });
    return await fdCall<number>((cb) => fs.open(file, "a+", FILE_MODE, cb));
  }
}

export function fstatFd(fd: number): Promise<fs.Stats> {
  return fdCall<fs.Stats>((cb) => fs.fstat(fd, cb));
}

/** The file's identity and size by path, or undefined when it is gone. */
export async function statOrUndefined(file: string): Promise<fs.Stats | undefined> {
  try {
    return await stat(file);
  } catch (err) {
    if (codeOf(err) === "ENOENT") return undefined;
    throw err;
  }
}

export async function lastByteFd(fd: number, size: number): Promise<number | undefined> {
  const buffer = Buffer.alloc(1);
  await fdCall<number>((cb) => fs.read(fd, buffer, 0, 1, size - 1, cb));
  return buffer[0];
}

/** One write() at the end of the file: the number of bytes written (possibly fewer than asked). Replaceable in tests. */
export type WriteFd = (fd: number, buffer: Buffer, offset: number, length: number) => Promise<number>;

export const writeFd: WriteFd = (fd, buffer, offset, length) =>
  fdCall<number>((cb) => fs.write(fd, buffer, offset, length, null, cb));

/**
 * Writes all of `buffer` at the end of the file (the descriptor is O_APPEND), then fdatasync; all or nothing: when a
 * write fails part-way (ENOSPC, EDQUOT, EIO, a short write followed by an error) or the fdatasync fails, the file is
 * cut back to `sizeBefore`, its length before this append, and that is fsync'ed before the error is thrown, so no
 * half row stays behind. When even the cut fails, the error says so (the reader then sets the torn row aside).
 */
export async function appendDurably(fd: number, buffer: Buffer, sizeBefore: number, write: WriteFd = writeFd): Promise<void> {
  try {
    for (let offset = 0; offset < buffer.length; ) {
      const written = await write(fd, buffer, offset, buffer.length - offset);
      if (written <= 0) throw Object.assign(new Error("write made no progress"), { code: "EIO" });
      offset += written;
    }
    await fdCall<void>((cb) => fs.fdatasync(fd, cb));
  } catch (err) {
    try {
      await fdCall<void>((cb) => fs.ftruncate(fd, sizeBefore, cb));
      await fdCall<void>((cb) => fs.fsync(fd, cb));
    } catch (cut) {
      throw new AppendError(err, `and it could not be cut back to ${sizeBefore} bytes (${messageOf(cut)})`);
    }
    throw new AppendError(err, `nothing of it was kept`);
  }
}

/** A failed append: the system error's code and text, and what became of the file. */
export class AppendError extends Error {
  readonly code: string | undefined;
  constructor(cause: unknown, outcome: string) {
    super(`${describeSystemError(cause)}; ${outcome}`, { cause });
    this.code = codeOf(cause);
  }
}

/** `ENOSPC: no space left on device, write` → `no space left on device (ENOSPC)`. */
export function describeSystemError(err: unknown): string {
  const code = codeOf(err);
  const message = messageOf(err);
  if (code === undefined) return message;
  const text = message.replace(new RegExp(`^${code}: `), "").replace(/, \w+( '.*')?$/, "");
  return `${text} (${code})`;
}

/** Codes of a full volume or quota (EFBIG: a file-size limit): the cure is to free space there. */
export function isOutOfSpace(err: unknown): boolean {
  const code = codeOf(err);
  return code === "ENOSPC" || code === "EDQUOT" || code === "EFBIG";
}

/**
 * The cure for a write that failed in `dir`, to end an error line with: free space there for a full volume or quota,
 * check the volume for an I/O error; nothing for other errors (a permission, a bad path: the message says it).
 */
export function cureFor(err: unknown, dir: string): string {
  if (isOutOfSpace(err)) return `; free space on the volume that holds ${dir} (or raise its quota), then run the same command again`;
  if (codeOf(err) === "EIO") return `; check the volume that holds ${dir}, then run the same command again`;
  return "";
}

export function closeFd(fd: number): Promise<void> {
  return fdCall<void>((cb) => fs.close(fd, cb));
}

/** One callback-style fs call as a promise of its first result. */
function fdCall<T>(call: (cb: (err: NodeJS.ErrnoException | null, value?: T) => void) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => call((err, value) => (err ? reject(err) : resolve(value as T))));
}

// write() may in principle write less than asked; for regular files it writes everything in one call.
export async function writeFully(handle: FileHandle, buffer: Buffer): Promise<void> {
  for (let offset = 0; offset < buffer.length; ) {
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
const DIR_SYNC_UNSUPPORTED = new Set(["EINVAL", "ENOTSUP", "EOPNOTSUPP", "ENOSYS", ...(process.platform === "win32" ? ["EISDIR", "EPERM"] : [])]);

/**
 * fsyncs directory `dir`, so that a file created or renamed in it survives a crash.
 * @param openDir opens the directory (a test seam: a real EIO cannot be provoked on demand)
 * @throws the system error (with its `code`) unless the file system does not support it (DIR_SYNC_UNSUPPORTED)
 */
export async function syncDir(dir: string, openDir: (dir: string) => Promise<Pick<FileHandle, "sync" | "close">> = (d) => open(d, "r")): Promise<void> {
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
    throw new StateFileError(file, undefined, `cannot write: ${describeSystemError(err)}; the file is unchanged${cureFor(err, dir)}`);
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

export function codeOf(err: unknown): string | undefined {
  return err instanceof Error && "code" in err && typeof err.code === "string" ? err.code : undefined;
}

export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
