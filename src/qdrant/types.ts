/**
 * The parts of Qdrant's REST answers this tool reads, as checked types (snake_case as on the wire).
 * Each parser takes `unknown` and either returns the typed value or throws a short description of the mismatch.
 */

export interface SnapshotDescription {
  name: string;
  creation_time?: string | null;
  size: number;
  checksum?: string | null;
}

export interface CollectionInfo {
  status: string;
  points_count?: number | null;
  /** The collection's config as Qdrant reports it (params, hnsw_config, …), kept as JSON for the backup metadata. */
  config?: Record<string, unknown>;
}

export interface AliasDescription {
  alias_name: string;
  collection_name: string;
}

export interface ClusterStatus {
  status: "enabled" | "disabled";
  peer_id?: number;
  peers: Record<string, { uri: string }>;
}

export interface CollectionClusterInfo {
  peer_id: number;
  local_shards: { shard_id: number; points_count?: number; state: string }[];
  remote_shards: { shard_id: number; peer_id: number; state: string }[];
}

type Obj = Record<string, unknown>;

export function isObject(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function field<T>(o: Obj, key: string, check: (v: unknown) => v is T, what: string): T {
  const v = o[key];
  if (!check(v)) throw new Error(`field "${key}" is not ${what}`);
  return v;
}

const isString = (v: unknown): v is string => typeof v === "string";
const isNumber = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);
const isArray = (v: unknown): v is unknown[] => Array.isArray(v);

function obj(v: unknown, what: string): Obj {
  if (!isObject(v)) throw new Error(`${what} is not an object`);
  return v;
}

export function parseCollectionNames(v: unknown): string[] {
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
export function parseVersion(v: unknown): string {
  return field(obj(v, "answer"), "version", isString, "a string");
}

/** POST …/points/count → the count. */
export function parseCount(v: unknown): number {
  return field(obj(v, "result"), "count", isNumber, "a number");
}

/** POST …/points/scroll → the points (each an object with an id; payload when asked for). */
export function parseScroll(v: unknown): { id: unknown; payload?: unknown }[] {
  return field(obj(v, "result"), "points", isArray, "an array").map((p) => {
    const o = obj(p, "point");
    if (!("id" in o)) throw new Error("a point has no id");
    return { id: o["id"], ...("payload" in o ? { payload: o["payload"] } : {}) };
  });
}

export function parseSnapshotDescription(v: unknown): SnapshotDescription {
  const o = obj(v, "snapshot description");
  const out: SnapshotDescription = { name: field(o, "name", isString, "a string"), size: field(o, "size", isNumber, "a number") };
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
    return { alias_name: field(o, "alias_name", isString, "a string"), collection_name: field(o, "collection_name", isString, "a string") };
  });
}

export function parseClusterStatus(v: unknown): ClusterStatus {
  const o = obj(v, "result");
  const status = field(o, "status", isString, "a string");
  if (status === "disabled") return { status, peers: {} };
  if (status !== "enabled") throw new Error(`unknown cluster status "${status}"`);
  const peersObj = obj(o["peers"], "peers");
  const peers: Record<string, { uri: string }> = {};
  for (const [id, p] of Object.entries(peersObj)) peers[id] = { uri: field(obj(p, `peer ${id}`), "uri", isString, "a string") };
  return { status, peer_id: field(o, "peer_id", isNumber, "a number"), peers };
}

export function parseCollectionClusterInfo(v: unknown): CollectionClusterInfo {
  const o = obj(v, "result");
  const local = field(o, "local_shards", isArray, "an array").map((s) => {
    const e = obj(s, "local shard");
    const pc = e["points_count"];
    return { shard_id: field(e, "shard_id", isNumber, "a number"), state: field(e, "state", isString, "a string"), ...(isNumber(pc) ? { points_count: pc } : {}) };
  });
  const remote = field(o, "remote_shards", isArray, "an array").map((s) => {
    const e = obj(s, "remote shard");
    return { shard_id: field(e, "shard_id", isNumber, "a number"), peer_id: field(e, "peer_id", isNumber, "a number"), state: field(e, "state", isString, "a string") };
  });
  return { peer_id: field(o, "peer_id", isNumber, "a number"), local_shards: local, remote_shards: remote };
}

export function parseBoolean(v: unknown): boolean {
  if (typeof v !== "boolean") throw new Error("result is not a boolean");
  return v;
}
