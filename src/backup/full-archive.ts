/**
 * Reading a full-storage snapshot as a stream, in constant memory: a plain tar of the collections' own snapshot
 * files (`{collection}-{peer}-{ts}.snapshot`, at the root) and a `config.json` with `collections_mapping`
 * (collection → inner file) and `collections_aliases` (alias → collection). Qdrant writes config.json LAST, so the
 * mapping is usually unknown when the inner snapshots stream by: see collectionOfInnerSnapshot.
 */
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import tar from "tar-stream";
import { ToolError, EXIT } from "../errors.js";
import { isObject } from "../qdrant/types.js";

/** config.json is a few bytes per collection and alias; anything bigger is not a full snapshot's. */
const MAX_CONFIG_BYTES = 16 * 1024 * 1024;

/** Names Qdrant gives full snapshots: `full-snapshot-YYYY-MM-DD-HH-MM-SS.snapshot`. */
export function isFullSnapshotName(name: string): boolean {
  return /^full-snapshot-\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}\.snapshot$/.test(name);
}

/**
 * The collection of an inner snapshot file by Qdrant's (≥ 1.0) naming rule `{collection}-{peer_id}-{ts}.snapshot`.
 * Not ambiguous when the collection holds dashes or digits: the peer id is the one dash-free run of digits right
 * before the fixed-width time stamp, and the collection is everything before it. Undefined for other names.
 */
export function collectionOfInnerSnapshot(name: string): string | undefined {
  return /^(.+)-\d+-\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}\.snapshot$/.exec(name)?.[1];
}

/** The archive's config.json. */
export interface FullSnapshotConfig {
  /** collection → inner snapshot file name. */
  readonly collections: ReadonlyMap<string, string>;
  /** alias → collection. */
  readonly aliases: ReadonlyMap<string, string>;
}

/** Parses config.json; throws an Error saying what is wrong. */
export function parseFullSnapshotConfig(text: string): FullSnapshotConfig {
  const v: unknown = JSON.parse(text);
  if (!isObject(v)) throw new Error("config.json is not a JSON object");
  const stringMap = (field: string, optional: boolean): Map<string, string> => {
    const o = v[field];
    if (o === undefined && optional) return new Map();
    if (!isObject(o)) throw new Error(`config.json: "${field}" is not an object`);
    const out = new Map<string, string>();
    for (const [k, value] of Object.entries(o)) {
      if (typeof value !== "string") throw new Error(`config.json: "${field}.${k}" is not a string`);
      out.set(k, value);
    }
    return out;
  };
  // Qdrant's SnapshotConfig: the mapping is required, the aliases default to none.
  return { collections: stringMap("collections_mapping", false), aliases: stringMap("collections_aliases", true) };
}

/** The archive cannot be read to its end: truncated, corrupted, not a tar, or the source failed (exit 3 per host). */
export class ArchiveError extends ToolError {
  constructor(message: string) {
    super(message, EXIT.partial);
  }
}

/** One inner collection snapshot as it streams by. */
export interface InnerSnapshot {
  /** Its file name in the archive. */
  readonly name: string;
  /** Bytes, from the tar header. */
  readonly size: number;
  /**
   * Its bytes, readable once. A consumer may stop early or fail: the rest is skipped without harming the archive.
   * When the archive itself breaks, the body fails with an ArchiveError.
   */
  readonly body: Readable;
  /** The ArchiveError the body failed with, when the archive (not the consumer) broke. */
  archiveFailure(): ArchiveError | undefined;
}

export interface ArchiveHandlers {
  onConfig(config: FullSnapshotConfig): Promise<void> | void;
  onSnapshot(inner: InnerSnapshot): Promise<void>;
  /** Entries that are neither config.json nor an inner snapshot file (ignored). */
  onOther?(name: string, type: string): void;
}

/**
 * Streams `source` (a full snapshot's bytes) through a tar parser and hands each entry to `handlers` in archive
 * order; only one entry's bytes are in flight at a time. Handler errors end the read and are rethrown as they are.
 * @param what the archive's name and location, for messages
 * @throws ArchiveError when the tar cannot be read to its end
 */
export async function readFullArchive(source: Readable, what: string, handlers: ArchiveHandlers): Promise<void> {
  const extract = tar.extract();
  const broken = (err: unknown): ArchiveError =>
    err instanceof ArchiveError
      ? err
      : new ArchiveError(`${what}: cannot read the archive: ${err instanceof Error ? err.message : String(err)}`);
  let feedError: unknown;
  const feeding = pipeline(source, extract).catch((err: unknown) => void (feedError ??= err));
  const entries = extract[Symbol.asyncIterator]();
  let finished = false;
  try {
    for (;;) {
      let step: IteratorResult<tar.Entry>;
      try {
        step = await entries.next();
      } catch (err) {
        throw broken(feedError ?? err);
      }
      if (step.done) break;
      const entry = step.value;
      const reader = readEntry(entry, (err) => broken(feedError ?? err));
      const name = entry.header.name.replace(/^(\.\/)+/, "");
      const type = entry.header.type ?? "file";
      if (name === "config.json" && type === "file") {
        const text = await reader.readText(MAX_CONFIG_BYTES, `${what}: config.json`);
        let config: FullSnapshotConfig;
        try {
          config = parseFullSnapshotConfig(text);
        } catch (err) {
          throw new ArchiveError(`${what}: ${(err as Error).message}`);
        }
        await handlers.onConfig(config);
      } else if (type === "file" && name.endsWith(".snapshot") && !name.includes("/")) {
        await handlers.onSnapshot({
          name,
          size: entry.header.size ?? 0,
          body: reader.body,
          archiveFailure: reader.failure,
        });
      } else if (type !== "directory") {
        handlers.onOther?.(name, type);
      }
      await reader.drain();
    }
    finished = true;
  } finally {
    // On any early exit the download (or file read) stops here instead of running on.
    if (!finished) {
      extract.destroy();
      source.destroy();
    }
    await feeding;
  }
  if (feedError !== undefined) throw broken(feedError);
}

/**
 * A one-at-a-time reader over a tar entry. tar-stream tears the whole archive down when an entry stream is
 * destroyed, so consumers get a separate Readable; `drain` skips what they left. At most one `next()` is pending on
 * the entry at any time, shared between the body and `drain`.
 */
function readEntry(entry: tar.Entry, broken: (err: unknown) => ArchiveError) {
  const chunks = entry[Symbol.asyncIterator]();
  let pending: Promise<IteratorResult<Buffer>> | undefined;
  let failure: ArchiveError | undefined;
  let released = false;
  const step = async (): Promise<IteratorResult<Buffer>> => {
    const p = (pending ??= chunks.next());
    try {
      return await p;
    } catch (err) {
      failure ??= broken(err);
      throw failure;
    } finally {
      if (pending === p) pending = undefined;
    }
  };
  async function* bytes(): AsyncGenerator<Buffer> {
    for (;;) {
      if (released) return;
      const r = await step();
      if (r.done || released) return;
      yield r.value;
    }
  }
  const body = Readable.from(bytes(), { objectMode: false });
  return {
    body,
    failure: (): ArchiveError | undefined => failure,
    async readText(limit: number, label: string): Promise<string> {
      released = true;
      const parts: Buffer[] = [];
      let size = 0;
      for (let r = await step(); !r.done; r = await step()) {
        size += r.value.length;
        if (size > limit) throw new ArchiveError(`${label} is larger than ${limit} bytes`);
        parts.push(r.value);
      }
      return Buffer.concat(parts).toString("utf8");
    },
    async drain(): Promise<void> {
      released = true;
      body.destroy();
      for (let r = await step(); !r.done; r = await step());
    },
  };
}
