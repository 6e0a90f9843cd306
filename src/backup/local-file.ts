/**
 * Snapshot files on the tool's own disk (download_snap, upload_snap): hashing in a streaming pass, and moving a
 * finished `.partial` file into place without ever replacing an existing file.
 */
import { createReadStream } from "node:fs";
import { link, open, rename, stat, unlink } from "node:fs/promises";
import path from "node:path";
import { Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { Hash } from "node:crypto";
import { ConfigError, EXIT, ToolError } from "../errors.js";
import { codeOf, cureFor, describeSystemError, syncDir } from "../lib/fs.js";

/**
 * A local file that cannot be read or written (exit 3 for the item: it names the file and the system error, and for a
 * full volume or an I/O error the cure).
 */
export class LocalFileError extends ToolError {
  constructor(what: string, file: string, cause: unknown) {
    super(`cannot ${what} ${file}: ${describeSystemError(cause)}${cureFor(cause, path.dirname(file))}`, EXIT.partial, {
      cause,
    });
  }
}

/** The size in bytes of the file at `file`, or undefined when there is none; anything but a regular file is an error. */
export async function fileSize(file: string): Promise<number | undefined> {
  try {
    const info = await stat(file);
    if (!info.isFile()) throw new LocalFileError("use", file, new Error("not a regular file"));
    return info.size;
  } catch (err) {
    if (codeOf(err) === "ENOENT") return undefined;
    if (err instanceof LocalFileError) throw err;
    throw new LocalFileError("read", file, err);
  }
}

/**
 * Feeds every byte of `file` into `hash` in one streaming pass (constant memory).
 * @returns the number of bytes read
 */
export async function hashFileInto(hash: Hash, file: string, signal?: AbortSignal): Promise<number> {
  let size = 0;
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      size += chunk.length;
      done();
    },
  });
  try {
    await pipeline(createReadStream(file), sink, ...(signal ? [{ signal }] : []));
  } catch (err) {
    if (signal?.aborted) throw err;
    throw new LocalFileError("read", file, err);
  }
  return size;
}

/** fdatasync of a file already written and closed, so a rename cannot expose unwritten bytes after a crash. */
export async function syncFile(file: string): Promise<void> {
  try {
    const handle = await open(file, "r+");
    try {
      await handle.datasync();
    } finally {
      await handle.close();
    }
  } catch (err) {
    throw new LocalFileError("write", file, err);
  }
}

/**
 * Moves the finished `partial` to `file`, never replacing a file that exists there (a hard link fails with EEXIST,
 * atomically); where hard links are not supported, it checks and renames. The directory is synced afterwards.
 * @throws FileExistsError when `file` appeared in the meantime (the partial is kept)
 */
export async function commitFile(partial: string, file: string): Promise<void> {
  try {
    await link(partial, file);
    await unlink(partial);
  } catch (err) {
    const code = codeOf(err);
    if (code === "EEXIST") throw new FileExistsError(file);
    if (code !== "EPERM" && code !== "ENOTSUP" && code !== "EOPNOTSUPP" && code !== "ENOSYS" && code !== "EXDEV") {
      throw new LocalFileError("move into place", file, err);
    }
    if ((await fileSize(file)) !== undefined) throw new FileExistsError(file);
    await rename(partial, file).catch((e: unknown) => {
      throw new LocalFileError("move into place", file, e);
    });
  }
  await syncDir(path.dirname(file)).catch((err: unknown) => {
    throw new LocalFileError("sync the directory of", file, err);
  });
}

/** The target file exists already: it is never overwritten (exit 2: the operator chooses another --file). */
export class FileExistsError extends ConfigError {
  constructor(file: string, detail?: string) {
    super(
      `${file} exists already${detail ? ` and ${detail}` : ""}; it is not overwritten: remove it or choose another --file`,
    );
  }
}

/** Deletes `file`; a missing file is not an error. */
export async function removeFile(file: string): Promise<void> {
  try {
    await unlink(file);
  } catch (err) {
    if (codeOf(err) !== "ENOENT") throw new LocalFileError("delete", file, err);
  }
}
