/**
 * Broken restores that still look healthy, for the restore verification tests (`emulator.faults`):
 * a Partial/Dead replica that lingers after a shard recovery (qdrant#7851), exact counts that lag behind a green
 * status, and payload reads that fail for a region of points while the collection stays green.
 */
import { ApiError } from "./envelope.js";
import type { PointId } from "./point-ids.js";
import {
  comparePeerIds,
  newReplica,
  shardFor,
  type Collection,
  type Deployment,
  type Lingering,
  type PeerId,
  type ReplicaState,
  type Shard,
  type StoredPoint,
} from "./state.js";

/** What follows a shard snapshot recovery (`PUT …/shards/{id}/snapshots/recover` or `POST …/upload`). */
export interface ShardRecoverFault {
  /** Only recoveries into this collection (default: any). */
  collection?: string;
  /** Only recoveries of this shard id (default: any). */
  shard?: number;
  /** Fire for this many matching recoveries (default: all). */
  times?: number;
  /**
   * Leave a replica in `state` (e.g. "Partial", "Dead") behind the recovery, as qdrant#7851 does. In a cluster it is a
   * surplus, empty replica on the lowest-id peer that holds no replica of the shard; when every peer holds one (and
   * standalone) the recovered replica itself is left in `state`. It lasts `polls` reads of
   * `GET /collections/{c}/cluster` (any peer; default Infinity) or until the rule is removed; then the surplus replica
   * is dropped, or the recovered one turns Active again.
   */
  leftover?: { state: ReplicaState; polls?: number };
  /** Exact counts (`POST …/points/count`) of the collection answer `by` points fewer for the next `reads` requests. */
  countShort?: { by: number; reads: number };
}

/** A point as `breakPayloads` sees it, to decide whether its payload is unreadable. */
export interface PayloadPoint {
  collection: string;
  id: PointId;
  /** The shard the point lives in. */
  shard: number;
  /** Index of the node answering (emulator.nodes). */
  node: number;
  peerId: PeerId;
}

export interface BreakPayloadsOptions {
  /** Default 500. */
  status?: number;
  /** Default `Service internal error: Failed to read payload of point {id}: corrupted payload storage` (emulator wording). */
  error?: string;
}

interface RecoverRule {
  rule: ShardRecoverFault;
  remaining: number;
}
interface PayloadBreak {
  collection: string;
  broken: (p: PayloadPoint) => boolean;
  status: number;
  error: string | undefined;
}

/** The answering node as the hooks need it. */
export interface NodeView {
  index: number;
  peerId: PeerId;
  deployment: Deployment;
}

export class RestoreFaults {
  private rules: RecoverRule[] = [];
  private breaks: PayloadBreak[] = [];

  /** `deployments` lists every deployment, so removing a rule can end the replicas it left. */
  constructor(private readonly deployments: () => Deployment[]) {}

  afterShardRecover(rule: ShardRecoverFault): () => void {
    const polls = rule.leftover?.polls ?? Infinity;
    if (!(Number.isInteger(polls) || polls === Infinity) || polls < 0)
      throw new Error("afterShardRecover: leftover.polls must be a non-negative integer or Infinity");
    const short = rule.countShort;
    if (short && !(Number.isInteger(short.by) && short.by > 0 && Number.isInteger(short.reads) && short.reads > 0))
      throw new Error("afterShardRecover: countShort.by and countShort.reads must be positive integers");
    const live: RecoverRule = { rule, remaining: rule.times ?? Infinity };
    this.rules.push(live);
    return () => {
      this.rules = this.rules.filter((r) => r !== live);
      for (const d of this.deployments())
        for (const c of d.collections.values())
          for (const l of c.lingering.filter((x) => x.rule === live)) endLingering(c, l);
    };
  }

  breakPayloads(collection: string, broken: (p: PayloadPoint) => boolean, opts: BreakPayloadsOptions = {}): () => void {
    const b: PayloadBreak = { collection, broken, status: opts.status ?? 500, error: opts.error };
    this.breaks.push(b);
    return () => void (this.breaks = this.breaks.filter((x) => x !== b));
  }

  /** Removes every rule and ends the replicas they left. */
  clear(): void {
    this.rules = [];
    this.breaks = [];
    for (const d of this.deployments())
      for (const c of d.collections.values()) for (const l of [...c.lingering]) endLingering(c, l);
  }

  /** Hook: node `node` has just recovered shard `shard` of `c` from a shard snapshot. */
  shardRecovered(node: NodeView, c: Collection, shard: Shard): void {
    for (const live of this.rules) {
      const r = live.rule;
      if (live.remaining <= 0 || (r.collection !== undefined && r.collection !== c.name)) continue;
      if (r.shard !== undefined && r.shard !== shard.id) continue;
      live.remaining--;
      if (r.countShort) c.countLag = { ...r.countShort };
      if (r.leftover) leave(node, c, shard, r.leftover.state, r.leftover.polls ?? Infinity, live);
    }
  }

  /** Hook: an exact count of `c` is being answered; returns how many points to leave out. */
  countRead(c: Collection): number {
    const lag = c.countLag;
    if (!lag || lag.reads <= 0) return 0;
    lag.reads--;
    if (lag.reads === 0) delete c.countLag;
    return lag.by;
  }

  /** Hook: GET /collections/{c}/cluster is being answered; ends the lingering replicas whose polls ran out. */
  clusterRead(c: Collection): void {
    for (const l of [...c.lingering]) {
      if (l.polls <= 0) endLingering(c, l);
      else l.polls--;
    }
  }

  /** Hook: `points` are about to be answered with their payloads; throws the injected error if one is broken. */
  checkPayloads(node: NodeView, c: Collection, points: readonly StoredPoint[]): void {
    const breaks = this.breaks.filter((b) => b.collection === c.name);
    if (breaks.length === 0) return;
    for (const p of points) {
      const at: PayloadPoint = {
        collection: c.name,
        id: p.id,
        shard: shardFor(c, p.id).id,
        node: node.index,
        peerId: node.peerId,
      };
      const hit = breaks.find((b) => b.broken(at));
      if (hit) {
        const msg = `Service internal error: Failed to read payload of point ${p.id}: corrupted payload storage`;
        throw new ApiError(hit.status, hit.error ?? msg);
      }
    }
  }
}

function leave(node: NodeView, c: Collection, shard: Shard, state: ReplicaState, polls: number, rule: object): void {
  const free = node.deployment.peers.filter((p) => !shard.replicas.has(p)).sort(comparePeerIds)[0];
  if (free !== undefined) {
    shard.replicas.set(free, { ...newReplica(free), state });
    c.lingering.push({ shardId: shard.id, peerId: free, polls, surplus: true, rule });
    return;
  }
  const own = shard.replicas.get(node.peerId);
  if (!own) return;
  own.state = state;
  c.lingering.push({ shardId: shard.id, peerId: node.peerId, polls, surplus: false, rule });
}

function endLingering(c: Collection, l: Lingering): void {
  c.lingering.splice(c.lingering.indexOf(l), 1);
  const shard = c.shards[l.shardId];
  if (!shard?.replicas.has(l.peerId)) return;
  if (l.surplus) shard.replicas.delete(l.peerId);
  else {
    const r = shard.replicas.get(l.peerId);
    if (r) r.state = "Active";
  }
}
