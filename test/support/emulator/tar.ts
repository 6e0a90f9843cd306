/**
 * Plain (uncompressed) tar reading and writing over tar-stream, with the rules of Qdrant's
 * unpacker: only files and directories, no duplicate paths.
 */
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { Readable, Transform, type Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import tar from "tar-stream";

export interface TarEntry {
  name: string;
  /** Directory entry when true (name should end with `/`). */
  dir?: boolean;
  /** In-memory content. */
  body?: Buffer;
  /** Or stream this file's content (for big inner archives); `size` must then be given. */
  file?: string;
  size?: number;
}

/** Why an archive could not be read; the caller words it per source (URL, file, upload). */
export class TarError extends Error {
  constructor(
    readonly kind: "malformed" | "forbidden" | "duplicate",
    message: string,
  ) {
    super(message);
  }
}

function addEntry(pack: tar.Pack, e: TarEntry, mtime: Date): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (err?: Error | null): void => (err ? reject(err) : resolve());
    if (e.dir) {
      pack.entry({ name: e.name, type: "directory", mode: 0o755, mtime }, done);
    } else if (e.file !== undefined) {
      const sink: Writable = pack.entry({ name: e.name, size: e.size ?? 0, mode: 0o644, mtime }, done);
      createReadStream(e.file).on("error", reject).pipe(sink);
    } else {
      pack.entry({ name: e.name, mode: 0o644, mtime }, e.body ?? Buffer.alloc(0), done);
    }
  });
}

/** Write entries as a tar file, returning its size and SHA-256 (lower-case hex). */
export async function writeTar(
  entries: TarEntry[],
  outFile: string,
  mtime: Date,
): Promise<{ size: number; sha256: string }> {
  const pack = tar.pack();
  const hash = createHash("sha256");
  let size = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      // hash.update() and a file write take at most 2^31 - 1 bytes at once; benchmark archives carry a 2 GiB entry.
      const step = 64 * 1024 * 1024;
      for (let at = 0; at < chunk.length; at += step) {
        const slice = chunk.subarray(at, at + step);
        hash.update(slice);
        this.push(slice);
      }
      size += chunk.length;
      cb();
    },
  });
  const written = pipeline(pack, meter, createWriteStream(outFile));
  for (const e of entries) await addEntry(pack, e, mtime);
  pack.finalize();
  await written;
  return { size, sha256: hash.digest("hex") };
}

/** Build a small tar in memory (nested segment archives). */
export async function tarToBuffer(entries: TarEntry[], mtime: Date): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const collected = (async () => {
    for await (const c of pack) chunks.push(c);
  })();
  for (const e of entries) await addEntry(pack, e, mtime);
  pack.finalize();
  await collected;
  return Buffer.concat(chunks);
}

const ALLOWED = new Set(["file", "contiguous-file", "directory"]);

/**
 * Read every entry of a tar stream into memory (`./` prefixes dropped; directories map to an
 * empty buffer under their `name/`). Rejects with a TarError on malformed or forbidden input.
 */
export function readTar(source: Readable | Buffer): Promise<Map<string, Buffer>> {
  const input = Buffer.isBuffer(source) ? Readable.from([source]) : source;
  return new Promise((resolve, reject) => {
    const entries = new Map<string, Buffer>();
    const extract = tar.extract();
    let failed = false;
    // `raw` errors come from the source (e.g. a dropped download) and are passed through as they are.
    const fail = (err: Error, raw = false): void => {
      if (failed) return;
      failed = true;
      input.unpipe(extract);
      input.resume();
      extract.destroy();
      reject(raw || err instanceof TarError ? err : new TarError("malformed", err.message));
    };
    extract.on("entry", (header, stream, next) => {
      const type = header.type ?? "file";
      const name = header.name.replace(/^(\.\/)+/, "");
      if (!ALLOWED.has(type)) {
        stream.resume();
        fail(new TarError("forbidden", `Forbidden entry type in tar archive: ${type} ${name}`));
        return;
      }
      const key = type === "directory" && !name.endsWith("/") ? `${name}/` : name;
      if (entries.has(key) && type !== "directory") {
        stream.resume();
        fail(new TarError("duplicate", `failed to unpack \`${name}\`: File exists (os error 17)`));
        return;
      }
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", () => {
        entries.set(key, Buffer.concat(chunks));
        next();
      });
      stream.on("error", (e: Error) => fail(e));
    });
    extract.on("finish", () => {
      if (!failed) resolve(entries);
    });
    extract.on("error", (e: Error) => fail(e));
    input.on("error", (e: Error) => fail(e, true));
    input.pipe(extract);
  });
}
