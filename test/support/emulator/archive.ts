/**
 * Snapshot archive layout. The top level is Qdrant's (`config.json`, `version.info`,
 * `payload_index.json`, `shard_key_mapping.json`, `{shard}/replica_state.json`,
 * `{shard}/shard_config.json`, `{shard}/segments/<uuid>.tar`, `{shard}/wal/…`); only the
 * segment contents are the emulator's own: a JSON-lines points file next to `segment.json`.
 */
import { randomUUID } from "node:crypto";
import { readSegment, readSegmentFiles, segmentTar } from "./archive-segment.js";
import { configFromFile, type CollectionConfigInternal } from "./collection-config.js";
import type { Shared } from "./context.js";
import { serviceError } from "./envelope.js";
import { stringifyExact } from "./exact-json.js";
import { isObject, parseJson, Reader, type Json, type JsonObject } from "./json.js";
import { comparePeerIds, type Collection, type PeerId, type Shard, type StoredPoint } from "./state.js";
import type { TarEntry } from "./tar.js";

export { POINTS_FILE, SEGMENT_INDEX_FILE, segmentIndexesOf } from "./archive-segment.js";
const json = (v: unknown): Buffer => Buffer.from(stringifyExact(v));

/** One shard directory as found in an archive. */
export interface ShardData {
  shardId: number;
  isLocal: boolean;
  /** Undefined when the directory holds no data (no `segments/` + `wal/`), as for remote shards. */
  points: StoredPoint[] | undefined;
  /** The payload indexes its segments carry (`payload_index/config.json` in each segment). */
  indexes: Map<string, Json>;
}

export interface CollectionArchive {
  config: CollectionConfigInternal;
  payloadIndex: Map<string, Json>;
  shards: Map<number, ShardData>;
}

/** The entries of one shard directory under `prefix` ("" for a shard snapshot, "N/" in a collection one). */
export async function shardEntries(
  c: Collection,
  shard: Shard,
  peerId: PeerId,
  shared: Shared,
  prefix: string,
): Promise<TarEntry[]> {
  const local = shard.replicas.get(peerId);
  const peers: JsonObject = {};
  for (const r of [...shard.replicas.values()].sort((a, b) => comparePeerIds(a.peerId, b.peerId)))
    peers[String(r.peerId)] = r.state;
  const entries: TarEntry[] = [];
  if (prefix !== "") entries.push({ name: prefix, dir: true });
  entries.push(
    { name: `${prefix}replica_state.json`, body: json({ is_local: local !== undefined, this_peer_id: peerId, peers }) },
    { name: `${prefix}shard_config.json`, body: json({ type: "ReplicaSet" }) },
  );
  if (local) {
    entries.push(
      { name: `${prefix}segments/`, dir: true },
      { name: `${prefix}segments/${randomUUID()}.tar`, body: await segmentTar(c, local, shared) },
      { name: `${prefix}wal/`, dir: true },
      { name: `${prefix}wal/first-index`, body: Buffer.alloc(8) },
      { name: `${prefix}wal/open-1`, body: Buffer.alloc(0) },
    );
  }
  return entries;
}

/** Every entry of a collection snapshot taken on `peerId` (data only for its local shards). */
export async function collectionEntries(c: Collection, peerId: PeerId, shared: Shared): Promise<TarEntry[]> {
  const schema: JsonObject = {};
  for (const [field, s] of c.payloadIndex) schema[field] = s;
  const entries: TarEntry[] = [
    { name: "config.json", body: json(c.config) },
    { name: "version.info", body: Buffer.from(shared.version) },
    { name: "shard_key_mapping.json", body: json([]) },
    { name: "payload_index.json", body: json({ schema }) },
  ];
  for (const shard of c.shards) entries.push(...(await shardEntries(c, shard, peerId, shared, `${shard.id}/`)));
  return entries;
}

/** Read one shard directory (`prefix` "" or "N/") out of an archive's entries. */
export async function readShardDir(entries: Map<string, Buffer>, prefix: string, shardId: number): Promise<ShardData> {
  const stateFile = entries.get(`${prefix}replica_state.json`);
  const state = stateFile
    ? Reader.of(parseJson(stateFile.toString("utf8"), "file"), "replica_state", "file")
    : undefined;
  const isLocal = state?.optBool("is_local") ?? false;
  const keys = [...entries.keys()].filter((k) => k.startsWith(prefix));
  const hasData =
    keys.some((k) => k.startsWith(`${prefix}segments/`)) && keys.some((k) => k.startsWith(`${prefix}wal/`));
  const indexes = new Map<string, Json>();
  if (!hasData) return { shardId, isLocal, points: undefined, indexes };
  const points: StoredPoint[] = [];
  const loose = new Map<string, Buffer>();
  for (const key of keys) {
    const rest = key.slice(`${prefix}segments/`.length);
    if (!key.startsWith(`${prefix}segments/`)) continue;
    const bytes = entries.get(key) ?? Buffer.alloc(0);
    if (/^[^/]+\.tar$/.test(rest)) points.push(...readSegmentFiles(await readSegment(rest, bytes), indexes));
    // The streamed shard-snapshot form keeps segments as directories instead of nested tars.
    else loose.set(rest, bytes);
  }
  points.push(...readSegmentFiles(loose, indexes));
  return { shardId, isLocal, points, indexes };
}

/** Parse a collection snapshot; a missing/broken `config.json` is a 500 as in Qdrant. */
export async function readCollectionArchive(entries: Map<string, Buffer>): Promise<CollectionArchive> {
  const configFile = entries.get("config.json");
  if (!configFile) throw serviceError("Can't read collection config due to No such file or directory (os error 2)");
  const config = configFromFile(parseJson(configFile.toString("utf8"), "file"));
  const payloadIndex = new Map<string, Json>();
  const indexFile = entries.get("payload_index.json");
  if (indexFile) {
    const parsed = parseJson(indexFile.toString("utf8"), "file");
    const schema = isObject(parsed) ? parsed["schema"] : undefined;
    if (isObject(schema)) for (const [k, v] of Object.entries(schema)) payloadIndex.set(k, v);
  }
  const ids = new Set<number>();
  for (const key of entries.keys()) {
    const m = /^(\d+)\//.exec(key);
    if (m?.[1] !== undefined) ids.add(Number(m[1]));
  }
  const shards = new Map<number, ShardData>();
  for (const id of [...ids].sort((a, b) => a - b)) shards.set(id, await readShardDir(entries, `${id}/`, id));
  return { config, payloadIndex, shards };
}
