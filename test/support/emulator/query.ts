/**
 * `POST /collections/{c}/points/query` (nearest-vector and `sample: random` queries) and the older
 * `POST /collections/{c}/points/search` (still served by Qdrant 1.19, though gone from its OpenAPI document).
 * Exact (full-scan) scoring with the collection's distance, best first, ties by id (ScoredPointTies); Cosine
 * compares unit vectors (stored ones are normalised on write, the query here), Euclid and Manhattan report the
 * distance and rank the smallest first.
 */
import type { Schemas } from "@qdrant/js-client-rest";
import { isSingleVector, validationError, type Distance, type VectorParams } from "./collection-config.js";
import { param, readJson, type RequestCtx } from "./context.js";
import { badRequest, okReply, wrongInput, type Reply } from "./envelope.js";
import { compileFilter } from "./filter.js";
import { formatError, isObject, Reader, type Json } from "./json.js";
import { checkCollectionName } from "./names.js";
import { comparePointIds } from "./point-ids.js";
import { payloadSelector, vectorSelector } from "./points.js";
import type { Route } from "./router.js";
import { visiblePoints, type Collection, type StoredPoint } from "./state.js";

/** Qdrant's score of `v` (stored) against `q` (the query, already preprocessed). */
export function score(distance: Distance, q: readonly number[], v: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < q.length; i++) {
    const a = q[i] ?? 0;
    const b = v[i] ?? 0;
    if (distance === "Euclid") s += (a - b) ** 2;
    else if (distance === "Manhattan") s += Math.abs(a - b);
    else s += a * b;
  }
  return distance === "Euclid" ? Math.sqrt(s) : s;
}

/** Larger is better for Cosine and Dot; smaller (a distance) for Euclid and Manhattan. */
const largerBetter = (d: Distance): boolean => d === "Cosine" || d === "Dot";

function unit(v: number[]): number[] {
  const norm = Math.sqrt(v.reduce((s, x) => s + x * x, 0));
  return norm === 0 ? v : v.map((x) => x / norm);
}

type Ask = { kind: "nearest"; vector: number[] } | { kind: "random" };

function numbers(v: Json | undefined, where: string): number[] | undefined {
  if (!Array.isArray(v)) return undefined;
  if (!v.every((x): x is number => typeof x === "number"))
    throw badRequest(`${where}: the emulator supports dense vectors only (no multi-vectors)`);
  return v;
}

/** The `query` of a QueryRequest: a dense vector, `{nearest: vector}` or `{sample: "random"}`. */
function parseQuery(q: Json | undefined): Ask {
  if (q === undefined || q === null) throw badRequest("the emulator needs a `query` (no prefetch or id order)");
  const dense = numbers(q, "query");
  if (dense) return { kind: "nearest", vector: dense };
  if (isObject(q)) {
    const r = Reader.of(q, "query");
    if (r.has("sample")) {
      r.optEnum("sample", ["random"]);
      return { kind: "random" };
    }
    const nearest = numbers(r.raw("nearest"), "query.nearest");
    if (nearest) return { kind: "nearest", vector: nearest };
  }
  throw badRequest('the emulator supports `query` as a dense vector, `{nearest: [..]}` or `{sample: "random"}`');
}

/** The vector params `using` names ("" or absent = the default vector), as Qdrant words a miss. */
function vectorParams(c: Collection, using: string): VectorParams {
  const v = c.config.params.vectors;
  const params = isSingleVector(v) ? (using === "" ? v : undefined) : v[using];
  if (!params) throw wrongInput(`Not existing vector name error: ${using}`);
  return params;
}

function storedVector(p: StoredPoint, using: string): number[] | undefined {
  if (Array.isArray(p.vector)) return using === "" ? p.vector : undefined;
  return p.vector[using];
}

interface Search {
  ask: Ask;
  using: string;
  limit: number;
  offset: number;
  threshold: number | undefined;
}

/** Rank (or sample) the points a peer sees; returns the page with scores. */
function run(c: Collection, points: readonly StoredPoint[], s: Search): { p: StoredPoint; score: number }[] {
  if (s.ask.kind === "random") {
    const pool = [...points];
    for (let i = pool.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [pool[i], pool[j]] = [pool[j] as StoredPoint, pool[i] as StoredPoint];
    }
    // A random sample is a scroll in random order: every point scores 1.0 (local_shard/query.rs, scroll.rs).
    return pool.slice(s.offset, s.offset + s.limit).map((p) => ({ p, score: 1 }));
  }
  const params = vectorParams(c, s.using);
  if (s.ask.vector.length !== params.size)
    throw wrongInput(`Vector dimension error: expected dim: ${params.size}, got ${s.ask.vector.length}`);
  const q = params.distance === "Cosine" ? unit(s.ask.vector) : s.ask.vector;
  const big = largerBetter(params.distance);
  const scored: { p: StoredPoint; score: number }[] = [];
  for (const p of points) {
    const v = storedVector(p, s.using);
    if (!v) continue;
    const sc = score(params.distance, q, v);
    if (s.threshold !== undefined && (big ? sc < s.threshold : sc > s.threshold)) continue;
    scored.push({ p, score: sc });
  }
  scored.sort((a, b) => (big ? b.score - a.score : a.score - b.score) || comparePointIds(a.p.id, b.p.id));
  return scored.slice(s.offset, s.offset + s.limit);
}

function collectionOf(ctx: RequestCtx): Collection {
  const name = param(ctx, "name");
  checkCollectionName(name);
  return ctx.node.deployment.get(name);
}

/** ScoredPoints: `payload` and `vector` are left out unless asked for (Qdrant skips them when none). */
function answer(ctx: RequestCtx, c: Collection, r: Reader, s: Search): Schemas["ScoredPoint"][] {
  const matches = compileFilter(r.raw("filter"));
  const hits = run(c, visiblePoints(c, ctx.node.peerId).filter(matches), s);
  const withPayload = r.raw("with_payload") ?? false;
  const withVector = r.raw("with_vector") ?? false;
  if (withPayload !== false)
    ctx.node.shared.restoreFaults.checkPayloads(
      ctx.node,
      c,
      hits.map((h) => h.p),
    );
  const payload = payloadSelector(withPayload);
  const vector = vectorSelector(withVector);
  return hits.map(({ p, score: sc }) => {
    const out: Schemas["ScoredPoint"] = { id: p.id, version: 0, score: sc };
    const pl = payload(p.payload);
    if (withPayload !== false && pl !== null) out.payload = pl;
    const v = vector(p);
    if (v !== null) out.vector = v;
    return out;
  });
}

function pageOf(r: Reader, limitRequired: boolean): { limit: number; offset: number; threshold: number | undefined } {
  const limit = limitRequired ? r.uint("limit") : (r.optUint("limit") ?? 10);
  if (limit === 0) throw validationError("limit", "value 0 invalid, must be 1 or larger");
  return { limit, offset: r.optUint("offset") ?? 0, threshold: r.optNumber("score_threshold") };
}

function refuse(r: Reader, keys: string[]): void {
  for (const k of keys) if (r.has(k)) throw badRequest(`the emulator does not support \`${k}\` in queries`);
}

async function query(ctx: RequestCtx): Promise<Reply> {
  const r = Reader.of(await readJson(ctx), "");
  refuse(r, ["prefetch", "lookup_from", "shard_key"]);
  const s: Search = { ask: parseQuery(r.raw("query")), using: r.optString("using") ?? "", ...pageOf(r, false) };
  const c = collectionOf(ctx);
  const result: Schemas["QueryResponse"] = { points: answer(ctx, c, r, s) };
  return okReply(result, ctx.startedAt);
}

/** `vector` of a SearchRequest: a bare vector (default) or `{name, vector}`. */
function searchVector(r: Reader): { using: string; vector: number[] } {
  const v = r.raw("vector");
  const bare = numbers(v, "vector");
  if (bare) return { using: "", vector: bare };
  if (isObject(v)) {
    const named = Reader.of(v, "vector");
    const vector = numbers(named.raw("vector"), "vector.vector");
    if (vector) return { using: named.string("name"), vector };
  }
  if (v === undefined) throw formatError("body", "missing field `vector`");
  throw badRequest("the emulator supports `vector` as a dense vector or `{name, vector}`");
}

async function search(ctx: RequestCtx): Promise<Reply> {
  const r = Reader.of(await readJson(ctx), "");
  refuse(r, ["shard_key"]);
  const { using, vector } = searchVector(r);
  const s: Search = { ask: { kind: "nearest", vector }, using, ...pageOf(r, true) };
  const c = collectionOf(ctx);
  return okReply(answer(ctx, c, r, s), ctx.startedAt);
}

export const queryRoutes: Route[] = [
  { method: "POST", path: "/collections/:name/points/query", handler: query },
  { method: "POST", path: "/collections/:name/points/search", handler: search },
];
