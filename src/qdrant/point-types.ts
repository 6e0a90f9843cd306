/**
 * Points as recover_snap_shards reads them back: a scroll page (with the offset of the next) and the points of
 * `points/query` (random samples, vector queries), with payloads, vectors and scores. Hand-written beyond the schema
 * (ScoredPoint, Record): `vector` is kept as raw JSON, a dense array or named vectors (sparse and multi included).
 */
import { field, isArray, isNumber, isObject, isString, obj, type Schema } from "./types.js";

export type PointId = Schema["ExtendedPointId"] | bigint;

export interface ReadPoint {
  id: PointId;
  payload?: Record<string, unknown> | null;
  vector?: unknown;
  score?: number;
}

export interface ScrollPage {
  points: ReadPoint[];
  /** The id to continue from; undefined when this was the last page. */
  next: PointId | undefined;
}

const isPointId = (v: unknown): v is PointId => isString(v) || isNumber(v) || typeof v === "bigint";

function point(v: unknown): ReadPoint {
  const o = obj(v, "point");
  const out: ReadPoint = { id: field(o, "id", isPointId, "a number or a string") };
  const payload = o["payload"];
  if (isObject(payload) || payload === null) out.payload = payload;
  if (o["vector"] !== undefined && o["vector"] !== null) out.vector = o["vector"];
  if (isNumber(o["score"])) out.score = o["score"];
  return out;
}

/** POST …/points/scroll → a page. */
export function parseScrollPage(v: unknown): ScrollPage {
  const o = obj(v, "result");
  const next = o["next_page_offset"];
  return {
    points: field(o, "points", isArray, "an array").map(point),
    next: isPointId(next) ? next : undefined,
  };
}

/** POST …/points/query → the points, best first. */
export function parseQueryPoints(v: unknown): ReadPoint[] {
  return field(obj(v, "result"), "points", isArray, "an array").map(point);
}
