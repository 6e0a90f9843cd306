/**
 * Collection configuration: the `CreateCollection` body, Qdrant's defaults, and the
 * `CollectionConfigInternal` that goes into a snapshot's `config.json` and is read back from it.
 */
import type { Schemas } from "@qdrant/js-client-rest";
import { randomUUID } from "node:crypto";
import { ApiError } from "./envelope.js";
import { formatError, Reader, type Json, type JsonObject, type Source } from "./json.js";

export type Distance = Schemas["Distance"];
const DISTANCES: readonly Distance[] = ["Cosine", "Euclid", "Dot", "Manhattan"];

export interface VectorParams {
  size: number;
  distance: Distance;
  hnsw_config?: JsonObject;
  quantization_config?: JsonObject;
  on_disk?: boolean;
  datatype?: Schemas["Datatype"];
  multivector_config?: JsonObject;
}
export type VectorsConfig = VectorParams | { [name: string]: VectorParams };

export interface HnswConfig {
  m: number;
  ef_construct: number;
  full_scan_threshold: number;
  max_indexing_threads: number;
  on_disk: boolean;
  payload_m?: number;
}
export interface OptimizerConfig {
  deleted_threshold: number;
  vacuum_min_vector_number: number;
  default_segment_number: number;
  max_segment_size: number | null;
  memmap_threshold: number | null;
  indexing_threshold: number | null;
  flush_interval_sec: number;
  max_optimization_threads: number | null;
}
export interface WalConfig {
  wal_capacity_mb: number;
  wal_segments_ahead: number;
  wal_retain_closed: number;
}
export interface CollectionParams {
  vectors: VectorsConfig;
  shard_number: number;
  replication_factor: number;
  write_consistency_factor: number;
  on_disk_payload: boolean;
  sparse_vectors?: { [name: string]: JsonObject };
}
/** Serde shape of Qdrant's `CollectionConfigInternal` (what `config.json` holds). */
export interface CollectionConfigInternal {
  params: CollectionParams;
  hnsw_config: HnswConfig;
  optimizer_config: OptimizerConfig;
  wal_config: WalConfig;
  quantization_config: JsonObject | null;
  strict_mode_config?: JsonObject;
  metadata?: JsonObject;
  uuid: string;
}

export function isSingleVector(v: VectorsConfig): v is VectorParams {
  return typeof v.size === "number";
}

/** 422 in Qdrant's `Validation error in JSON body: [field: message]` form. */
export function validationError(field: string, msg: string): ApiError {
  return new ApiError(422, `Validation error in JSON body: [${field}: ${msg}]`);
}

function atLeastOne(r: Reader, key: string, field: string): number | undefined {
  const v = r.optUint(key);
  if (v === 0) throw validationError(field, "value 0 invalid, must be 1 or larger");
  return v;
}

function parseVectorParams(r: Reader, field: string): VectorParams {
  const size = atLeastOne(r, "size", `${field}.size`);
  if (size === undefined) throw formatError(r.source, "missing field `size`");
  const distance = r.optEnum("distance", DISTANCES);
  if (distance === undefined) throw formatError(r.source, "missing field `distance`");
  const out: VectorParams = { size, distance };
  const hnsw = r.optObject("hnsw_config");
  if (hnsw) out.hnsw_config = hnsw;
  const quant = r.optObject("quantization_config");
  if (quant) out.quantization_config = quant;
  const onDisk = r.optBool("on_disk");
  if (onDisk !== undefined) out.on_disk = onDisk;
  const datatype = r.optEnum("datatype", ["float32", "uint8", "float16", "turbo4"]);
  if (datatype) out.datatype = datatype;
  const multi = r.optObject("multivector_config");
  if (multi) out.multivector_config = multi;
  return out;
}

function parseVectors(v: Json | undefined, source: Source): VectorsConfig {
  if (v === undefined || v === null) return {};
  const r = Reader.of(v, "vectors", source);
  if (r.has("size") && typeof r.raw("size") === "number") return parseVectorParams(r, "vectors");
  const named: { [name: string]: VectorParams } = {};
  for (const name of Object.keys(r.obj)) {
    const sub = r.optReader(name);
    if (sub) named[name] = parseVectorParams(sub, `vectors.${name}`);
  }
  return named;
}

const HNSW_DEFAULT: HnswConfig = {
  m: 16,
  ef_construct: 100,
  full_scan_threshold: 10000,
  max_indexing_threads: 0,
  on_disk: false,
};
const OPTIMIZER_DEFAULT: OptimizerConfig = {
  deleted_threshold: 0.2,
  vacuum_min_vector_number: 1000,
  default_segment_number: 0,
  max_segment_size: null,
  memmap_threshold: null,
  indexing_threshold: 10000,
  flush_interval_sec: 5,
  max_optimization_threads: null,
};
const WAL_DEFAULT: WalConfig = { wal_capacity_mb: 32, wal_segments_ahead: 0, wal_retain_closed: 1 };

/** `base` (Qdrant's defaults unless given, e.g. the current config for an update) with the fields `r` sets. */
export function mergeHnsw(r: Reader | undefined, base: HnswConfig = HNSW_DEFAULT): HnswConfig {
  const out: HnswConfig = { ...base };
  if (!r) return out;
  out.m = r.optUint("m") ?? out.m;
  out.ef_construct = atLeastOne(r, "ef_construct", "hnsw_config.ef_construct") ?? out.ef_construct;
  out.full_scan_threshold = r.optUint("full_scan_threshold") ?? out.full_scan_threshold;
  out.max_indexing_threads = r.optUint("max_indexing_threads") ?? out.max_indexing_threads;
  out.on_disk = r.optBool("on_disk") ?? out.on_disk;
  const payloadM = r.optUint("payload_m");
  if (payloadM !== undefined) out.payload_m = payloadM;
  return out;
}

/** `base` (Qdrant's defaults unless given, e.g. the current config for an update) with the fields `r` sets. */
export function mergeOptimizer(r: Reader | undefined, base: OptimizerConfig = OPTIMIZER_DEFAULT): OptimizerConfig {
  const out: OptimizerConfig = { ...base };
  if (!r) return out;
  out.deleted_threshold = r.optNumber("deleted_threshold") ?? out.deleted_threshold;
  out.vacuum_min_vector_number = r.optUint("vacuum_min_vector_number") ?? out.vacuum_min_vector_number;
  out.default_segment_number = r.optUint("default_segment_number") ?? out.default_segment_number;
  out.max_segment_size = r.optUint("max_segment_size") ?? out.max_segment_size;
  out.memmap_threshold = r.optUint("memmap_threshold") ?? out.memmap_threshold;
  out.indexing_threshold = r.optUint("indexing_threshold") ?? out.indexing_threshold;
  out.flush_interval_sec = r.optUint("flush_interval_sec") ?? out.flush_interval_sec;
  out.max_optimization_threads = r.optUint("max_optimization_threads") ?? out.max_optimization_threads;
  return out;
}

function mergeWal(r: Reader | undefined): WalConfig {
  const out: WalConfig = { ...WAL_DEFAULT };
  if (!r) return out;
  out.wal_capacity_mb = atLeastOne(r, "wal_capacity_mb", "wal_config.wal_capacity_mb") ?? out.wal_capacity_mb;
  out.wal_segments_ahead = r.optUint("wal_segments_ahead") ?? out.wal_segments_ahead;
  out.wal_retain_closed = r.optUint("wal_retain_closed") ?? out.wal_retain_closed;
  return out;
}

/** Sparse vector params are kept as given (the emulator stores no sparse data). */
function sparseVectors(r: Reader): { [name: string]: JsonObject } | undefined {
  const sub = r.optReader("sparse_vectors");
  if (!sub) return undefined;
  const out: { [name: string]: JsonObject } = {};
  for (const name of Object.keys(sub.obj)) out[name] = sub.optObject(name) ?? {};
  return out;
}

/** Defaults a collection gets when the request does not say (set per emulator in cluster mode). */
export interface ShardDefaults {
  shardNumber: number;
  replicationFactor: number;
}

/** Build the internal config from a `PUT /collections/{name}` body. */
export function configFromCreateBody(body: Json, defaults: ShardDefaults): CollectionConfigInternal {
  const r = Reader.of(body, "");
  const method = r.optEnum("sharding_method", ["auto", "custom"]);
  if (method === "custom") throw new ApiError(400, "Bad request: the emulator supports auto sharding only");
  const params: CollectionParams = {
    vectors: parseVectors(r.raw("vectors"), "body"),
    shard_number: atLeastOne(r, "shard_number", "shard_number") ?? defaults.shardNumber,
    replication_factor: atLeastOne(r, "replication_factor", "replication_factor") ?? defaults.replicationFactor,
    write_consistency_factor: atLeastOne(r, "write_consistency_factor", "write_consistency_factor") ?? 1,
    on_disk_payload: r.optBool("on_disk_payload") ?? true,
  };
  return assembleConfig(params, r, r, "optimizers_config", randomUUID());
}

/** Read a snapshot's `config.json`; a broken file is a 500 like Qdrant's config load error. */
export function configFromFile(value: Json): CollectionConfigInternal {
  const r = Reader.of(value, "config.json", "file");
  const p = r.optReader("params");
  if (!p) throw formatError("file", "Can't read collection config: missing field `params`");
  const params: CollectionParams = {
    vectors: parseVectors(p.raw("vectors"), "file"),
    shard_number: p.optUint("shard_number") ?? 1,
    replication_factor: p.optUint("replication_factor") ?? 1,
    write_consistency_factor: p.optUint("write_consistency_factor") ?? 1,
    on_disk_payload: p.optBool("on_disk_payload") ?? true,
  };
  return assembleConfig(params, p, r, "optimizer_config", r.optString("uuid") ?? randomUUID());
}

/**
 * The parts a create body and a snapshot's config.json share. They differ only in where `sparse_vectors` sits
 * (top level vs inside params) and in the optimizer key (`optimizers_config` in the API, `optimizer_config` on disk).
 */
function assembleConfig(
  params: CollectionParams,
  sparseFrom: Reader,
  r: Reader,
  optimizerKey: string,
  uuid: string,
): CollectionConfigInternal {
  const sparse = sparseVectors(sparseFrom);
  if (sparse) params.sparse_vectors = sparse;
  const config: CollectionConfigInternal = {
    params,
    hnsw_config: mergeHnsw(r.optReader("hnsw_config")),
    optimizer_config: mergeOptimizer(r.optReader(optimizerKey)),
    wal_config: mergeWal(r.optReader("wal_config")),
    quantization_config: r.optObject("quantization_config") ?? null,
    uuid,
  };
  const strict = r.optObject("strict_mode_config");
  if (strict) config.strict_mode_config = strict;
  const metadata = r.optObject("metadata");
  if (metadata) config.metadata = metadata;
  return config;
}
