/**
 * A useful subset of Qdrant's filter language for count/scroll: must/should/must_not/min_should,
 * `has_id`, `match` (value/any/except), `range`, `is_empty`, `is_null`, nested filters.
 * Anything else is refused with a 400 rather than silently ignored, so a test never passes by luck.
 */
import { badRequest } from "./envelope.js";
import { isObject, type Json, type JsonObject } from "./json.js";
import { parsePointId, pointKey } from "./point-ids.js";
import type { StoredPoint } from "./state.js";

export type Predicate = (p: StoredPoint) => boolean;

export function compileFilter(filter: Json | undefined): Predicate {
  if (filter === undefined || filter === null) return () => true;
  if (!isObject(filter)) throw badRequest("filter must be an object");
  return compileClauses(filter);
}

function asList(v: Json | undefined): Json[] {
  if (v === undefined || v === null) return [];
  return Array.isArray(v) ? v : [v];
}

function compileClauses(f: JsonObject): Predicate {
  const must = asList(f["must"]).map(compileCondition);
  const should = asList(f["should"]).map(compileCondition);
  const mustNot = asList(f["must_not"]).map(compileCondition);
  const minShould = isObject(f["min_should"]) ? f["min_should"] : undefined;
  const minConds = asList(minShould?.["conditions"]).map(compileCondition);
  const minCount = typeof minShould?.["min_count"] === "number" ? minShould["min_count"] : 0;
  return (p) =>
    must.every((c) => c(p)) &&
    (should.length === 0 || should.some((c) => c(p))) &&
    !mustNot.some((c) => c(p)) &&
    (minShould === undefined || minConds.filter((c) => c(p)).length >= minCount);
}

/** Values at a dotted payload path; arrays along the way fan out (Qdrant's `a[].b` flattening). */
function valuesAt(payload: JsonObject, key: string): Json[] {
  let current: Json[] = [payload];
  for (const part of key.replace(/\[\]/g, "").split(".")) {
    const next: Json[] = [];
    for (const v of current) {
      const items = Array.isArray(v) ? v : [v];
      for (const item of items) if (isObject(item) && item[part] !== undefined) next.push(item[part]);
    }
    current = next;
  }
  return current.flatMap((v) => (Array.isArray(v) ? v : [v]));
}

function compileCondition(c: Json): Predicate {
  if (!isObject(c)) throw badRequest("filter condition must be an object");
  if (c["must"] !== undefined || c["should"] !== undefined || c["must_not"] !== undefined) return compileClauses(c);
  const hasId = c["has_id"];
  if (Array.isArray(hasId)) {
    const keys = new Set(hasId.map((id, i) => pointKey(parsePointId(id, `has_id[${i}]`))));
    return (p) => keys.has(pointKey(p.id));
  }
  const isEmpty = c["is_empty"];
  if (isObject(isEmpty) && typeof isEmpty["key"] === "string") {
    const key = isEmpty["key"];
    return (p) => valuesAt(p.payload, key).filter((v) => v !== null).length === 0;
  }
  const isNull = c["is_null"];
  if (isObject(isNull) && typeof isNull["key"] === "string") {
    const key = isNull["key"];
    return (p) => valuesAt(p.payload, key).some((v) => v === null);
  }
  const key = c["key"];
  if (typeof key === "string") return compileField(key, c);
  throw badRequest(`the emulator does not support this filter condition: ${JSON.stringify(c)}`);
}

function compileField(key: string, c: JsonObject): Predicate {
  const match = c["match"];
  if (isObject(match)) {
    if (match["value"] !== undefined) {
      const want = match["value"];
      return (p) => valuesAt(p.payload, key).some((v) => v === want);
    }
    const any = match["any"];
    if (Array.isArray(any)) return (p) => valuesAt(p.payload, key).some((v) => any.includes(v));
    const except = match["except"];
    if (Array.isArray(except)) return (p) => valuesAt(p.payload, key).some((v) => !except.includes(v));
  }
  const range = c["range"];
  if (isObject(range)) {
    const bound = (name: string): number | undefined => {
      const b = range[name];
      return typeof b === "number" ? b : undefined;
    };
    const [gt, gte, lt, lte] = [bound("gt"), bound("gte"), bound("lt"), bound("lte")];
    return (p) =>
      valuesAt(p.payload, key).some(
        (v) =>
          typeof v === "number" &&
          (gt === undefined || v > gt) &&
          (gte === undefined || v >= gte) &&
          (lt === undefined || v < lt) &&
          (lte === undefined || v <= lte),
      );
  }
  throw badRequest(`the emulator does not support this field condition on \`${key}\``);
}
