/**
 * Shard snapshot routes under `/collections/{c}/shards/{id}/snapshots…`: the archive is one shard
 * directory at the tar root; recover takes an http(s) URL or the bare name of a stored snapshot.
 */
import { randomUUID } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { readShardDir, shardEntries } from "./archive.js";
import { param, readJson, requireManage, storeOf, type RequestCtx } from "./context.js";
import {
  ApiError,
  badRequest,
  notFound,
  okReply,
  serviceError,
  snapshotNotFound,
  wrongInput,
  type Reply,
} from "./envelope.js";
import { loadArchive, type ArchiveSource } from "./fetch-archive.js";
import { receiveSnapshotField } from "./multipart.js";
import { checkCollectionName, isPlainFileName, shardSnapshotName } from "./names.js";
import { parseRecoverBody, restoreReplica, type Priority } from "./recover.js";
import type { Route } from "./router.js";
import { downloadReply, runSnapshotTask, storeArchive } from "./snapshot-ops.js";
import { uploadQuery, verifyUploadChecksum } from "./snapshots.js";
import type { Collection, Shard } from "./state.js";
import type { SnapshotScope } from "./storage.js";
import { writeTar } from "./tar.js";
import { isForwardProxy } from "./cluster-activity.js";

function shardIdOf(ctx: RequestCtx): number {
  const raw = param(ctx, "shard");
  if (!/^\d+$/.test(raw) || Number(raw) > 0xffffffff) {
    throw new ApiError(400, `Deserialize error in path parameters: can not parse "${raw}" to a u32`);
  }
  return Number(raw);
}

interface Target {
  c: Collection;
  shard: Shard;
  scope: SnapshotScope;
}

/**
 * The collection (404), the shard (404) and this peer's replica of it (400 when not local). As in Qdrant 1.19, the
 * replica's state does not matter (a Dead or Partial replica is still a local shard), but the source of a
 * stream_records transfer is a forward proxy: listing needs a plain local shard (`Shard N is not a local shard`),
 * creating and reading a stored snapshot also accept a queue proxy (`… is not a local or queue proxy shard`).
 */
function target(ctx: RequestCtx, need: "local" | "local or queue proxy"): Target {
  const name = param(ctx, "name");
  checkCollectionName(name);
  const id = shardIdOf(ctx);
  const c = ctx.node.deployment.get(name);
  const shard = c.shards[id];
  if (!shard) throw notFound(`shard ${id} not found`);
  if (!shard.replicas.has(ctx.node.peerId) || isForwardProxy(c, id, ctx.node.peerId))
    throw wrongInput(`Shard ${id} is not a ${need} shard`);
  return { c, shard, scope: { kind: "shard", collection: c.name, shard: id } };
}

async function create(ctx: RequestCtx): Promise<Reply> {
  shardIdOf(ctx);
  return runSnapshotTask(ctx, async () => {
    requireManage(ctx);
    const { c, shard, scope } = target(ctx, "local or queue proxy");
    const name = shardSnapshotName(c.name, shard.id, ctx.node.shared.clock());
    // Shard snapshots carry no WAL history; an empty WAL is written instead.
    return storeArchive(ctx.node, scope, name, await shardEntries(c, shard, ctx.node.peerId, ctx.node.shared, ""));
  });
}

async function list(ctx: RequestCtx): Promise<Reply> {
  return okReply(await storeOf(ctx.node).list(target(ctx, "local").scope), ctx.startedAt);
}

async function download(ctx: RequestCtx): Promise<Reply> {
  const name = param(ctx, "snapshot");
  const stored = await storeOf(ctx.node).get(target(ctx, "local or queue proxy").scope, name);
  if (!stored) throw snapshotNotFound(name);
  return downloadReply(ctx, stored, name);
}

async function remove(ctx: RequestCtx): Promise<Reply> {
  shardIdOf(ctx);
  return runSnapshotTask(ctx, async () => {
    requireManage(ctx);
    const name = param(ctx, "snapshot");
    if (!(await storeOf(ctx.node).delete(target(ctx, "local or queue proxy").scope, name)))
      throw snapshotNotFound(name);
    return true;
  });
}

/** Apply a shard archive to this peer's replica; the temp files listed are removed afterwards. */
async function recoverShard(
  ctx: RequestCtx,
  t: Target,
  source: ArchiveSource,
  checksum: string | undefined,
  priority: Priority,
  cleanup: string[],
): Promise<true> {
  try {
    const shardData = await readShardDir(await loadArchive(source, checksum), "", t.shard.id);
    // ShardReplicaSet::restore_snapshot: standalone needs a snapshot of a local shard. Its peer ids, replica states
    // and the source's shard count are not checked: a shard from any topology recovers into any shard id.
    if (!ctx.node.deployment.distributed && !shardData.isLocal) {
      const at = join(ctx.node.shared.tmpDir, `${t.c.name}-shard-${t.shard.id}-recovery`);
      throw serviceError(`Can't restore snapshot in local mode with missing data at shard: ${at}`);
    }
    // restore_local_replica_from: no segments/ + wal/ in the archive → nothing recovered.
    if (!shardData.points) throw badRequest("Invalid snapshot");
    restoreReplica(t.shard, ctx.node.peerId, shardData.points, priority, shardData.indexes);
    ctx.node.shared.restoreFaults.shardRecovered(ctx.node, t.c, t.shard);
    return true;
  } finally {
    for (const f of cleanup) await rm(f, { force: true });
  }
}

async function recover(ctx: RequestCtx): Promise<Reply> {
  shardIdOf(ctx);
  const req = parseRecoverBody(await readJson(ctx), false);
  return runSnapshotTask(ctx, async () => {
    requireManage(ctx);
    const t = target(ctx, "local");
    const cleanup: string[] = [];
    let source: ArchiveSource;
    if (URL.canParse(req.location)) {
      const url = new URL(req.location);
      const scheme = url.protocol.replace(/:$/, "");
      if (scheme !== "http" && scheme !== "https") {
        throw wrongInput(`Invalid snapshot URL ${req.location}: URLs with ${scheme} scheme are not supported`);
      }
      source = { kind: "url", url: url.href, apiKey: req.apiKey, dispatcher: ctx.node.shared.downloads };
    } else {
      if (!isPlainFileName(req.location)) throw snapshotNotFound(req.location);
      const stored = await storeOf(ctx.node).get(t.scope, req.location);
      if (!stored) throw snapshotNotFound(req.location);
      if (stored.path !== undefined) {
        source = { kind: "file", path: stored.path };
      } else {
        // Code-derived Qdrant quirk: with S3 storage the checksum is computed on a path that does not exist.
        if (req.checksum !== undefined) {
          (await stored.open()).destroy();
          throw serviceError("File IO error: No such file or directory (os error 2)");
        }
        const tmp = join(ctx.node.shared.tmpDir, `${randomUUID()}.part`);
        cleanup.push(tmp);
        await pipeline(await stored.open(), createWriteStream(tmp));
        source = { kind: "file", path: tmp };
      }
    }
    return recoverShard(ctx, t, source, req.checksum, req.priority, cleanup);
  });
}

async function upload(ctx: RequestCtx): Promise<Reply> {
  shardIdOf(ctx);
  checkCollectionName(param(ctx, "name"), true);
  const { priority, checksum } = uploadQuery(ctx);
  const file = await receiveSnapshotField(ctx, ctx.node.shared.tmpDir);
  return runSnapshotTask(ctx, async () => {
    try {
      requireManage(ctx);
      const t = target(ctx, "local");
      await verifyUploadChecksum(file.path, checksum);
      return await recoverShard(ctx, t, { kind: "file", path: file.path }, undefined, priority, []);
    } finally {
      await rm(file.path, { force: true });
    }
  });
}

/** `GET …/shards/{id}/snapshot`: build a fresh shard snapshot and stream it without storing it. */
async function stream(ctx: RequestCtx): Promise<Reply> {
  const { c, shard } = target(ctx, "local or queue proxy");
  const name = shardSnapshotName(c.name, shard.id, ctx.node.shared.clock());
  const tmp = join(ctx.node.shared.tmpDir, `${randomUUID()}.stream`);
  await writeTar(await shardEntries(c, shard, ctx.node.peerId, ctx.node.shared, ""), tmp, ctx.node.shared.clock());
  const body = createReadStream(tmp);
  body.on("close", () => void rm(tmp, { force: true }));
  return {
    status: 200,
    headers: { "content-type": "application/octet-stream", "content-disposition": `attachment; filename="${name}"` },
    body,
  };
}

const base = "/collections/:name/shards/:shard";
export const shardSnapshotRoutes: Route[] = [
  { method: "POST", path: `${base}/snapshots`, handler: create },
  { method: "GET", path: `${base}/snapshots`, handler: list },
  { method: "GET", path: `${base}/snapshots/:snapshot`, handler: download },
  { method: "DELETE", path: `${base}/snapshots/:snapshot`, handler: remove },
  { method: "PUT", path: `${base}/snapshots/recover`, handler: recover },
  { method: "POST", path: `${base}/snapshots/upload`, handler: upload },
  { method: "GET", path: `${base}/snapshot`, handler: stream },
];
