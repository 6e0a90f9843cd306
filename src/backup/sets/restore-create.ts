/**
 * Creating the target collection from a set's manifest: the `collection_config` (GET /collections/{c} as backed
 * up) mapped to the PUT /collections/{c} body, field by field as the bash tool maps it, nulls dropped at any depth;
 * then the payload indexes of its `payload_schema` (each failure only warned about: the data is restored either way).
 */
import { describeError, isFatal } from "../task/items.js";
import type { Deps } from "../task/deps.js";
import type { Manifest } from "./manifest.js";

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/** `v` without null values, at any depth (Qdrant's GET form has nulls its PUT form refuses or misreads). */
export function dropNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(dropNulls);
  if (!isObj(v)) return v;
  const out: Obj = {};
  for (const [k, x] of Object.entries(v)) if (x !== null && x !== undefined) out[k] = dropNulls(x);
  return out;
}

/** The `config` object of a manifest's collection_config ({} when absent). */
export function configOf(m: Manifest): Obj {
  const c = m.collection_config["config"];
  return isObj(c) ? c : {};
}

/** The `config.params` object of a manifest's collection_config ({} when absent). */
export function paramsOf(m: Manifest): Obj {
  const p = configOf(m)["params"];
  return isObj(p) ? p : {};
}

/** The PUT /collections/{c} body for a manifest's collection_config. */
export function createBody(m: Manifest): Obj {
  const config = configOf(m);
  const params = paramsOf(m);
  const body: Obj = {
    vectors: params["vectors"],
    shard_number: params["shard_number"],
    replication_factor: params["replication_factor"],
    write_consistency_factor: params["write_consistency_factor"],
    on_disk_payload: params["on_disk_payload"],
    sparse_vectors: params["sparse_vectors"],
    hnsw_config: config["hnsw_config"],
    optimizers_config: config["optimizer_config"],
    wal_config: config["wal_config"],
    quantization_config: config["quantization_config"],
    strict_mode_config: config["strict_mode_config"],
    metadata: config["metadata"],
  };
  return dropNulls(body) as Obj;
}

/** Creates the payload indexes of the manifest's payload_schema; returns how many failed (each warned about). */
export async function createPayloadIndexes(
  deps: Pick<Deps, "qdrant" | "log">,
  host: string,
  m: Manifest,
): Promise<number> {
  const schema = m.collection_config["payload_schema"];
  if (!isObj(schema)) return 0;
  let failed = 0;
  for (const [field, info] of Object.entries(schema)) {
    if (!isObj(info)) continue;
    const fieldSchema = isObj(info["params"])
      ? dropNulls(info["params"])
      : String(info["data_type"] ?? "keyword").toLowerCase();
    try {
      await deps.qdrant.createFieldIndex(host, m.collection, field, fieldSchema);
    } catch (err) {
      if (isFatal(err)) throw err;
      failed++;
      deps.log.warn(`WARNING: payload index ${field} of ${m.collection} not created: ${describeError(err)}`);
    }
  }
  return failed;
}
