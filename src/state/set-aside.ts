/**
 * Setting a torn last row aside: the whole file is copied to `<file>.torn-<time>` (never over an earlier copy), and
 * only then is the file cut back to its last whole row, so the torn bytes are kept for a person to look at and never
 * read as data.
 */
import { open, unlink, type FileHandle } from "node:fs/promises";
import { dirname } from "node:path";
import { StateFileError } from "../errors.js";
import { codeOf, FILE_MODE, formatStamp, messageOf, syncDir, writeFully } from "../lib/fs.js";
import { findTornTail } from "./torn-tail.js";

/**
 * Copies `bytes` (the file as read) to `<file>.torn-<YYYY-MM-DD_HH-MM-SS>` (`-1`, `-2`… when taken), fsync'ed, then
 * truncates `file` to `keep` bytes and fsyncs it.
 * @returns the copy's path
 * @throws StateFileError naming the file when the copy or the cut fails (the file is then left as it was)
 */
export async function setAside(file: string, bytes: Buffer, keep: number, now: Date): Promise<string> {
  const stamp = formatStamp(now);
  let copy = "";
  try {
    for (let n = 0; ; n++) {
      copy = `${file}.torn-${stamp}${n === 0 ? "" : `-${n}`}`;
      let handle: FileHandle;
      try {
        handle = await open(copy, "wx", FILE_MODE);
      } catch (err) {
        if (codeOf(err) === "EEXIST") continue;
        throw err;
      }
      try {
        await writeFully(handle, bytes);
        await handle.sync();
      } catch (err) {
        // A copy that could not be written whole (a full disk) is no copy: removed, and the file stays as it was.
        await handle.close().catch(() => undefined);
        await unlink(copy).catch(() => undefined);
        throw err;
      }
      await handle.close();
      break;
    }
    const original = await open(file, "r+");
    try {
      await original.truncate(keep);
      await original.sync();
    } finally {
      await original.close();
    }
    await syncDir(dirname(file));
    return copy;
  } catch (err) {
    throw new StateFileError(
      file,
      undefined,
      `its last line is torn and cannot be set aside in ${copy}: ${messageOf(err)}; free space on its volume, or remove that line by hand`,
    );
  }
}

/** What {@link withoutTornTail} needs of the store: its mode, where to report, and `kind`'s descriptor and listeners. */
export interface TornTailContext {
  readonly dryRun: boolean;
  readonly warn: (message: string) => void;
  /** Closes the descriptor kept for appends to the file (it is about to be cut). */
  readonly release: () => Promise<void>;
  /** Tells the store's listeners that the file changed. */
  readonly changed: () => void;
}

/**
 * `bytes` (the file as read) up to its last whole row. A torn last line is set aside first (kept in
 * `<file>.torn-<time>`, cut off the file, reported); a dry run reports it and leaves it in place.
 * @param table the file's name and columns (file-table.ts)
 */
export async function withoutTornTail(
  file: string,
  table: { readonly name: string; readonly columns: readonly string[] },
  bytes: Buffer,
  ctx: TornTailContext,
): Promise<Buffer> {
  const tail = findTornTail(bytes, table.name, table.columns.length);
  if (tail === undefined) return bytes;
  if (ctx.dryRun) {
    ctx.warn(
      `state file ${file}: its last line is not a whole row (${tail.reason}); not used (dry run: left in place)`,
    );
    return bytes.subarray(0, tail.keep);
  }
  await ctx.release();
  const copy = await setAside(file, bytes, tail.keep, new Date());
  ctx.warn(
    `state file ${file}: its last line ${JSON.stringify(tail.text)} is not a whole row (${tail.reason}); set aside in ${copy} and not used`,
  );
  ctx.changed();
  return bytes.subarray(0, tail.keep);
}
