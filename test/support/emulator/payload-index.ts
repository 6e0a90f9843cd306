/**
 * Payload indexes: `PUT /collections/{c}/index`, `DELETE /collections/{c}/index/{field}` and the `payload_schema`
 * of collection info. As in Qdrant the collection keeps its index schema (`payload_index.json` in a collection
 * snapshot), and each segment its own indexes: a recovered shard snapshot keeps the indexes its segments carry, gets
 * the collection's added, and `payload_schema` is the union over the shards (local_shard/mod.rs, segment_ops.rs).
 */
import type { Schemas } from "@qdrant/js-client-rest";
import { boolQuery, param, readJson, requireManage, type RequestCtx } from "./context.js";
import { badRequest, okReply, type Reply } from "./envelope.js";
import { formatError, isObject, Reader, type Json } from "./json.js";
import { checkCollectionName } from "./names.js";
import type { Route } from "./router.js";
import { readReplica, type Collection, type PeerId } from "./state.js";

type SchemaType = Schemas["PayloadSchemaType"];
const TYPES: readonly SchemaType[] = ["keyword", "integer", "float", "geo", "text", "bool", "datetime", "uuid"];

/** The data type of a `PayloadFieldSchema`: a type name, or a params object's `type`. */
export function dataTypeOf(schema: Json): SchemaType {
  const name = typeof schema === "string" ? schema : isObject(schema) ? schema["type"] : undefined;
  const hit = TYPES.find((t) => t === name);
  if (hit === undefined) throw new Error(`not a payload field schema: ${JSON.stringify(schema)}`);
  return hit;
}

/** Validate a `field_schema` as serde would (`PayloadFieldSchema` is an untagged enum of a name or tagged params). */
export function parseFieldSchema(v: Json): Json {
  const untagged = formatError(
    "body",
    "field_schema: data did not match any variant of untagged enum PayloadFieldSchema",
  );
  if (typeof v === "string") {
    if (!TYPES.some((t) => t === v)) throw untagged;
    return v;
  }
  if (!isObject(v) || typeof v["type"] !== "string" || !TYPES.some((t) => t === v["type"])) throw untagged;
  return v;
}

/** `payload_schema` as a peer sees it: per shard, the replica it reads, and the points holding each indexed field. */
export function payloadSchemaOf(c: Collection, viewer: PeerId): Schemas["CollectionInfo"]["payload_schema"] {
  const out: Schemas["CollectionInfo"]["payload_schema"] = {};
  for (const shard of c.shards) {
    const replica = readReplica(shard, viewer);
    const fields = new Map<string, Json>([...(replica?.segmentIndexes ?? []), ...c.payloadIndex]);
    for (const [field, schema] of fields) {
      let points = 0;
      for (const p of replica?.points.values() ?? []) if (p.payload[field] !== undefined) points++;
      const seen = out[field];
      if (seen) {
        seen.points += points;
        continue;
      }
      const info: Schemas["PayloadIndexInfo"] = { data_type: dataTypeOf(schema), points };
      if (isObject(schema)) info.params = schema as Schemas["PayloadSchemaParams"];
      out[field] = info;
    }
  }
  return out;
}

function updateResult(ctx: RequestCtx, c: Collection): Reply {
  const result: Schemas["UpdateResult"] = {
    operation_id: c.nextOperationId++,
    status: boolQuery(ctx, "wait", false) ? "completed" : "acknowledged",
  };
  return okReply(result, ctx.startedAt);
}

/** `PUT /collections/{name}/index` (`CreateFieldIndex`); index creation is instant here, `wait` only sets the status. */
async function createFieldIndex(ctx: RequestCtx): Promise<Reply> {
  const name = param(ctx, "name");
  checkCollectionName(name);
  boolQuery(ctx, "wait", false);
  const r = Reader.of(await readJson(ctx), "");
  const field = r.string("field_name");
  const raw = r.raw("field_schema");
  const schema = raw === undefined || raw === null ? undefined : parseFieldSchema(raw);
  requireManage(ctx);
  const c = ctx.node.deployment.get(name);
  if (schema === undefined)
    throw badRequest("Can't auto-detect field type, please specify `field_schema` in the request");
  c.payloadIndex.set(field, schema);
  return updateResult(ctx, c);
}

/** `DELETE /collections/{name}/index/{field}`: also from the segments (a field nobody indexed is a no-op). */
async function deleteFieldIndex(ctx: RequestCtx): Promise<Reply> {
  const name = param(ctx, "name");
  checkCollectionName(name);
  boolQuery(ctx, "wait", false);
  requireManage(ctx);
  const c = ctx.node.deployment.get(name);
  const field = param(ctx, "field");
  c.payloadIndex.delete(field);
  for (const shard of c.shards) for (const r of shard.replicas.values()) r.segmentIndexes?.delete(field);
  return updateResult(ctx, c);
}

export const payloadIndexRoutes: Route[] = [
  { method: "PUT", path: "/collections/:name/index", handler: createFieldIndex },
  { method: "DELETE", path: "/collections/:name/index/:field", handler: deleteFieldIndex },
];
