/**
 * The data one Qdrant deployment holds: collections, aliases and, per shard, one replica per peer
 * with its own copy of the points. A standalone node is a deployment with one peer; cluster mode
 * shares one deployment between all peers, so a collection created on any peer exists everywhere,
 * while each replica's data can still diverge (as after a `no_sync` recovery).
 */
import type { Schemas } from "@qdrant/js-client-rest";
import { collectionNotFound } from "./envelope.js";
import type { CollectionConfigInternal, ShardDefaults } from "./collection-config.js";
import type { Json, JsonObject } from "./json.js";
import { comparePointIds, hashPointId, pointKey, type PointId } from "./point-ids.js";

export type ReplicaState = Schemas["ReplicaState"];
/** A Qdrant peer id: a u64, exact (clusters made before Qdrant 1.2 have ids above 2^53). */
export type PeerId = bigint;

export function comparePeerIds(a: PeerId, b: PeerId): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
export type VectorValue = number[] | { [name: string]: number[] };

export interface StoredPoint {
  id: PointId;
  vector: VectorValue;
  payload: JsonObject;
}
export interface Replica {
  peerId: PeerId;
  state: ReplicaState;
  /** Read freely; change only through the functions below, which bump `version`. */
  points: Map<string, StoredPoint>;
  /** Bumped on every change, so the sorted view can be cached. */
  version: number;
  /**
   * Payload indexes its segments carry beyond the collection's (from a recovered shard snapshot: Qdrant adds the
   * collection's indexes to recovered segments but never drops theirs, and `payload_schema` is the union).
   */
  segmentIndexes?: Map<string, Json>;
}

export function newReplica(peerId: PeerId, points: Iterable<StoredPoint> = []): Replica {
  return { peerId, state: "Active", points: new Map([...points].map((p) => [pointKey(p.id), p])), version: 0 };
}
export interface Shard {
  id: number;
  /** Keyed by peer id. */
  replicas: Map<PeerId, Replica>;
}
/**
 * What `GET /collections/{c}` reports instead of `green` (faults.afterRecover sets it on each recovery): `red` with
 * an optimizer error; `grey` (optimizations pending, not triggered) until an update such as
 * `PATCH /collections/{c}` triggers them; then `yellow` (optimizing) for `yellowPolls` more status reads.
 */
export interface CollectionHealth {
  grey: boolean;
  yellowPolls: number;
  error?: string;
}

/** A shard transfer in progress (injected by tests: `emulator.cluster.startTransfer`). */
export interface ShardTransfer {
  shardId: number;
  from: PeerId;
  to: PeerId;
  /** true = replicate (the source keeps its replica), false = move. */
  sync: boolean;
  method: Schemas["ShardTransferMethod"];
  comment?: string;
}

/** A resharding operation in progress (injected by tests: `emulator.cluster.startResharding`). */
export interface Resharding {
  uuid: string;
  direction: Schemas["ReshardingDirection"];
  shardId: number;
  peerId: PeerId;
  shardKey: Schemas["ShardKey"] | null;
}

/** A replica left behind by `faults.afterShardRecover({leftover})` (qdrant#7851), undone after `polls` cluster reads. */
export interface Lingering {
  shardId: number;
  peerId: PeerId;
  /** Reads of GET /collections/{c}/cluster left (any peer); Infinity = until its fault rule is removed. */
  polls: number;
  /** true: a surplus replica added for the fault (removed at the end); false: the recovered replica's state was set. */
  surplus: boolean;
  /** Which fault rule left it (its remover ends it). */
  rule: object;
}

export interface Collection {
  name: string;
  config: CollectionConfigInternal;
  /** field name → PayloadFieldSchema as given (a type name or a params object). */
  payloadIndex: Map<string, Json>;
  shards: Shard[];
  transfers: ShardTransfer[];
  resharding: Resharding[];
  nextOperationId: number;
  /** Undefined = healthy (`green`). */
  health?: CollectionHealth;
  /** Replicas left Partial/Dead after a shard recovery (faults.afterShardRecover). */
  lingering: Lingering[];
  /** Exact counts answer `by` fewer points for `reads` more count requests (faults.afterShardRecover countShort). */
  countLag?: { by: number; reads: number };
}

export class Deployment {
  readonly collections = new Map<string, Collection>();
  /** alias → collection */
  readonly aliases = new Map<string, string>();
  /** Raft-ish counters for GET /cluster: every metadata change is one committed entry. */
  commit = 0;
  readonly term = 1;
  /** Peer ids, ascending. */
  readonly peers: PeerId[];
  /** peer id → its p2p URI as GET /cluster reports it. */
  readonly peerUris: Map<PeerId, string>;

  constructor(
    peers: { id: PeerId; uri: string }[],
    readonly distributed: boolean,
    readonly defaults: ShardDefaults,
  ) {
    this.peers = peers.map((p) => p.id).sort(comparePeerIds);
    this.peerUris = new Map(peers.map((p) => [p.id, p.uri]));
  }

  /** Find a collection by its name or by an alias pointing at it. */
  find(name: string): Collection | undefined {
    const target = this.aliases.get(name);
    return this.collections.get(target ?? name);
  }

  get(name: string): Collection {
    const c = this.find(name);
    if (!c) throw collectionNotFound(name);
    return c;
  }

  /**
   * Qdrant's `ShardDistributionProposal::new` (storage/content_manager/shard_distribution.rs): n = min(RF, peers)
   * replicas per shard, each taken from a min-heap of peers ordered by (shards held, random bias, id). That is a
   * round-robin over one order of the peers: replica r of shard s lives on order[(s * n + r) mod P]. Qdrant's order
   * is random per collection; the emulator's is ascending peer id, so placements are reproducible.
   */
  placement(shardNumber: number, replicationFactor: number): PeerId[][] {
    const count = Math.min(replicationFactor, this.peers.length);
    return Array.from({ length: shardNumber }, (_, s) =>
      Array.from({ length: count }, (_, r) => this.peers[(s * count + r) % this.peers.length] ?? 0n),
    );
  }

  create(name: string, config: CollectionConfigInternal, payloadIndex = new Map<string, Json>()): Collection {
    const shards = this.placement(config.params.shard_number, config.params.replication_factor).map(
      (peers, id): Shard => ({
        id,
        replicas: new Map(peers.map((peerId) => [peerId, newReplica(peerId)])),
      }),
    );
    const collection: Collection = {
      name,
      config,
      payloadIndex,
      shards,
      transfers: [],
      resharding: [],
      nextOperationId: 0,
      lingering: [],
    };
    this.collections.set(name, collection);
    this.commit++;
    return collection;
  }

  /** Delete a collection and the aliases pointing at it; false when it did not exist. */
  drop(name: string): boolean {
    const existed = this.collections.delete(name);
    if (!existed) return false;
    for (const [alias, target] of this.aliases) if (target === name) this.aliases.delete(alias);
    this.commit++;
    return true;
  }
}

export function shardFor(c: Collection, id: PointId): Shard {
  const shard = c.shards[hashPointId(id) % c.shards.length];
  if (!shard) throw new Error(`collection ${c.name} has no shards`);
  return shard;
}

/** Write points to every replica of their shard (the emulator's replication is synchronous). */
export function upsertPoints(c: Collection, points: StoredPoint[]): void {
  for (const p of points) {
    for (const replica of shardFor(c, p.id).replicas.values()) {
      replica.points.set(pointKey(p.id), p);
      replica.version++;
    }
  }
}

export function deletePoints(c: Collection, ids: PointId[]): void {
  for (const id of ids) {
    for (const replica of shardFor(c, id).replicas.values()) {
      if (replica.points.delete(pointKey(id))) replica.version++;
    }
  }
}

/** The replica a peer reads a shard from: its own if it has an Active one, else the first Active one. */
export function readReplica(shard: Shard, viewerPeerId: PeerId): Replica | undefined {
  const local = shard.replicas.get(viewerPeerId);
  if (local?.state === "Active") return local;
  const sorted = [...shard.replicas.values()].sort((a, b) => comparePeerIds(a.peerId, b.peerId));
  return sorted.find((r) => r.state === "Active") ?? local ?? sorted[0];
}

const sortedCache = new WeakMap<Replica, { version: number; sorted: readonly StoredPoint[] }>();

/** A replica's points in id order, cached until the replica changes (scroll pages stay cheap). */
function sortedPoints(r: Replica): readonly StoredPoint[] {
  const hit = sortedCache.get(r);
  if (hit && hit.version === r.version) return hit.sorted;
  const sorted = [...r.points.values()].sort((a, b) => comparePointIds(a.id, b.id));
  sortedCache.set(r, { version: r.version, sorted });
  return sorted;
}

/** All points as seen from one peer, ordered by id. Do not mutate the result. */
export function visiblePoints(c: Collection, viewerPeerId: PeerId): readonly StoredPoint[] {
  const runs: (readonly StoredPoint[])[] = [];
  for (const shard of c.shards) {
    const replica = readReplica(shard, viewerPeerId);
    if (replica) runs.push(sortedPoints(replica));
  }
  if (runs.length === 1) return runs[0] ?? [];
  // Concatenated sorted runs: the engine's merge-based sort handles this in near-linear time.
  return runs.flat().sort((a, b) => comparePointIds(a.id, b.id));
}

/** Replace one replica's data; the point objects are shared because stored points are never mutated. */
export function replaceReplicaData(replica: Replica, points: Iterable<StoredPoint>): void {
  replica.points = new Map([...points].map((p) => [pointKey(p.id), p]));
  replica.version++;
}
