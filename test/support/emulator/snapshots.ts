/** Collection snapshot routes: create, list, download, delete, recover by URL, upload + recover. */
import { mkdir, utimes } from "node:fs/promises";
import { join } from "node:path";
import { randomUUID } from "node:crypto";
import { param, readJson, requireManage, storeOf, type RequestCtx } from "./context.js";
import { ApiError, okReply, snapshotNotFound, type Reply } from "./envelope.js";
import { sha256File } from "./fetch-archive.js";
import { receiveSnapshotField } from "./multipart.js";
import { checkCollectionName } from "./names.js";
import {
  checkChecksumFormat,
  collectionSource,
  parseRecoverBody,
  PRIORITIES,
  recoverCollection,
  type Priority,
} from "./recover.js";
import type { Route } from "./router.js";
import { createCollectionSnapshot, downloadReply, runSnapshotTask } from "./snapshot-ops.js";
import { moveFile } from "./storage-local.js";
import type { SnapshotScope } from "./storage.js";

function scopeOf(ctx: RequestCtx): SnapshotScope {
  const name = param(ctx, "name");
  checkCollectionName(name);
  // Aliases resolve to their collection; a missing collection is a 404 on these routes.
  return { kind: "collection", collection: ctx.node.deployment.get(name).name };
}

async function create(ctx: RequestCtx): Promise<Reply> {
  checkCollectionName(param(ctx, "name"));
  return runSnapshotTask(ctx, async () => {
    requireManage(ctx);
    return createCollectionSnapshot(ctx.node, ctx.node.deployment.get(param(ctx, "name")));
  });
}

async function list(ctx: RequestCtx): Promise<Reply> {
  return okReply(await storeOf(ctx.node).list(scopeOf(ctx)), ctx.startedAt);
}

async function download(ctx: RequestCtx): Promise<Reply> {
  const scope = scopeOf(ctx);
  const name = param(ctx, "snapshot");
  const stored = await storeOf(ctx.node).get(scope, name);
  if (!stored) throw snapshotNotFound(name);
  return downloadReply(ctx, stored, name);
}

async function remove(ctx: RequestCtx): Promise<Reply> {
  checkCollectionName(param(ctx, "name"));
  return runSnapshotTask(ctx, async () => {
    requireManage(ctx);
    const name = param(ctx, "snapshot");
    if (!(await storeOf(ctx.node).delete(scopeOf(ctx), name))) throw snapshotNotFound(name);
    return true;
  });
}

async function recover(ctx: RequestCtx): Promise<Reply> {
  const name = param(ctx, "name");
  checkCollectionName(name);
  const req = parseRecoverBody(await readJson(ctx), true);
  return runSnapshotTask(ctx, async () => {
    requireManage(ctx);
    return recoverCollection(ctx.node, name, await collectionSource(ctx.node, req), req.checksum, req.priority);
  });
}

function priorityQuery(ctx: RequestCtx): Priority {
  const v = ctx.query.get("priority");
  if (v === null) return "snapshot";
  const hit = PRIORITIES.find((p) => p === v);
  if (!hit)
    throw new ApiError(
      400,
      `Query deserialize error: unknown variant \`${v}\`, expected one of \`no_sync\`, \`snapshot\`, \`replica\``,
    );
  return hit;
}

/** Query parameters shared by the collection and shard upload routes. */
export function uploadQuery(ctx: RequestCtx): { priority: Priority; checksum: string | undefined } {
  const checksum = ctx.query.get("checksum") ?? undefined;
  checkChecksumFormat(checksum, "query");
  return { priority: priorityQuery(ctx), checksum };
}

/** Upload's own checksum check: note the swapped labels, as in Qdrant. */
export async function verifyUploadChecksum(path: string, given: string | undefined): Promise<void> {
  if (given === undefined) return;
  const actual = await sha256File(path);
  if (actual !== given.trim().toLowerCase())
    throw new ApiError(400, `Checksum mismatch: expected ${actual}, actual ${given}`);
}

async function upload(ctx: RequestCtx): Promise<Reply> {
  const name = param(ctx, "name");
  checkCollectionName(name, true);
  const { priority, checksum } = uploadQuery(ctx);
  const file = await receiveSnapshotField(ctx, ctx.node.shared.tmpDir);
  return runSnapshotTask(ctx, async () => {
    requireManage(ctx);
    await verifyUploadChecksum(file.path, checksum);
    // The upload is kept in the collection's local snapshot directory, even with S3 storage.
    const dir = join(ctx.node.snapshotsDir, name);
    await mkdir(dir, { recursive: true });
    const kept = join(dir, file.filename ?? randomUUID());
    await moveFile(file.path, kept);
    const now = ctx.node.shared.clock();
    await utimes(kept, now, now);
    return recoverCollection(ctx.node, name, { kind: "file", path: kept }, undefined, priority);
  });
}

export const snapshotRoutes: Route[] = [
  { method: "POST", path: "/collections/:name/snapshots", handler: create },
  { method: "GET", path: "/collections/:name/snapshots", handler: list },
  { method: "GET", path: "/collections/:name/snapshots/:snapshot", handler: download },
  { method: "DELETE", path: "/collections/:name/snapshots/:snapshot", handler: remove },
  { method: "PUT", path: "/collections/:name/snapshots/recover", handler: recover },
  { method: "POST", path: "/collections/:name/snapshots/upload", handler: upload },
];
