/**
 * Parse upsert bodies (`points` list or `batch` columns) into stored points, checking vectors
 * against the collection's config and normalising Cosine vectors as Qdrant does on write.
 */
import { isSingleVector, type VectorParams, type VectorsConfig } from "./collection-config.js";
import { wrongInput } from "./envelope.js";
import { formatError, isObject, Reader, type Json, type JsonObject } from "./json.js";
import { parsePointId } from "./point-ids.js";
import type { StoredPoint, VectorValue } from "./state.js";

function numbers(v: Json | undefined, where: string): number[] {
  if (!Array.isArray(v) || !v.every((x): x is number => typeof x === "number")) {
    throw formatError("body", `${where}: data did not match any variant of untagged enum VectorStruct`);
  }
  return v;
}

/** Check the dimension and apply the distance's storage transform (unit length for Cosine). */
function prepare(values: number[], params: VectorParams): number[] {
  if (values.length !== params.size) {
    throw wrongInput(`Vector dimension error: expected dim: ${params.size}, got ${values.length}`);
  }
  if (params.distance !== "Cosine") return values;
  const norm = Math.sqrt(values.reduce((s, x) => s + x * x, 0));
  return norm === 0 ? values : values.map((x) => x / norm);
}

/** One point's vector: a bare array for the default vector, or a map of named vectors. */
export function parseVector(v: Json | undefined, config: VectorsConfig, where: string): VectorValue {
  if (isSingleVector(config)) {
    // `{"": [...]}` addresses the default (unnamed) vector explicitly.
    const raw = isObject(v) && Object.keys(v).length === 1 && v[""] !== undefined ? v[""] : v;
    if (isObject(raw)) {
      const name = Object.keys(raw)[0] ?? "";
      throw wrongInput(`Not existing vector name error: ${name}`);
    }
    return prepare(numbers(raw, where), config);
  }
  if (Array.isArray(v)) throw wrongInput("Not existing vector name error: ");
  if (!isObject(v)) throw formatError("body", `${where}: data did not match any variant of untagged enum VectorStruct`);
  const out: { [name: string]: number[] } = {};
  for (const [name, values] of Object.entries(v)) {
    const params = config[name];
    if (!params) throw wrongInput(`Not existing vector name error: ${name}`);
    out[name] = prepare(numbers(values, `${where}.${name}`), params);
  }
  return out;
}

function payloadOf(v: Json | undefined, where: string): JsonObject {
  if (v === undefined || v === null) return {};
  if (!isObject(v)) throw formatError("body", `${where}: invalid type: expected a map`);
  return v;
}

/** Parse `{"points": [...]}` or `{"batch": {...}}`. */
export function parseUpsert(body: Json, config: VectorsConfig): StoredPoint[] {
  const r = Reader.of(body, "");
  const list = r.optArray("points");
  if (list) {
    return list.map((item, i) => {
      const p = Reader.of(item, `points[${i}]`);
      return {
        id: parsePointId(p.raw("id"), `points[${i}].id`),
        vector: parseVector(p.raw("vector"), config, `points[${i}].vector`),
        payload: payloadOf(p.raw("payload"), `points[${i}].payload`),
      };
    });
  }
  const batch = r.optReader("batch");
  if (!batch) throw formatError("body", "data did not match any variant of untagged enum PointInsertOperations");
  return parseBatch(batch, config);
}

function parseBatch(b: Reader, config: VectorsConfig): StoredPoint[] {
  const ids = b.optArray("ids") ?? b.fail("ids", "a sequence");
  const payloads = b.optArray("payloads");
  const rawVectors = b.raw("vectors");
  // Turn the columnar vectors into one per-point vector value, then reuse the single-point parser.
  let perPoint: Json[];
  if (Array.isArray(rawVectors)) {
    perPoint = rawVectors;
  } else if (isObject(rawVectors)) {
    perPoint = ids.map((_, i) => {
      const one: JsonObject = {};
      for (const [name, column] of Object.entries(rawVectors)) {
        if (!Array.isArray(column)) b.fail(`vectors.${name}`, "a sequence");
        const value = column[i];
        if (value !== undefined && value !== null) one[name] = value;
      }
      return one;
    });
  } else {
    return b.fail("vectors", "a sequence or a map");
  }
  if (perPoint.length !== ids.length || (payloads && payloads.length !== ids.length)) {
    throw wrongInput("Validation error: number of ids, vectors and payloads must be equal");
  }
  return ids.map((id, i) => ({
    id: parsePointId(id, `batch.ids[${i}]`),
    vector: parseVector(perPoint[i], config, `batch.vectors[${i}]`),
    payload: payloadOf(payloads?.[i], `batch.payloads[${i}]`),
  }));
}
