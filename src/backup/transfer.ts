/**
 * Moving snapshot bytes through the tool: node → destination, streamed, in constant memory, with SHA-256 computed
 * on the fly. Used by transfer mode (create_snap, create_full_snap) and anything else that copies a snapshot off a
 * node.
 */
import { createHash } from "node:crypto";
import { Transform, type Readable } from "node:stream";
import { ToolError, EXIT } from "../errors.js";
import { retry } from "../lib/retry.js";
import { snapshotPath, type SnapshotRef } from "../qdrant/client.js";
import { QdrantError } from "../qdrant/errors.js";
import type { Deps } from "./task/deps.js";
import { countBytes } from "./task/progress.js";

/** What a transfer stored: its size in bytes and SHA-256 (lowercase hex). */
export interface TransferResult {
  size: number;
  sha256: string;
}

/** The bytes that arrived are not the bytes Qdrant described (exit 3 for the item: recorded, retried next run). */
export class ChecksumMismatchError extends ToolError {
  constructor(what: string, expected: string, actual: string) {
    super(`${what}: SHA-256 mismatch: expected ${expected}, got ${actual}`, EXIT.partial);
  }
}

/** A pass-through that hashes and counts what flows through it. */
export function createDigestStream(): Transform & { digest(): TransferResult } {
  const hash = createHash("sha256");
  let size = 0;
  // Counted for the item this stream is made for (its progress), if any.
  const counted = countBytes();
  const stream = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      counted(chunk.length);
      hash.update(chunk);
      size += chunk.length;
      done(null, chunk);
    },
  });
  let result: TransferResult | undefined;
  return Object.assign(stream, {
    digest: (): TransferResult => (result ??= { size, sha256: hash.digest("hex") }),
  });
}

/** `source` through a digest stream: errors of the source reach the returned stream. */
export function hashing(source: Readable): { body: Readable; digest: () => TransferResult } {
  const digest = createDigestStream();
  source.once("error", (err) => digest.destroy(err));
  // A consumer may attach its listeners only after an await (the directory store creates its folder first); a source
  // error before that must not become an uncaught exception. The consumer still sees it: the stream is destroyed with it.
  digest.on("error", () => undefined);
  return { body: source.pipe(digest), digest: () => digest.digest() };
}

/**
 * Streams `ref` from `host` into the store under `key`, hashing it. When `expected` (Qdrant's checksum) is given
 * and differs, the stored object is deleted and ChecksumMismatchError thrown. A transfer that fails on the way
 * (transport, timeout, 5xx) is started again from the beginning, up to QDRANT_RETRIES times; the store never shows
 * a partial object.
 */
export async function transferSnapshot(
  deps: Pick<Deps, "qdrant" | "store" | "config" | "log" | "signal">,
  host: string,
  ref: SnapshotRef,
  key: string,
  expected?: string,
): Promise<TransferResult> {
  const store = deps.store();
  const what = `${host} ${ref.name} → ${store.location}/${key}`;
  const result = await retry(
    async () => {
      const download = await deps.qdrant.downloadSnapshot(host, ref);
      // The store reports a broken source as its own write failure (exit 4, not retried); remember the node's error.
      let broken: unknown;
      download.body.on("error", (err) => void (broken ??= err));
      const { body, digest } = hashing(download.body);
      try {
        await store.put(key, body, { size: download.length });
      } catch (err) {
        // The node's answer is read no further: its socket must not stay open on a paused body (it would hold up
        // closing the HTTP agent at the end of the run).
        download.body.destroy();
        body.destroy();
        if (broken === undefined || deps.signal.aborted) throw err;
        const detail = `download broke off after ${digest().size} bytes: ${broken instanceof Error ? broken.message : String(broken)}`;
        throw new QdrantError("transport", "GET", host, snapshotPath(ref), undefined, detail, undefined, {
          cause: broken,
        });
      }
      const got = digest();
      if (download.length !== undefined && got.size !== download.length) {
        await store.delete(key);
        throw new QdrantError(
          "transport",
          "GET",
          host,
          ref.name,
          200,
          `transfer ended after ${got.size} of ${download.length} bytes`,
        );
      }
      return got;
    },
    {
      retries: deps.config.retries,
      signal: deps.signal,
      classify: (err) => ({ retry: err instanceof QdrantError ? err.retryable : !(err instanceof ToolError) }),
      onRetry: (err, attempt) =>
        deps.log.warn(
          `transfer ${what} failed (${(err as Error).message}); retry ${attempt + 1} of ${deps.config.retries}`,
        ),
    },
  );
  if (expected !== undefined && expected.toLowerCase() !== result.sha256) {
    await store.delete(key);
    throw new ChecksumMismatchError(what, expected.toLowerCase(), result.sha256);
  }
  return result;
}
