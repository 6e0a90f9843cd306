/**
 * The parts of Qdrant's REST answers this tool reads, as checked types (snake_case as on the wire).
 *
 * Every type here is taken from Qdrant's own OpenAPI document (openapi/qdrant-openapi.json, turned into
 * openapi/schema.d.ts by `npm run gen:qdrant-types`), narrowed with Pick to the fields the tool reads. What is
 * written by hand instead is marked "hand-written" with the reason. Each parser takes `unknown` and either returns
 * the typed value or throws a short description of the mismatch; it checks exactly the fields its type keeps.
 */
import type { components } from "./openapi/schema.js";

/** Qdrant's component schemas, by name (`Schema["SnapshotDescription"]`). */
export type Schema = components["schemas"];

/** A snapshot of a collection, a shard or the whole storage, as every snapshot listing and create answers it. */
export type SnapshotDescription = Schema["SnapshotDescription"];

export type AliasDescription = Schema["AliasDescription"];

/**
 * GET /collections/{c}, the fields the tool reads. Hand-written beyond the schema: `status` is any string, not only
 * the schema's green/yellow/grey/red, so a status a later Qdrant adds fails no backup (verify waits for "green");
 * `config` is kept as raw JSON, not the schema's CollectionConfig, because the backup metadata stores it whole,
 * including fields this schema does not know.
 */
export type CollectionInfo = Pick<Schema["CollectionInfo"], "points_count"> & {
  status: Schema["CollectionStatus"] | (string & {});
  config?: Record<string, unknown>;
};

/** One scrolled point: its id and, when asked for, its payload. */
export type ScrolledPoint = Pick<Schema["Record"], "payload"> & { id: Schema["ExtendedPointId"] | bigint };

export type Obj = Record<string, unknown>;

export function isObject(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export function field<T>(o: Obj, key: string, check: (v: unknown) => v is T, what: string): T {
  const v = o[key];
  if (!check(v)) throw new Error(`field "${key}" is not ${what}`);
  return v;
}

export const isString = (v: unknown): v is string => typeof v === "string";
export const isNumber = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);
export const isArray = (v: unknown): v is unknown[] => Array.isArray(v);
const isPointId = (v: unknown): v is Schema["ExtendedPointId"] | bigint =>
  isString(v) || isNumber(v) || typeof v === "bigint";

export function obj(v: unknown, what: string): Obj {
  if (!isObject(v)) throw new Error(`${what} is not an object`);
  return v;
}

export function parseCollectionNames(v: unknown): Schema["CollectionDescription"]["name"][] {
  const list = field(obj(v, "result"), "collections", isArray, "an array");
  return list.map((c) => field(obj(c, "collection entry"), "name", isString, "a string"));
}

export function parseCollectionInfo(v: unknown): CollectionInfo {
  const o = obj(v, "result");
  const points = o["points_count"];
  const config = o["config"];
  return {
    status: field(o, "status", isString, "a string"),
    points_count: isNumber(points) ? points : null,
    ...(isObject(config) ? { config } : {}),
  };
}

/** GET / → the server's version, e.g. "1.19.0". */
export function parseVersion(v: unknown): Schema["VersionInfo"]["version"] {
  return field(obj(v, "answer"), "version", isString, "a string");
}

/** POST …/points/count → the count. */
export function parseCount(v: unknown): Schema["CountResult"]["count"] {
  return field(obj(v, "result"), "count", isNumber, "a number");
}

/** POST …/points/scroll → the points (each an object with an id, a number or a string; payload when asked for). */
export function parseScroll(v: unknown): ScrolledPoint[] {
  return field(obj(v, "result"), "points", isArray, "an array").map((p) => {
    const o = obj(p, "point");
    const id = field(o, "id", isPointId, "a number or a string");
    return { id, ...("payload" in o ? { payload: o["payload"] } : {}) };
  });
}

export function parseSnapshotDescription(v: unknown): SnapshotDescription {
  const o = obj(v, "snapshot description");
  const out: SnapshotDescription = {
    name: field(o, "name", isString, "a string"),
    size: field(o, "size", isNumber, "a number"),
  };
  if (isString(o["creation_time"])) out.creation_time = o["creation_time"];
  if (isString(o["checksum"])) out.checksum = o["checksum"];
  return out;
}

export function parseSnapshotList(v: unknown): SnapshotDescription[] {
  if (!isArray(v)) throw new Error("result is not an array");
  return v.map(parseSnapshotDescription);
}

export function parseAliases(v: unknown): AliasDescription[] {
  const list = field(obj(v, "result"), "aliases", isArray, "an array");
  return list.map((a) => {
    const o = obj(a, "alias entry");
    return {
      alias_name: field(o, "alias_name", isString, "a string"),
      collection_name: field(o, "collection_name", isString, "a string"),
    };
  });
}

export function parseBoolean(v: unknown): boolean {
  if (typeof v !== "boolean") throw new Error("result is not a boolean");
  return v;
}
