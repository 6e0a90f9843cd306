/**
 * `GET /cluster`, `GET /collections/{c}/cluster` and the shard operations of `POST /collections/{c}/cluster`.
 * Peer ids are exact (bigint) in and out: answers print them as raw JSON integers, bodies are parsed exactly.
 */
import type { Schemas } from "@qdrant/js-client-rest";
import { param, readBody, requireManage, type RequestCtx } from "./context.js";
import { ApiError, badRequest, okReply, type Reply } from "./envelope.js";
import { parseJsonExact, readPeerId } from "./exact-json.js";
import { formatError, Reader } from "./json.js";
import { checkCollectionName } from "./names.js";
import type { Route } from "./router.js";
import { endTransfer } from "./cluster-activity.js";
import { comparePeerIds, newReplica, type Collection, type Deployment, type PeerId, type Shard } from "./state.js";

/** A Qdrant answer type with its u64 peer-id fields exact. */
type Exact<T, K extends keyof T> = Omit<T, K> & { [P in K]: PeerId };
type ClusterStatusWire =
  | { status: "disabled" }
  | (Omit<Exact<Extract<Schemas["ClusterStatus"], { status: "enabled" }>, "peer_id">, "raft_info"> & {
      raft_info: Exact<Schemas["RaftInfo"], "leader">;
    });
type CollectionClusterWire = Omit<
  Exact<Schemas["CollectionClusterInfo"], "peer_id">,
  "remote_shards" | "shard_transfers" | "resharding_operations"
> & {
  remote_shards: Exact<Schemas["RemoteShardInfo"], "peer_id">[];
  shard_transfers: Exact<Schemas["ShardTransferInfo"], "from" | "to">[];
  /** Qdrant serialises `uuid` although its OpenAPI schema skips it. */
  resharding_operations?: (Exact<Schemas["ReshardingInfo"], "peer_id"> & { uuid: string })[];
};

async function clusterStatus(ctx: RequestCtx): Promise<Reply> {
  const d = ctx.node.deployment;
  if (!d.distributed) {
    const disabled: ClusterStatusWire = { status: "disabled" };
    return okReply(disabled, ctx.startedAt);
  }
  const peers: Record<string, Schemas["PeerInfo"]> = {};
  for (const id of d.peers) peers[String(id)] = { uri: d.peerUris.get(id) ?? "" };
  // The lowest peer id plays the Raft leader; the numbers only need to be plausible and stable.
  const leader = d.peers[0] ?? ctx.node.peerId;
  const status: ClusterStatusWire = {
    status: "enabled",
    peer_id: ctx.node.peerId,
    peers,
    raft_info: {
      term: d.term,
      commit: d.commit,
      pending_operations: 0,
      leader,
      role: leader === ctx.node.peerId ? "Leader" : "Follower",
      is_voter: true,
    },
    consensus_thread_status: { consensus_thread_status: "working", last_update: ctx.node.shared.clock().toISOString() },
    message_send_failures: {},
  };
  return okReply(status, ctx.startedAt);
}

function collectionOf(ctx: RequestCtx): Collection {
  const name = param(ctx, "name");
  checkCollectionName(name);
  return ctx.node.deployment.get(name);
}

async function collectionCluster(ctx: RequestCtx): Promise<Reply> {
  const c = collectionOf(ctx);
  ctx.node.shared.restoreFaults.clusterRead(c);
  const me = ctx.node.peerId;
  const info: CollectionClusterWire = {
    peer_id: me,
    shard_count: c.shards.length,
    local_shards: [],
    remote_shards: [],
    shard_transfers: [...c.transfers]
      .sort((a, b) => a.shardId - b.shardId)
      .map((t) => ({
        shard_id: t.shardId,
        from: t.from,
        to: t.to,
        sync: t.sync,
        method: t.method,
        // "Available only on the source peer."
        ...(t.comment !== undefined && t.from === me ? { comment: t.comment } : {}),
      })),
  };
  if (c.resharding.length > 0) {
    info.resharding_operations = [...c.resharding]
      .sort((a, b) => a.shardId - b.shardId)
      .map((r) => ({
        uuid: r.uuid,
        direction: r.direction,
        shard_id: r.shardId,
        peer_id: r.peerId,
        shard_key: r.shardKey,
      }));
  }
  for (const shard of c.shards) {
    for (const r of [...shard.replicas.values()].sort((a, b) => comparePeerIds(a.peerId, b.peerId))) {
      if (r.peerId === me) info.local_shards.push({ shard_id: shard.id, points_count: r.points.size, state: r.state });
      else info.remote_shards.push({ shard_id: shard.id, peer_id: r.peerId, state: r.state });
    }
  }
  return okReply(info, ctx.startedAt);
}

function shardOf(d: Deployment, c: Collection, shardId: number, ...peerIds: PeerId[]): Shard {
  const shard = c.shards[shardId];
  if (!shard) throw badRequest(`Shard ${shardId} of ${c.name} does not exist`);
  for (const p of peerIds) if (!d.peers.includes(p)) throw badRequest(`Peer ${p} does not exist`);
  return shard;
}

function dropReplica(c: Collection, shard: Shard, peerId: PeerId): void {
  if (!shard.replicas.has(peerId)) throw badRequest(`Shard ${shard.id} of ${c.name} does not exist on peer ${peerId}`);
  const othersActive = [...shard.replicas.values()].some((r) => r.peerId !== peerId && r.state === "Active");
  if (!othersActive)
    throw badRequest(`Shard ${shard.id} must have at least one active replica after removing ${peerId}`);
  shard.replicas.delete(peerId);
}

/** Transfers asked for over the API complete instantly (tests inject lasting ones with `cluster.startTransfer`). */
function copyReplica(shard: Shard, from: PeerId, to: PeerId): void {
  const source = shard.replicas.get(from);
  if (!source) throw badRequest(`Shard ${shard.id} does not exist on peer ${from}`);
  if (shard.replicas.has(to)) throw badRequest(`Shard ${shard.id} is already present on peer ${to}`);
  shard.replicas.set(to, newReplica(to, source.points.values()));
}

const UNSUPPORTED = [
  "restart_transfer",
  "create_sharding_key",
  "drop_sharding_key",
  "start_resharding",
  "abort_resharding",
  "replicate_points",
];

async function updateCluster(ctx: RequestCtx): Promise<Reply> {
  const body = Reader.of(parseJsonExact((await readBody(ctx.req)).toString("utf8")), "");
  const d = ctx.node.deployment;
  requireManage(ctx);
  if (!d.distributed) throw new ApiError(405, "Qdrant is running in standalone mode");
  const c = collectionOf(ctx);
  const drop = body.optReader("drop_replica");
  const move = body.optReader("move_shard");
  const replicate = body.optReader("replicate_shard");
  const abort = body.optReader("abort_transfer");
  if (drop) {
    const [shardId, peerId] = [drop.uint("shard_id"), readPeerId(drop, "peer_id")];
    dropReplica(c, shardOf(d, c, shardId, peerId), peerId);
  } else if (move || replicate) {
    const r = move ?? replicate ?? body;
    const [shardId, from, to] = [r.uint("shard_id"), readPeerId(r, "from_peer_id"), readPeerId(r, "to_peer_id")];
    const shard = shardOf(d, c, shardId, from, to);
    copyReplica(shard, from, to);
    if (move) shard.replicas.delete(from);
  } else if (abort) {
    const [shardId, from, to] = [
      abort.uint("shard_id"),
      readPeerId(abort, "from_peer_id"),
      readPeerId(abort, "to_peer_id"),
    ];
    const t = c.transfers.find((x) => x.shardId === shardId && x.from === from && x.to === to);
    if (!t) throw badRequest(`Shard transfer ${shardId} from ${from} to ${to} does not exist`);
    endTransfer(c, t, "abort");
  } else {
    const op = UNSUPPORTED.find((k) => body.has(k));
    if (op) throw badRequest(`${op} is not supported by the emulator`);
    throw formatError("body", "data did not match any variant of untagged enum ClusterOperations");
  }
  d.commit++;
  return okReply(true, ctx.startedAt);
}

export const clusterRoutes: Route[] = [
  { method: "GET", path: "/cluster", handler: clusterStatus },
  { method: "GET", path: "/collections/:name/cluster", handler: collectionCluster },
  { method: "POST", path: "/collections/:name/cluster", handler: updateCluster },
];
