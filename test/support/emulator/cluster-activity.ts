/**
 * Cluster activity tests inject (`emulator.cluster`): a replica's state, a shard transfer in progress (listed in
 * `shard_transfers`, its target replica Partial while it lasts), a resharding operation (`resharding_operations`).
 */
import type { Schemas } from "@qdrant/js-client-rest";
import { randomUUID } from "node:crypto";
import {
  comparePeerIds,
  newReplica,
  replaceReplicaData,
  type Collection,
  type Deployment,
  type PeerId,
  type ReplicaState,
  type Resharding,
  type ShardTransfer,
} from "./state.js";

/** A peer id as tests write it: a bigint, or a number that is a safe integer (a bigger one has already been rounded). */
export type PeerIdInput = bigint | number;

export interface ClusterPeer {
  /** Index into `emulator.nodes` / `emulator.urls`. */
  index: number;
  peerId: PeerId;
  url: string;
  host: string;
}

/** An injected operation in progress. Both calls are no-ops once it has ended. */
export interface ActivityHandle {
  /** Completes it (a transfer: the target replica gets the source's points and turns Active; a move drops the source). */
  finish(): void;
  /** Cancels it (a transfer: a target replica made for it is removed, an existing one gets its state back). */
  abort(): void;
}

export interface TransferSpec {
  collection: string;
  shard: number;
  from: PeerIdInput;
  to: PeerIdInput;
  /** Default "stream_records". Its source replica is then a forward proxy: shard snapshots there answer 400. */
  method?: Schemas["ShardTransferMethod"];
  /** Default true (replicate_shard); false = move_shard. */
  sync?: boolean;
  /** Shown to the source peer only, as Qdrant does. */
  comment?: string;
}

export interface ReshardingSpec {
  collection: string;
  direction: Schemas["ReshardingDirection"];
  shard: number;
  peer: PeerIdInput;
  shardKey?: Schemas["ShardKey"];
}

export interface ClusterControl {
  /** Every peer (standalone: every node), in ascending peer-id order. */
  peers(): ClusterPeer[];
  /** Sets one replica's state; returns a function that puts the previous state back. Throws if there is no replica. */
  setReplicaState(collection: string, shard: number, peer: PeerIdInput, state: ReplicaState): () => void;
  startTransfer(spec: TransferSpec): ActivityHandle;
  startResharding(spec: ReshardingSpec): ActivityHandle;
}

export function toPeerId(p: PeerIdInput): PeerId {
  if (typeof p === "bigint") return p;
  if (!Number.isSafeInteger(p) || p < 0) throw new Error(`peer id ${p} is not exact: pass a bigint`);
  return BigInt(p);
}

interface TransferRecord extends ShardTransfer {
  /** The target's state before the transfer; undefined when the transfer created the target replica. */
  before?: ReplicaState;
}

/** Ends a transfer: `finish` completes it, `abort` undoes it. */
export function endTransfer(c: Collection, t: ShardTransfer, how: "finish" | "abort"): void {
  const at = c.transfers.indexOf(t);
  if (at < 0) return;
  c.transfers.splice(at, 1);
  const shard = c.shards[t.shardId];
  const target = shard?.replicas.get(t.to);
  if (!shard || !target) return;
  const before = (t as TransferRecord).before;
  if (how === "abort") {
    if (before === undefined) shard.replicas.delete(t.to);
    else target.state = before;
    return;
  }
  const source = shard.replicas.get(t.from);
  if (source) replaceReplicaData(target, source.points.values());
  target.state = "Active";
  if (!t.sync) shard.replicas.delete(t.from);
}

function handle(end: (how: "finish" | "abort") => void): ActivityHandle {
  let done = false;
  const once = (how: "finish" | "abort"): void => {
    if (done) return;
    done = true;
    end(how);
  };
  return { finish: () => once("finish"), abort: () => once("abort") };
}

export function clusterControl(deployment: Deployment | undefined, peers: () => ClusterPeer[]): ClusterControl {
  const d = (): Deployment => {
    if (!deployment) throw new Error("emulator.cluster: start the emulator in cluster mode (`cluster: {peers}`)");
    return deployment;
  };
  const known = (p: PeerIdInput): PeerId => {
    const id = toPeerId(p);
    if (!d().peers.includes(id)) throw new Error(`emulator.cluster: no peer ${id}`);
    return id;
  };
  const shardOf = (collection: string, shard: number): { c: Collection; s: NonNullable<Collection["shards"][0]> } => {
    const c = d().get(collection);
    const s = c.shards[shard];
    if (!s) throw new Error(`emulator.cluster: collection ${collection} has no shard ${shard}`);
    return { c, s };
  };
  return {
    peers: () => peers().sort((a, b) => comparePeerIds(a.peerId, b.peerId)),
    setReplicaState(collection, shard, peer, state) {
      const replica = shardOf(collection, shard).s.replicas.get(known(peer));
      if (!replica) throw new Error(`emulator.cluster: peer ${peer} holds no replica of ${collection}/${shard}`);
      const before = replica.state;
      replica.state = state;
      return () => void (replica.state = before);
    },
    startTransfer(spec) {
      const { c, s } = shardOf(spec.collection, spec.shard);
      const [from, to] = [known(spec.from), known(spec.to)];
      if (from === to) throw new Error("emulator.cluster: a transfer needs two different peers");
      if (!s.replicas.has(from)) throw new Error(`emulator.cluster: peer ${from} holds no replica of shard ${s.id}`);
      if (c.transfers.some((t) => t.shardId === s.id && (t.to === to || t.from === to)))
        throw new Error(`emulator.cluster: shard ${s.id} already has a transfer involving peer ${to}`);
      const existing = s.replicas.get(to);
      const t: TransferRecord = {
        shardId: s.id,
        from,
        to,
        sync: spec.sync ?? true,
        method: spec.method ?? "stream_records",
        ...(spec.comment === undefined ? {} : { comment: spec.comment }),
        ...(existing ? { before: existing.state } : {}),
      };
      if (existing) existing.state = "Partial";
      else s.replicas.set(to, { ...newReplica(to), state: "Partial" });
      c.transfers.push(t);
      return handle((how) => endTransfer(c, t, how));
    },
    startResharding(spec) {
      const c = d().get(spec.collection);
      if (c.resharding.length > 0) throw new Error(`emulator.cluster: ${c.name} is already resharding`);
      const r: Resharding = {
        uuid: randomUUID(),
        direction: spec.direction,
        shardId: spec.shard,
        peerId: known(spec.peer),
        shardKey: spec.shardKey ?? null,
      };
      c.resharding.push(r);
      return handle(() => void c.resharding.splice(c.resharding.indexOf(r), 1));
    },
  };
}

/** Whether this peer's replica of a shard is the source of a forward-proxy transfer (stream_records kinds). */
export function isForwardProxy(c: Collection, shardId: number, peer: PeerId): boolean {
  return c.transfers.some(
    (t) =>
      t.shardId === shardId &&
      t.from === peer &&
      (t.method === "stream_records" || t.method === "resharding_stream_records"),
  );
}
