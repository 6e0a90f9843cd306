/** Points: upsert, exact count, scroll in id order, retrieve and delete by id. */
import type { Schemas } from "@qdrant/js-client-rest";
import { boolQuery, param, readJson, requireManage, type RequestCtx } from "./context.js";
import { badRequest, okReply, type Reply } from "./envelope.js";
import { compileFilter } from "./filter.js";
import { formatError, isObject, Reader, type Json, type JsonObject } from "./json.js";
import { checkCollectionName } from "./names.js";
import { validationError } from "./collection-config.js";
import { parsePointId, pointKey, comparePointIds, type PointId } from "./point-ids.js";
import { parseUpsert } from "./point-parse.js";
import type { Route } from "./router.js";
import { deletePoints, upsertPoints, visiblePoints, type Collection, type StoredPoint } from "./state.js";

function collectionOf(ctx: RequestCtx): Collection {
  const name = param(ctx, "name");
  checkCollectionName(name);
  return ctx.node.deployment.get(name);
}

function updateResult(ctx: RequestCtx, c: Collection): Reply {
  // The emulator applies writes synchronously, so `wait` only changes the reported status.
  const wait = boolQuery(ctx, "wait", false);
  const result: Schemas["UpdateResult"] = {
    operation_id: c.nextOperationId++,
    status: wait ? "completed" : "acknowledged",
  };
  return okReply(result, ctx.startedAt);
}

async function upsert(ctx: RequestCtx): Promise<Reply> {
  const body = await readJson(ctx);
  boolQuery(ctx, "wait", false);
  requireManage(ctx);
  const c = collectionOf(ctx);
  upsertPoints(c, parseUpsert(body, c.config.params.vectors));
  return updateResult(ctx, c);
}

async function count(ctx: RequestCtx): Promise<Reply> {
  const r = Reader.of(await readJson(ctx, true), "");
  const matches = compileFilter(r.raw("filter"));
  const c = collectionOf(ctx);
  const counted = visiblePoints(c, ctx.node.peerId).filter(matches).length;
  const result: Schemas["CountResult"] = { count: Math.max(0, counted - ctx.node.shared.restoreFaults.countRead(c)) };
  return okReply(result, ctx.startedAt);
}

type PayloadSelector = (p: JsonObject) => JsonObject | null;

export function payloadSelector(v: Json | undefined): PayloadSelector {
  if (v === undefined || v === null || v === true) return (p) => p;
  if (v === false) return () => null;
  const pick =
    (keys: Json[], keep: boolean): PayloadSelector =>
    (p) =>
      Object.fromEntries(Object.entries(p).filter(([k]) => keys.includes(k) === keep));
  if (Array.isArray(v)) return pick(v, true);
  if (isObject(v) && Array.isArray(v["include"])) return pick(v["include"], true);
  if (isObject(v) && Array.isArray(v["exclude"])) return pick(v["exclude"], false);
  throw badRequest("with_payload must be a boolean, a list of keys or an include/exclude selector");
}

export function vectorSelector(v: Json | undefined): (p: StoredPoint) => StoredPoint["vector"] | null {
  if (v === undefined || v === null || v === false) return () => null;
  if (v === true) return (p) => p.vector;
  if (Array.isArray(v)) {
    return (p) =>
      Array.isArray(p.vector) ? null : Object.fromEntries(Object.entries(p.vector).filter(([k]) => v.includes(k)));
  }
  throw badRequest("with_vector must be a boolean or a list of vector names");
}

/** Records with what `with_payload`/`with_vector` ask for; a payload `breakPayloads` broke fails the whole answer. */
export function toRecords(
  ctx: RequestCtx,
  c: Collection,
  points: StoredPoint[],
  r: Reader,
  defaultPayload: boolean,
): Schemas["Record"][] {
  const withPayload = r.raw("with_payload") ?? defaultPayload;
  if (withPayload !== false && withPayload !== null) ctx.node.shared.restoreFaults.checkPayloads(ctx.node, c, points);
  const payload = payloadSelector(withPayload);
  const vector = vectorSelector(r.raw("with_vector"));
  return points.map((p) => ({ id: p.id, payload: payload(p.payload), vector: vector(p) }));
}

/** Binary search: index of the first point whose id is >= `offset`. */
function firstAtOrAfter(points: readonly StoredPoint[], offset: PointId): number {
  let lo = 0;
  let hi = points.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const p = points[mid];
    if (p && comparePointIds(p.id, offset) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

async function scroll(ctx: RequestCtx): Promise<Reply> {
  const r = Reader.of(await readJson(ctx, true), "");
  const limit = r.optUint("limit") ?? 10;
  if (limit === 0) throw validationError("limit", "value 0 invalid, must be 1 or larger");
  if (r.has("order_by")) throw badRequest("the emulator does not support order_by");
  const offset = r.has("offset") ? parsePointId(r.raw("offset"), "offset") : undefined;
  const matches = compileFilter(r.raw("filter"));
  const c = collectionOf(ctx);
  const all = visiblePoints(c, ctx.node.peerId);
  // Collect limit + 1 matches from the offset on; the extra one is the next page's offset.
  const found: StoredPoint[] = [];
  for (let i = offset === undefined ? 0 : firstAtOrAfter(all, offset); i < all.length && found.length <= limit; i++) {
    const p = all[i];
    if (p && matches(p)) found.push(p);
  }
  const page = found.slice(0, limit);
  const next: PointId | null = found[limit]?.id ?? null;
  const result: Schemas["ScrollResult"] = { points: toRecords(ctx, c, page, r, true), next_page_offset: next };
  return okReply(result, ctx.startedAt);
}

async function retrieve(ctx: RequestCtx): Promise<Reply> {
  const r = Reader.of(await readJson(ctx), "");
  const ids = (r.optArray("ids") ?? r.fail("ids", "a sequence")).map((id, i) => parsePointId(id, `ids[${i}]`));
  const c = collectionOf(ctx);
  const byKey = new Map(visiblePoints(c, ctx.node.peerId).map((p) => [pointKey(p.id), p]));
  const found = ids.map((id) => byKey.get(pointKey(id))).filter((p): p is StoredPoint => p !== undefined);
  return okReply(toRecords(ctx, c, found, r, true), ctx.startedAt);
}

async function deleteHandler(ctx: RequestCtx): Promise<Reply> {
  const r = Reader.of(await readJson(ctx), "");
  requireManage(ctx);
  const c = collectionOf(ctx);
  const list = r.optArray("points");
  if (!list && !r.has("filter"))
    throw formatError("body", "data did not match any variant of untagged enum PointsSelector");
  const doomed = list
    ? list.map((id, i) => parsePointId(id, `points[${i}]`))
    : visiblePoints(c, ctx.node.peerId)
        .filter(compileFilter(r.raw("filter")))
        .map((p) => p.id);
  deletePoints(c, doomed);
  return updateResult(ctx, c);
}

export const pointRoutes: Route[] = [
  { method: "PUT", path: "/collections/:name/points", handler: upsert },
  { method: "POST", path: "/collections/:name/points", handler: retrieve },
  { method: "POST", path: "/collections/:name/points/count", handler: count },
  { method: "POST", path: "/collections/:name/points/scroll", handler: scroll },
  { method: "POST", path: "/collections/:name/points/delete", handler: deleteHandler },
];
