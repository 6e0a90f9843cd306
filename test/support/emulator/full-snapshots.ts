/**
 * Full-storage snapshots: a tar of fresh per-collection snapshots plus a `config.json` with
 * `collections_mapping` and `collections_aliases`. There is no REST restore, as in Qdrant.
 */
import { randomUUID } from "node:crypto";
import { createWriteStream } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { param, requireManage, storeOf, type NodeRuntime, type RequestCtx } from "./context.js";
import { okReply, snapshotNotFound, type Reply } from "./envelope.js";
import { fullSnapshotName } from "./names.js";
import type { Route } from "./router.js";
import { createCollectionSnapshot, downloadReply, runSnapshotTask, storeArchive } from "./snapshot-ops.js";
import type { SnapshotDescription, SnapshotScope } from "./storage.js";
import type { TarEntry } from "./tar.js";

const FULL: SnapshotScope = { kind: "full" };

async function createFull(node: NodeRuntime): Promise<SnapshotDescription> {
  const name = fullSnapshotName(node.shared.clock());
  const store = storeOf(node);
  const mapping: Record<string, string> = {};
  const entries: TarEntry[] = [];
  const movedLocal: string[] = [];
  const downloaded: string[] = [];
  try {
    for (const c of [...node.deployment.collections.values()].sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const desc = await createCollectionSnapshot(node, c);
      const stored = await store.get({ kind: "collection", collection: c.name }, desc.name);
      if (!stored) throw new Error(`snapshot ${desc.name} vanished while building the full snapshot`);
      let file = stored.path;
      if (file === undefined) {
        // S3: fetch the object to include it; it stays in the bucket afterwards.
        file = join(node.shared.tmpDir, `${randomUUID()}.part`);
        await pipeline(await stored.open(), createWriteStream(file));
        downloaded.push(file);
      } else {
        movedLocal.push(file);
      }
      mapping[c.name] = desc.name;
      entries.push({ name: desc.name, file, size: desc.size });
    }
    const aliases = Object.fromEntries([...node.deployment.aliases].sort(([a], [b]) => (a < b ? -1 : 1)));
    entries.push({
      name: "config.json",
      body: Buffer.from(JSON.stringify({ collections_mapping: mapping, collections_aliases: aliases })),
    });
    const desc = await storeArchive(node, FULL, name, entries);
    // Locally the collection snapshots are moved into the archive; their .checksum files stay behind.
    for (const f of movedLocal) await rm(f, { force: true });
    return desc;
  } finally {
    for (const f of downloaded) await rm(f, { force: true });
  }
}

async function create(ctx: RequestCtx): Promise<Reply> {
  return runSnapshotTask(ctx, async () => {
    requireManage(ctx);
    return createFull(ctx.node);
  });
}

async function list(ctx: RequestCtx): Promise<Reply> {
  return okReply(await storeOf(ctx.node).list(FULL), ctx.startedAt);
}

async function download(ctx: RequestCtx): Promise<Reply> {
  const name = param(ctx, "snapshot");
  const stored = await storeOf(ctx.node).get(FULL, name);
  if (!stored) throw snapshotNotFound(name);
  return downloadReply(ctx, stored, name);
}

async function remove(ctx: RequestCtx): Promise<Reply> {
  return runSnapshotTask(ctx, async () => {
    requireManage(ctx);
    const name = param(ctx, "snapshot");
    if (!(await storeOf(ctx.node).delete(FULL, name))) throw snapshotNotFound(name);
    return true;
  });
}

export const fullSnapshotRoutes: Route[] = [
  { method: "POST", path: "/snapshots", handler: create },
  { method: "GET", path: "/snapshots", handler: list },
  { method: "GET", path: "/snapshots/:snapshot", handler: download },
  { method: "DELETE", path: "/snapshots/:snapshot", handler: remove },
];
