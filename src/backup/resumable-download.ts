/**
 * A snapshot streamed to a local file, resumable: bytes go to `<file>.partial`, which a later attempt (or run)
 * continues from its size when the source honours a byte range; the SHA-256 covers the whole file (the resumed
 * prefix is hashed from disk first); the file gets its final name only once complete and verified.
 */
import { createHash, type Hash } from "node:crypto";
import { createWriteStream } from "node:fs";
import { Transform, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { ToolError, EXIT } from "../errors.js";
import { retry } from "../lib/retry.js";
import type { Logger } from "../log.js";
import { QdrantError } from "../qdrant/errors.js";
import { ChecksumMismatchError } from "./transfer.js";
import { commitFile, fileSize, hashFileInto, LocalFileError, removeFile, syncFile } from "./local-file.js";
import { countBytes } from "./task/progress.js";

/** What a source returns for a request from byte `start`. */
export interface OpenedBytes {
  body: Readable;
  /** Where `body` begins: the `start` asked for, or 0 when the source ignored the range (then the file starts over). */
  start: number;
  /** The whole snapshot's size in bytes, when the source says. */
  total: number | undefined;
}

/** Where the bytes come from: a Qdrant node or the backup destination. */
export interface ByteSource {
  /** For messages, e.g. `http://node:6333 c1-…snapshot` (never a secret). */
  readonly what: string;
  /** Opens the bytes from `start` (0 = everything). */
  open(start: number): Promise<OpenedBytes>;
}

export interface DownloadResult {
  size: number;
  sha256: string;
  /** Bytes of an earlier run's `<file>.partial` that were kept and continued (0 = downloaded from the start). */
  resumedFrom: number;
}

/** The stream ended before the size the source announced (retried: the next attempt resumes). */
class ShortBodyError extends ToolError {
  constructor(what: string, got: number, total: number) {
    super(`${what}: the transfer ended after ${got} of ${total} bytes`, EXIT.partial);
  }
}

/** The suffix of the file being written; a re-run continues it. */
export const PARTIAL_SUFFIX = ".partial";

/**
 * Downloads `source` into `file` (absolute), via `<file>.partial`. A failed attempt (transport, timeout, 5xx, a
 * short body) is retried up to `retries` times, each resuming from what reached the disk; a failed run leaves the
 * partial file for the next run. With `expected`, a different SHA-256 deletes the partial file; a download that had
 * resumed an earlier run's bytes is then done once more from the start, otherwise ChecksumMismatchError is thrown.
 * The caller has checked that `file` does not exist; it is never overwritten.
 */
export async function downloadToFile(
  source: ByteSource,
  file: string,
  opts: { expected?: string; retries: number; signal: AbortSignal; log: Logger },
): Promise<DownloadResult> {
  const partial = file + PARTIAL_SUFFIX;
  let resumedFrom = (await fileSize(partial)) ?? 0;
  if (resumedFrom > 0) opts.log.info(`${partial} holds ${resumedFrom} bytes of an earlier download; resuming`);
  let result: { size: number; hash: Hash } | undefined;
  await retry(
    async () => {
      // Later attempts resume further on; a source that started over kept nothing of the earlier run.
      result = await attempt(source, partial, opts, (start) => (resumedFrom = Math.min(resumedFrom, start)));
    },
    {
      retries: opts.retries,
      signal: opts.signal,
      classify: (err) => ({
        retry:
          err instanceof QdrantError ? err.retryable : err instanceof ShortBodyError || !(err instanceof ToolError),
      }),
      onRetry: (err, n) =>
        opts.log.warn(
          `download of ${source.what} failed (${(err as Error).message}); resuming, retry ${n + 1} of ${opts.retries}`,
        ),
    },
  );
  if (!result) throw new Error("download finished without a result");
  const sha256 = result.hash.digest("hex");
  if (opts.expected !== undefined && opts.expected.toLowerCase() !== sha256) {
    await removeFile(partial);
    if (resumedFrom > 0) {
      // The kept bytes may be stale (another snapshot's, or damaged): once more from the start; a second mismatch fails.
      opts.log.warn(
        `${source.what}: SHA-256 mismatch after resuming at byte ${resumedFrom}; ${partial} deleted, downloading again from the start`,
      );
      return downloadToFile(source, file, opts);
    }
    throw new ChecksumMismatchError(`${source.what} → ${file}`, opts.expected.toLowerCase(), sha256);
  }
  await syncFile(partial);
  await commitFile(partial, file);
  return { size: result.size, sha256, resumedFrom };
}

/** One attempt: hash what the partial file holds, fetch the rest, append it. */
async function attempt(
  source: ByteSource,
  partial: string,
  opts: { signal: AbortSignal; log: Logger },
  onOpened: (start: number) => void,
): Promise<{ size: number; hash: Hash }> {
  // Hashed from disk on every attempt: after a failure, only what reached the disk counts.
  let hash = createHash("sha256");
  const have = (await fileSize(partial)) === undefined ? 0 : await hashFileInto(hash, partial, opts.signal);
  const opened = await source.open(have);
  onOpened(opened.start);
  if (opened.start !== have) {
    opts.log.info(`${source.what}: the source does not resume at byte ${have}; starting the download over`);
    hash = createHash("sha256");
  }
  let size = opened.start;
  const counted = countBytes();
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      counted(chunk.length);
      hash.update(chunk);
      size += chunk.length;
      done(null, chunk);
    },
  });
  const out = createWriteStream(partial, { flags: opened.start === 0 ? "w" : "a", mode: 0o640 });
  let writeError: unknown;
  out.once("error", (err) => (writeError = err));
  try {
    await pipeline(opened.body, counter, out, { signal: opts.signal });
  } catch (err) {
    if (writeError !== undefined) throw new LocalFileError("write", partial, writeError);
    throw err;
  }
  if (opened.total !== undefined && size < opened.total) throw new ShortBodyError(source.what, size, opened.total);
  if (opened.total !== undefined && size > opened.total) {
    await removeFile(partial);
    throw new ToolError(
      `${source.what}: got ${size} bytes, more than the ${opened.total} announced; ${partial} deleted`,
      EXIT.partial,
    );
  }
  return { size, hash };
}
