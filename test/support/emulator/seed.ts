/**
 * Seed and read Qdrant through its ordinary HTTP API (works against the emulator or a real
 * server): create a collection with deterministic points, add aliases, read everything back.
 */
import { isObject, parseJson, type Json, type JsonObject } from "./json.js";

export interface SeedOptions {
  /** Number of points (ids 1..points). */
  points: number;
  /** Vector size. */
  dim: number;
  /** Default Cosine. */
  distance?: "Cosine" | "Euclid" | "Dot" | "Manhattan";
  shards?: number;
  rf?: number;
  apiKey?: string;
  /** Payload per point id; default `{ n, name, group, tags }`; `false` = no payload. */
  payload?: false | ((id: number) => JsonObject);
}

export interface PointRecord {
  id: number | string;
  vector: Json;
  payload: Json;
}

export interface AliasRecord {
  alias_name: string;
  collection_name: string;
}

/** Call the API and return `result` from the envelope; non-2xx throws with status and body. */
export async function qdrantCall(
  url: string,
  method: string,
  path: string,
  apiKey?: string,
  body?: unknown,
): Promise<Json> {
  const headers: Record<string, string> = {};
  if (apiKey !== undefined) headers["api-key"] = apiKey;
  if (body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(`${url.replace(/\/+$/, "")}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path} → ${res.status}: ${text.slice(0, 300)}`);
  const parsed = parseJson(text);
  if (!isObject(parsed) || parsed["result"] === undefined)
    throw new Error(`${method} ${path}: no result in ${text.slice(0, 300)}`);
  return parsed["result"];
}

/** Deterministic pseudo-random vector for (seed, id): same inputs, same numbers, every run. */
export function seedVector(seed: string, id: number, dim: number): number[] {
  let h = 2166136261;
  for (const ch of `${seed}:${id}`) h = Math.imul(h ^ (ch.codePointAt(0) ?? 0), 16777619) >>> 0;
  return Array.from({ length: dim }, () => {
    h = (Math.imul(h ^ (h >>> 15), 2246822507) + 0x6d2b79f5) >>> 0;
    return Math.round(((h / 4294967296) * 2 - 1) * 1e6) / 1e6;
  });
}

const defaultPayload = (id: number): JsonObject => ({
  n: id,
  name: `point-${id}`,
  group: id % 3 === 0 ? "a" : "b",
  tags: [`t${id % 5}`],
});

/** Create `name` and upsert `points` points in batches (wait=true). */
export async function seedCollection(url: string, name: string, o: SeedOptions): Promise<void> {
  const create: JsonObject = { vectors: { size: o.dim, distance: o.distance ?? "Cosine" } };
  if (o.shards !== undefined) create["shard_number"] = o.shards;
  if (o.rf !== undefined) create["replication_factor"] = o.rf;
  await qdrantCall(url, "PUT", `/collections/${encodeURIComponent(name)}`, o.apiKey, create);
  const payloadOf = o.payload === false ? undefined : (o.payload ?? defaultPayload);
  for (let start = 1; start <= o.points; start += 256) {
    const points: JsonObject[] = [];
    for (let id = start; id < Math.min(start + 256, o.points + 1); id++) {
      const p: JsonObject = { id, vector: seedVector(name, id, o.dim) };
      if (payloadOf) p["payload"] = payloadOf(id);
      points.push(p);
    }
    await qdrantCall(url, "PUT", `/collections/${encodeURIComponent(name)}/points?wait=true`, o.apiKey, { points });
  }
}

export async function createAlias(url: string, collection: string, alias: string, apiKey?: string): Promise<void> {
  const actions = [{ create_alias: { collection_name: collection, alias_name: alias } }];
  await qdrantCall(url, "POST", "/collections/aliases", apiKey, { actions });
}

/** All aliases, sorted by alias name. */
export async function listAliases(url: string, apiKey?: string): Promise<AliasRecord[]> {
  const result = await qdrantCall(url, "GET", "/aliases", apiKey);
  const list = isObject(result) && Array.isArray(result["aliases"]) ? result["aliases"] : [];
  return list
    .map((a): AliasRecord => {
      if (!isObject(a) || typeof a["alias_name"] !== "string" || typeof a["collection_name"] !== "string")
        throw new Error("bad alias entry");
      return { alias_name: a["alias_name"], collection_name: a["collection_name"] };
    })
    .sort((a, b) => (a.alias_name < b.alias_name ? -1 : a.alias_name > b.alias_name ? 1 : 0));
}

function compareIds(a: number | string, b: number | string): number {
  if (typeof a === "number" && typeof b === "number") return a - b;
  if (typeof a === "number") return -1;
  if (typeof b === "number") return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Scroll every point with vectors and payloads, sorted by id (integers first, then UUIDs). */
export async function readAllPoints(url: string, collection: string, apiKey?: string): Promise<PointRecord[]> {
  const out: PointRecord[] = [];
  let offset: Json = null;
  do {
    const body: JsonObject = { limit: 256, with_payload: true, with_vector: true };
    if (offset !== null) body["offset"] = offset;
    const result = await qdrantCall(
      url,
      "POST",
      `/collections/${encodeURIComponent(collection)}/points/scroll`,
      apiKey,
      body,
    );
    if (!isObject(result) || !Array.isArray(result["points"])) throw new Error("bad scroll result");
    for (const p of result["points"]) {
      if (!isObject(p)) throw new Error("bad point");
      const id = p["id"];
      if (typeof id !== "number" && typeof id !== "string") throw new Error("bad point id");
      out.push({ id, vector: p["vector"] ?? null, payload: p["payload"] ?? null });
    }
    offset = result["next_page_offset"] ?? null;
  } while (offset !== null);
  return out.sort((a, b) => compareIds(a.id, b.id));
}
