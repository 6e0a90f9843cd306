/** Views of a collection config: the public `CollectionConfig` and Rust-`Debug`-like text for messages. */
import type { Schemas } from "@qdrant/js-client-rest";
import {
  isSingleVector,
  type CollectionConfigInternal,
  type VectorParams,
  type VectorsConfig,
} from "./collection-config.js";

/** The public `CollectionConfig` (no uuid), checked against the client's schema types. */
export function publicConfig(c: CollectionConfigInternal): Schemas["CollectionConfig"] {
  const out: Schemas["CollectionConfig"] = {
    params: c.params,
    hnsw_config: c.hnsw_config,
    optimizer_config: c.optimizer_config,
    wal_config: c.wal_config,
    quantization_config: c.quantization_config,
  };
  if (c.strict_mode_config) out.strict_mode_config = c.strict_mode_config;
  if (c.metadata) out.metadata = c.metadata;
  return out;
}

/** Rust `{:?}`-like rendering of a vectors config, for the incompatibility message. */
export function debugVectors(v: VectorsConfig): string {
  const one = (p: VectorParams): string =>
    `VectorParams { size: ${p.size}, distance: ${p.distance}, hnsw_config: ${p.hnsw_config ? JSON.stringify(p.hnsw_config) : "None"}, quantization_config: ${p.quantization_config ? "Some(..)" : "None"}, on_disk: ${p.on_disk === undefined ? "None" : `Some(${p.on_disk})`}, datatype: ${p.datatype ?? "None"}, multivector_config: ${p.multivector_config ? "Some(..)" : "None"} }`;
  if (isSingleVector(v)) return `Single(${one(v)})`;
  const entries = Object.entries(v).map(([k, p]) => `"${k}": ${one(p)}`);
  return `MultiDense({${entries.join(", ")}})`;
}
