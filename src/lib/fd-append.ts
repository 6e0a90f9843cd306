// Durable appends on a bare file descriptor: open for appending, the last byte, one write() at a time, all or nothing.
import fs from "node:fs";
import { mkdir } from "node:fs/promises";
import { FILE_MODE } from "./fs.js";
import { codeOf, describeSystemError, messageOf } from "./system-errors.js";

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
export async function appendDurably(
  fd: number,
  buffer: Buffer,
  sizeBefore: number,
  write: WriteFd = writeFd,
): Promise<void> {
  try {
    for (let offset = 0; offset < buffer.length;) {
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

export function closeFd(fd: number): Promise<void> {
  return fdCall<void>((cb) => fs.close(fd, cb));
}

/** One callback-style fs call as a promise of its first result. */
function fdCall<T>(call: (cb: (err: NodeJS.ErrnoException | null, value?: T) => void) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => call((err, value) => (err ? reject(err) : resolve(value as T))));
}
