/**
 * GET /cluster and GET /collections/{c}/cluster, with exact peer ids. Qdrant's peer ids are u64; clusters created
 * before Qdrant 1.2 keep ids above 2^53, which a double rounds (two peers could even collapse into one). The answers
 * are parsed with exact integers (lib/exact-json.ts via answers.ts) and every peer id is kept as its decimal digits.
 * Hand-written beyond the schema: a replica's `state` is any string (ReplicaState grows between versions).
 */
import { field, isArray, isNumber, isObject, isString, obj, type Schema } from "./types.js";

/** A peer id as its exact decimal digits (`"18446744073709551557"`). */
export type PeerId = string;

/** GET /cluster: disabled (a standalone node), or this peer's id and every peer's (p2p) URI. */
export type ClusterStatus =
  | Extract<Schema["ClusterStatus"], { status: "disabled" }>
  | { status: "enabled"; peer_id: PeerId; peers: Record<PeerId, { uri: string }> };

export interface ShardReplica {
  shard_id: number;
  peer_id: PeerId;
  state: string;
  points_count?: number;
}

/** One shard transfer in progress, as the tool reports it. */
export interface ShardTransfer {
  shard_id: number;
  from: PeerId;
  to: PeerId;
}

/** GET /collections/{c}/cluster: every replica (local ones with this peer's id), transfers and reshardings. */
export interface CollectionClusterInfo {
  peer_id: PeerId;
  shard_count?: number;
  local_shards: ShardReplica[];
  remote_shards: ShardReplica[];
  shard_transfers: ShardTransfer[];
  /** How many resharding operations are under way (Qdrant ≥ 1.13 lists them; older versions omit the field). */
  resharding_operations: number;
}

/** An exact peer id: a JSON number (a bigint when beyond 2^53) or digits, as its decimal digits. */
export function peerIdOf(v: unknown, what: string): PeerId {
  if (typeof v === "bigint" && v >= 0n) return v.toString();
  if (isNumber(v) && Number.isSafeInteger(v) && v >= 0) return String(v);
  if (isString(v) && /^\d+$/.test(v)) return BigInt(v).toString();
  throw new Error(`${what} is not a peer id (a whole number)`);
}

/** Orders peer ids numerically (as u64s, not as text: "9" < "10"). */
export function comparePeerIds(a: PeerId, b: PeerId): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

export function parseClusterStatus(v: unknown): ClusterStatus {
  const o = obj(v, "result");
  const status = field(o, "status", isString, "a string");
  if (status === "disabled") return { status };
  if (status !== "enabled") throw new Error(`unknown cluster status "${status}"`);
  const peers: Record<PeerId, { uri: string }> = {};
  for (const [id, p] of Object.entries(obj(o["peers"], "peers"))) {
    peers[peerIdOf(id, `peer key "${id}"`)] = { uri: field(obj(p, `peer ${id}`), "uri", isString, "a string") };
  }
  return { status, peer_id: peerIdOf(o["peer_id"], 'field "peer_id"'), peers };
}

function replica(v: unknown, what: string, localPeer?: PeerId): ShardReplica {
  const e = obj(v, what);
  const pc = e["points_count"];
  return {
    shard_id: field(e, "shard_id", isNumber, "a number"),
    peer_id: localPeer ?? peerIdOf(e["peer_id"], `${what} peer_id`),
    state: field(e, "state", isString, "a string"),
    ...(isNumber(pc) ? { points_count: pc } : {}),
  };
}

export function parseCollectionClusterInfo(v: unknown): CollectionClusterInfo {
  const o = obj(v, "result");
  const me = peerIdOf(o["peer_id"], 'field "peer_id"');
  const transfers = o["shard_transfers"];
  const resharding = o["resharding_operations"];
  const count = o["shard_count"];
  return {
    peer_id: me,
    ...(isNumber(count) ? { shard_count: count } : {}),
    local_shards: field(o, "local_shards", isArray, "an array").map((s) => replica(s, "local shard", me)),
    remote_shards: field(o, "remote_shards", isArray, "an array").map((s) => replica(s, "remote shard")),
    shard_transfers: (isArray(transfers) ? transfers : []).map((t) => {
      const e = obj(t, "shard transfer");
      return {
        shard_id: field(e, "shard_id", isNumber, "a number"),
        from: peerIdOf(e["from"], "shard transfer from"),
        to: peerIdOf(e["to"], "shard transfer to"),
      };
    }),
    resharding_operations: isArray(resharding) ? resharding.length : isObject(resharding) ? 1 : 0,
  };
}
