/**
 * Get a snapshot archive's entries from a URL or a local file, hashing the bytes on the way and
 * checking an expected checksum before anything is changed, with Qdrant's error wording.
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { STATUS_CODES } from "node:http";
import { Readable, Transform } from "node:stream";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import { fetch as undiciFetch, type Dispatcher } from "undici";
import { ApiError, serviceError, wrongInput } from "./envelope.js";
import { readTar, TarError } from "./tar.js";

/** `dispatcher`: an undici agent for the download (e.g. one trusting a private CA); default: the global fetch's. */
export type ArchiveSource =
  { kind: "url"; url: string; apiKey?: string; dispatcher?: Dispatcher | undefined } | { kind: "file"; path: string };

function hashing(hash: ReturnType<typeof createHash>): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      cb(null, chunk);
    },
  });
}

/** reqwest-like text for a failed request: the cause chain, innermost last. */
function describeFetchError(url: string, e: unknown): string {
  const causes: string[] = [];
  let cur: unknown = e instanceof Error ? e.cause : undefined;
  while (cur instanceof Error) {
    causes.push(cur.message);
    cur = cur.cause;
  }
  const tail = causes.length ? `: ${causes.join(": ")}` : e instanceof Error ? `: ${e.message}` : "";
  return `Http request error: error sending request for url (${url})${tail}`;
}

async function openUrl(url: string, apiKey: string | undefined, dispatcher: Dispatcher | undefined): Promise<Readable> {
  let res: Pick<Response, "ok" | "status" | "body">;
  try {
    const headers: Record<string, string> = apiKey ? { "api-key": apiKey } : {};
    res = dispatcher ? await undiciFetch(url, { headers, dispatcher }) : await fetch(url, { headers });
  } catch (e) {
    throw serviceError(describeFetchError(url, e));
  }
  if (!res.ok) {
    await res.body?.cancel().catch(() => undefined);
    const reason = STATUS_CODES[res.status] ?? "<unknown status code>";
    throw wrongInput(`Failed to download tar from ${url}: status - ${res.status} ${reason}`);
  }
  if (!res.body) return Readable.from([]);
  const web: WebReadableStream<Uint8Array> = res.body;
  return Readable.fromWeb(web);
}

function checkSum(expected: string | undefined, actual: string): void {
  if (expected !== undefined && expected.trim().toLowerCase() !== actual) {
    throw wrongInput(`Snapshot checksum mismatch: expected ${expected}, got ${actual}`);
  }
}

/** SHA-256 (lower-case hex) of a local file. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk);
  return hash.digest("hex");
}

/** Read all entries of the archive; `checksum` (64 hex) is verified before returning. */
export async function loadArchive(source: ArchiveSource, checksum: string | undefined): Promise<Map<string, Buffer>> {
  if (source.kind === "url") {
    const body = await openUrl(source.url, source.apiKey, source.dispatcher);
    const hash = createHash("sha256");
    let entries: Map<string, Buffer>;
    try {
      // Like Qdrant ≥ 1.17: untar while downloading, hash the same bytes.
      const hashed = hashing(hash);
      body.on("error", (e: Error) => hashed.destroy(e));
      entries = await readTar(body.pipe(hashed));
    } catch (e) {
      if (e instanceof TarError) {
        const detail = e.kind === "malformed" ? `Malformed tar archive, ${e.message}` : e.message;
        throw serviceError(`Failed to unpack tar archive: ${detail}`);
      }
      throw serviceError(describeFetchError(source.url, e));
    }
    checkSum(checksum, hash.digest("hex"));
    return entries;
  }
  if (checksum !== undefined) checkSum(checksum, await sha256File(source.path));
  try {
    return await readTar(createReadStream(source.path));
  } catch (e) {
    if (e instanceof ApiError) throw e;
    if (e instanceof TarError && e.kind === "malformed")
      throw serviceError(`File IO error: Malformed tar archive, ${e.message}`);
    throw serviceError(`File IO error: ${e instanceof Error ? e.message : String(e)}`);
  }
}
