/**
 * `PATCH /collections/{name}` (update_collection): change optimizer, HNSW and base params and metadata of an existing
 * collection. Like any update operation it triggers pending optimizations, so a `grey` collection starts optimizing.
 * Parts the emulator cannot apply (vectors, quantization, sparse vectors) are refused, never silently ignored.
 */
import { mergeHnsw, mergeOptimizer, validationError } from "./collection-config.js";
import { param, readJson, requireManage, type RequestCtx } from "./context.js";
import { ApiError, badRequest, okReply, type Reply } from "./envelope.js";
import { Reader, type JsonObject } from "./json.js";
import { checkCollectionName } from "./names.js";
import type { Route } from "./router.js";
import type { Collection } from "./state.js";

const UNSUPPORTED = ["vectors", "quantization_config", "sparse_vectors"] as const;
const PARAMS_UNSUPPORTED = ["read_fan_out_factor", "read_fan_out_delay_ms", "payload"] as const;

/** `timeout` (seconds, ≥ 1) is accepted and has nothing to wait for here. */
function checkTimeoutQuery(ctx: RequestCtx): void {
  const v = ctx.query.get("timeout");
  if (v === null) return;
  if (!/^\d+$/.test(v)) throw new ApiError(400, `Query deserialize error: invalid digit found in string`);
  if (Number(v) < 1)
    throw new ApiError(422, "Validation error in path parameters: [timeout: value 0 invalid, must be 1 or larger]");
}

/** The parsed update, applied only after every part is known to be valid. */
type Change = (c: Collection) => void;

function parseUpdate(r: Reader): Change[] {
  const changes: Change[] = [];
  for (const key of UNSUPPORTED) if (r.has(key)) throw badRequest(`the emulator does not support updating \`${key}\``);
  const optimizers = r.optReader("optimizers_config");
  if (optimizers) {
    mergeOptimizer(optimizers); // validates the diff now, so nothing is half-applied
    changes.push((c) => void (c.config.optimizer_config = mergeOptimizer(optimizers, c.config.optimizer_config)));
  }
  const hnsw = r.optReader("hnsw_config");
  if (hnsw) {
    mergeHnsw(hnsw);
    changes.push((c) => void (c.config.hnsw_config = mergeHnsw(hnsw, c.config.hnsw_config)));
  }
  const params = r.optReader("params");
  if (params) {
    for (const key of PARAMS_UNSUPPORTED)
      if (params.has(key)) throw badRequest(`the emulator does not support updating \`params.${key}\``);
    const rf = params.optUint("replication_factor");
    const wcf = params.optUint("write_consistency_factor");
    if (rf === 0) throw validationError("params.replication_factor", "value 0 invalid, must be 1 or larger");
    if (wcf === 0) throw validationError("params.write_consistency_factor", "value 0 invalid, must be 1 or larger");
    const onDisk = params.optBool("on_disk_payload");
    changes.push((c) => {
      // Qdrant changes the config only; replicas are added or dropped by separate cluster operations.
      if (rf !== undefined) c.config.params.replication_factor = rf;
      if (wcf !== undefined) c.config.params.write_consistency_factor = wcf;
      if (onDisk !== undefined) c.config.params.on_disk_payload = onDisk;
    });
  }
  const strict = r.optObject("strict_mode_config");
  if (strict) changes.push((c) => void (c.config.strict_mode_config = { ...c.config.strict_mode_config, ...strict }));
  const metadata = r.optObject("metadata");
  if (metadata) changes.push((c) => void (c.config.metadata = mergeMetadata(c.config.metadata, metadata)));
  return changes;
}

/** Metadata merges key by key; a `null` value removes the key. */
function mergeMetadata(current: JsonObject | undefined, diff: JsonObject): JsonObject {
  const out: JsonObject = { ...current };
  for (const [k, v] of Object.entries(diff)) {
    if (v === null) delete out[k];
    else out[k] = v;
  }
  return out;
}

async function updateCollection(ctx: RequestCtx): Promise<Reply> {
  const name = param(ctx, "name");
  checkCollectionName(name);
  checkTimeoutQuery(ctx);
  const changes = parseUpdate(Reader.of(await readJson(ctx), ""));
  requireManage(ctx);
  const d = ctx.node.deployment;
  const c = d.get(name);
  for (const change of changes) change(c);
  // Any update operation triggers pending optimizations: grey turns into optimizing (yellow) or green.
  if (c.health?.grey) c.health.grey = false;
  if (c.health && c.health.error === undefined && c.health.yellowPolls <= 0) delete c.health;
  d.commit++;
  return okReply(true, ctx.startedAt);
}

export const collectionUpdateRoutes: Route[] = [
  { method: "PATCH", path: "/collections/:name", handler: updateCollection },
];
