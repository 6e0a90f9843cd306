/**
 * Small runtime validators mirroring the OpenAPI shapes tests care about. Each asserts (throws
 * with the offending path) and narrows to the client's schema type, so tests need no casts.
 */
import type { Schemas } from "@qdrant/js-client-rest";

type Obj = Record<string, unknown>;

function fail(path: string, want: string, got: unknown): never {
  throw new Error(`${path}: expected ${want}, got ${JSON.stringify(got)}`);
}

function obj(v: unknown, path: string): Obj {
  if (typeof v !== "object" || v === null || Array.isArray(v)) fail(path, "an object", v);
  return Object.fromEntries(Object.entries(v));
}

function num(v: unknown, path: string, integer = false): number {
  if (typeof v !== "number" || (integer && !Number.isInteger(v))) fail(path, integer ? "an integer" : "a number", v);
  return v;
}

function str(v: unknown, path: string): string {
  if (typeof v !== "string") fail(path, "a string", v);
  return v;
}

function arr(v: unknown, path: string): unknown[] {
  if (!Array.isArray(v)) fail(path, "an array", v);
  return v;
}

const REPLICA_STATES = [
  "Active",
  "Dead",
  "Partial",
  "Initializing",
  "Listener",
  "PartialSnapshot",
  "Recovery",
  "Resharding",
  "ReshardingScaleDown",
  "ActiveRead",
  "ManualRecovery",
];

/** `{result, status:"ok", time}`; returns `result`. */
export function expectOk(body: unknown): unknown {
  const o = obj(body, "envelope");
  if (o["status"] !== "ok") fail("envelope.status", '"ok"', o["status"]);
  num(o["time"], "envelope.time");
  if (!("result" in o)) fail("envelope.result", "present", undefined);
  return o["result"];
}

/** `{status:{error}, time}` with no `result` key; returns the message. */
export function expectError(body: unknown): string {
  const o = obj(body, "error envelope");
  if ("result" in o) fail("error envelope.result", "absent", o["result"]);
  num(o["time"], "error envelope.time");
  return str(obj(o["status"], "error envelope.status")["error"], "error envelope.status.error");
}

/** 202 `{status:"accepted", time}` with no `result` key. */
export function expectAccepted(body: unknown): void {
  const o = obj(body, "accepted");
  if (o["status"] !== "accepted" || "result" in o) fail("accepted", '{status:"accepted"} without result', o);
  num(o["time"], "accepted.time");
}

export function assertSnapshotDescription(v: unknown, path = "snapshot"): asserts v is Schemas["SnapshotDescription"] {
  const o = obj(v, path);
  str(o["name"], `${path}.name`);
  num(o["size"], `${path}.size`, true);
  const t = o["creation_time"];
  if (
    t !== null &&
    t !== undefined &&
    !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?$/.test(str(t, `${path}.creation_time`))
  ) {
    fail(`${path}.creation_time`, "a naive UTC timestamp", t);
  }
  if ("checksum" in o && o["checksum"] !== null && !/^[0-9a-f]{64}$/.test(str(o["checksum"], `${path}.checksum`))) {
    fail(`${path}.checksum`, "64 lower-case hex digits", o["checksum"]);
  }
}

export function assertSnapshotList(v: unknown): asserts v is Schemas["SnapshotDescription"][] {
  arr(v, "snapshots").forEach((s, i) => assertSnapshotDescription(s, `snapshots[${i}]`));
}

export function assertCollectionsResponse(v: unknown): asserts v is Schemas["CollectionsResponse"] {
  arr(obj(v, "collections response")["collections"], "collections").forEach((c, i) =>
    str(obj(c, `collections[${i}]`)["name"], `collections[${i}].name`),
  );
}

export function assertCollectionInfo(v: unknown): asserts v is Schemas["CollectionInfo"] {
  const o = obj(v, "info");
  if (!["green", "yellow", "grey", "red"].includes(str(o["status"], "info.status")))
    fail("info.status", "a collection status", o["status"]);
  num(o["segments_count"], "info.segments_count", true);
  if (o["points_count"] !== null) num(o["points_count"], "info.points_count", true);
  obj(o["payload_schema"], "info.payload_schema");
  const config = obj(o["config"], "info.config");
  const params = obj(config["params"], "info.config.params");
  num(params["shard_number"], "params.shard_number", true);
  num(params["replication_factor"], "params.replication_factor", true);
  obj(params["vectors"], "params.vectors");
  const hnsw = obj(config["hnsw_config"], "info.config.hnsw_config");
  for (const k of ["m", "ef_construct", "full_scan_threshold"]) num(hnsw[k], `hnsw_config.${k}`, true);
  const opt = obj(config["optimizer_config"], "info.config.optimizer_config");
  for (const k of ["default_segment_number", "flush_interval_sec"]) num(opt[k], `optimizer_config.${k}`, true);
}

export function assertAliases(v: unknown): asserts v is Schemas["CollectionsAliasesResponse"] {
  arr(obj(v, "aliases response")["aliases"], "aliases").forEach((a, i) => {
    const o = obj(a, `aliases[${i}]`);
    str(o["alias_name"], `aliases[${i}].alias_name`);
    str(o["collection_name"], `aliases[${i}].collection_name`);
  });
}

export function assertClusterStatus(v: unknown): asserts v is Schemas["ClusterStatus"] {
  const o = obj(v, "cluster");
  if (o["status"] === "disabled") return;
  if (o["status"] !== "enabled") fail("cluster.status", '"enabled" or "disabled"', o["status"]);
  num(o["peer_id"], "cluster.peer_id", true);
  for (const [id, p] of Object.entries(obj(o["peers"], "cluster.peers")))
    str(obj(p, `peers.${id}`)["uri"], `peers.${id}.uri`);
  const raft = obj(o["raft_info"], "cluster.raft_info");
  for (const k of ["term", "commit", "pending_operations"]) num(raft[k], `raft_info.${k}`, true);
  if (typeof raft["is_voter"] !== "boolean") fail("raft_info.is_voter", "a boolean", raft["is_voter"]);
  str(
    obj(o["consensus_thread_status"], "cluster.consensus_thread_status")["consensus_thread_status"],
    "consensus_thread_status",
  );
  obj(o["message_send_failures"], "cluster.message_send_failures");
}

export function assertCollectionClusterInfo(v: unknown): asserts v is Schemas["CollectionClusterInfo"] {
  const o = obj(v, "collection cluster");
  num(o["peer_id"], "peer_id", true);
  num(o["shard_count"], "shard_count", true);
  arr(o["shard_transfers"], "shard_transfers");
  arr(o["local_shards"], "local_shards").forEach((s, i) => {
    const l = obj(s, `local_shards[${i}]`);
    num(l["shard_id"], `local_shards[${i}].shard_id`, true);
    num(l["points_count"], `local_shards[${i}].points_count`, true);
    if (!REPLICA_STATES.includes(str(l["state"], `local_shards[${i}].state`)))
      fail(`local_shards[${i}].state`, "a replica state", l["state"]);
  });
  arr(o["remote_shards"], "remote_shards").forEach((s, i) => {
    const r = obj(s, `remote_shards[${i}]`);
    num(r["shard_id"], `remote_shards[${i}].shard_id`, true);
    num(r["peer_id"], `remote_shards[${i}].peer_id`, true);
    if (!REPLICA_STATES.includes(str(r["state"], `remote_shards[${i}].state`)))
      fail(`remote_shards[${i}].state`, "a replica state", r["state"]);
  });
}
