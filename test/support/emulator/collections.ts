/** Service info, health probes and collection CRUD. */
import type { Schemas } from "@qdrant/js-client-rest";
import { configFromCreateBody } from "./collection-config.js";
import { publicConfig } from "./config-views.js";
import { param, readJson, requireManage, type RequestCtx } from "./context.js";
import { ApiError, okReply, wrongInput, type Reply } from "./envelope.js";
import { checkCollectionName } from "./names.js";
import { payloadIndexRoutes, payloadSchemaOf } from "./payload-index.js";
import type { Route } from "./router.js";
import { visiblePoints, type Collection, type PeerId } from "./state.js";

/** A stable fake git commit id for `GET /` (Qdrant reports its build commit). */
const BUILD_COMMIT = "74f3e85b9473c62560006c043e13737ce6b48412";

function plain(text: string): Reply {
  return { status: 200, headers: { "content-type": "text/plain; charset=utf-8" }, body: Buffer.from(text) };
}

async function versionInfo(ctx: RequestCtx): Promise<Reply> {
  const info: Schemas["VersionInfo"] = {
    title: "qdrant - vector search engine",
    version: ctx.node.shared.version,
    commit: BUILD_COMMIT,
  };
  return { status: 200, headers: { "content-type": "application/json" }, body: Buffer.from(JSON.stringify(info)) };
}

export function collectionInfo(c: Collection, viewerPeerId: PeerId): Schemas["CollectionInfo"] {
  const points = visiblePoints(c, viewerPeerId);
  return {
    ...healthOf(c),
    indexed_vectors_count: 0,
    points_count: points.length,
    // Qdrant keeps a couple of segments per shard; the exact number never matters to a client.
    segments_count: c.shards.length * 2,
    config: publicConfig(c.config),
    payload_schema: payloadSchemaOf(c, viewerPeerId),
  };
}

/** `red` (an optimizer error), `grey` (optimizations pending, not triggered), `yellow` (optimizing) or `green`. */
function healthOf(c: Collection): Pick<Schemas["CollectionInfo"], "status" | "optimizer_status"> {
  const h = c.health;
  if (h?.error !== undefined) return { status: "red", optimizer_status: { error: h.error } };
  if (h?.grey) return { status: "grey", optimizer_status: "ok" };
  if (h && h.yellowPolls > 0) return { status: "yellow", optimizer_status: "ok" };
  return { status: "green", optimizer_status: "ok" };
}

async function listCollections(ctx: RequestCtx): Promise<Reply> {
  const names = [...ctx.node.deployment.collections.keys()].sort();
  const result: Schemas["CollectionsResponse"] = { collections: names.map((name) => ({ name })) };
  return okReply(result, ctx.startedAt);
}

async function getCollection(ctx: RequestCtx): Promise<Reply> {
  const name = param(ctx, "name");
  checkCollectionName(name);
  const c = ctx.node.deployment.get(name);
  const info = collectionInfo(c, ctx.node.peerId);
  // Each status read of a yellow collection is one step of the emulated optimization.
  if (info.status === "yellow" && c.health) c.health.yellowPolls -= 1;
  return okReply(info, ctx.startedAt);
}

async function createCollection(ctx: RequestCtx): Promise<Reply> {
  const name = param(ctx, "name");
  checkCollectionName(name, true);
  const body = await readJson(ctx);
  const d = ctx.node.deployment;
  const config = configFromCreateBody(body, d.defaults);
  requireManage(ctx);
  if (d.aliases.has(name)) {
    throw wrongInput(`Can't create collection with name ${name}. Alias with the same name already exists`);
  }
  if (d.collections.has(name)) throw new ApiError(409, `Wrong input: Collection \`${name}\` already exists!`);
  d.create(name, config);
  return okReply(true, ctx.startedAt);
}

async function deleteCollection(ctx: RequestCtx): Promise<Reply> {
  const name = param(ctx, "name");
  checkCollectionName(name);
  requireManage(ctx);
  // Snapshot files stay on disk/in the bucket: Qdrant only removes the collection's data.
  return okReply(ctx.node.deployment.drop(name), ctx.startedAt);
}

async function collectionExists(ctx: RequestCtx): Promise<Reply> {
  const name = param(ctx, "name");
  checkCollectionName(name);
  const result: Schemas["CollectionExistence"] = { exists: ctx.node.deployment.find(name) !== undefined };
  return okReply(result, ctx.startedAt);
}

export const collectionRoutes: Route[] = [
  { method: "GET", path: "/", handler: versionInfo, open: true },
  { method: "GET", path: "/healthz", handler: async () => plain("healthz check passed"), open: true },
  { method: "GET", path: "/livez", handler: async () => plain("livez check passed"), open: true },
  { method: "GET", path: "/readyz", handler: async () => plain("all shards are ready"), open: true },
  { method: "GET", path: "/collections", handler: listCollections },
  { method: "GET", path: "/collections/:name", handler: getCollection },
  { method: "PUT", path: "/collections/:name", handler: createCollection },
  { method: "DELETE", path: "/collections/:name", handler: deleteCollection },
  { method: "GET", path: "/collections/:name/exists", handler: collectionExists },
  ...payloadIndexRoutes,
];
