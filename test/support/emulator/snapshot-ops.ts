/** Shared pieces of the snapshot routes: `wait` handling, building + storing archives, downloads. */
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { collectionEntries } from "./archive.js";
import { boolQuery, storeOf, type NodeRuntime, type RequestCtx } from "./context.js";
import { acceptedReply, okReply, type Reply } from "./envelope.js";
import { collectionSnapshotName } from "./names.js";
import type { Collection } from "./state.js";
import type { SnapshotDescription, SnapshotScope, StoredSnapshot } from "./storage.js";
import { writeTar, type TarEntry } from "./tar.js";

/**
 * Run snapshot work the way Qdrant does: always in a spawned task (a client disconnect does not
 * cancel it); `wait=true` (default) answers its result, `wait=false` answers 202 at once and any
 * later failure is swallowed.
 */
export async function runSnapshotTask<T>(ctx: RequestCtx, work: () => Promise<T>): Promise<Reply> {
  const wait = boolQuery(ctx, "wait", true);
  const task = ctx.node.shared.track(Promise.resolve().then(work));
  if (!wait) {
    task.catch(() => undefined);
    return acceptedReply(ctx.startedAt);
  }
  return okReply(await task, ctx.startedAt);
}

/** Write entries to a temp tar and hand it to the node's snapshot storage under `name`. */
export async function storeArchive(
  node: NodeRuntime,
  scope: SnapshotScope,
  name: string,
  entries: TarEntry[],
): Promise<SnapshotDescription> {
  const tmp = join(node.shared.tmpDir, `${randomUUID()}.snapshot.tmp`);
  const { sha256 } = await writeTar(entries, tmp, node.shared.clock());
  return storeOf(node).save(scope, name, tmp, sha256);
}

export async function createCollectionSnapshot(node: NodeRuntime, c: Collection): Promise<SnapshotDescription> {
  const name = collectionSnapshotName(c.name, node.peerId, node.shared.clock());
  const entries = await collectionEntries(c, node.peerId, node.shared);
  return storeArchive(node, { kind: "collection", collection: c.name }, name, entries);
}

/** Parse a single `Range: bytes=…` header against a size; undefined = serve everything. */
function parseRange(
  header: string | undefined,
  size: number,
): { start: number; end: number } | "unsatisfiable" | undefined {
  const m = header ? /^bytes=(\d*)-(\d*)$/.exec(header.trim()) : null;
  if (!m) return undefined;
  const [, a = "", b = ""] = m;
  if (a === "" && b === "") return undefined;
  let start: number;
  let end: number;
  if (a === "") {
    start = Math.max(0, size - Number(b));
    end = size - 1;
  } else {
    start = Number(a);
    end = b === "" ? size - 1 : Math.min(Number(b), size - 1);
  }
  if (start >= size || start > end) return "unsatisfiable";
  return { start, end };
}

/**
 * The download answer. Local files are served like actix `NamedFile` (length, disposition,
 * Last-Modified, ETag, Range); S3 objects are streamed chunked, without a disposition.
 */
export async function downloadReply(ctx: RequestCtx, stored: StoredSnapshot, name: string): Promise<Reply> {
  const headers: Record<string, string> = { "content-type": "application/octet-stream" };
  if (stored.path === undefined) return { status: 200, headers, body: await stored.open() };
  const size = stored.size ?? 0;
  headers["content-disposition"] = `attachment; filename="${name}"`;
  headers["accept-ranges"] = "bytes";
  if (stored.lastModified) {
    headers["last-modified"] = stored.lastModified.toUTCString();
    headers["etag"] = `"${size.toString(16)}:${Math.floor(stored.lastModified.getTime() / 1000).toString(16)}"`;
  }
  const range = parseRange(typeof ctx.headers.range === "string" ? ctx.headers.range : undefined, size);
  if (range === "unsatisfiable") {
    return {
      status: 416,
      headers: { ...headers, "content-range": `bytes */${size}`, "content-length": "0" },
      body: Buffer.alloc(0),
    };
  }
  if (range) {
    headers["content-range"] = `bytes ${range.start}-${range.end}/${size}`;
    headers["content-length"] = String(range.end - range.start + 1);
    return { status: 206, headers, body: await stored.open(range) };
  }
  headers["content-length"] = String(size);
  return { status: 200, headers, body: await stored.open() };
}
