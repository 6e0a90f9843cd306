/**
 * A backup set's plan for one collection, from GET /collections/{c} and GET /collections/{c}/cluster: the checks a
 * collection must pass before any shard is snapshotted (the bash tool's preconditions), and which Active replica each
 * shard is taken from. Pure: no request, no log.
 */
import {
  comparePeerIds,
  type CollectionClusterInfo,
  type PeerId,
  type ShardReplica,
} from "../../qdrant/cluster-types.js";

/**
 * The longest collection name, in UTF-8 bytes, whose snapshots Qdrant can recover by URL: its download's temporary
 * file name holds the name twice and must fit the file system's 255-byte NAME_MAX (the bash tool's RESTORE_NAME_MAX_LEN).
 */
export const SET_NAME_MAX_BYTES = 91;

/** Where one shard is taken: its chosen Active replica, the other Active replica tried last, and every replica. */
export interface ShardPlacement {
  shard: number;
  peer: PeerId;
  /** The lowest other Active peer, tried once when the chosen one failed twice; undefined with one Active replica. */
  fallback: PeerId | undefined;
  replicas: { peer_id: PeerId; state: string }[];
}

export type CollectionPlan =
  { ok: true; shardingMethod: string; shardNumber: number; shards: ShardPlacement[] } | { ok: false; reason: string };

/** Why `collection` cannot be backed up as a set by name alone, or undefined when its name is fine. */
export function refuseName(collection: string): string | undefined {
  const bytes = Buffer.byteLength(collection, "utf8");
  if (bytes <= SET_NAME_MAX_BYTES) return undefined;
  return `its name is ${bytes} UTF-8 bytes long, more than the ${SET_NAME_MAX_BYTES} a restore by URL can handle (Qdrant's temporary file name would exceed 255 bytes); rename it (or give it a shorter alias target) to back it up as a set`;
}

type Obj = Record<string, unknown>;
const objAt = (o: Obj | undefined, k: string): Obj | undefined => {
  const v = o?.[k];
  return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Obj) : undefined;
};

/**
 * Checks the preconditions and places every shard. `collectionResult` is the whole `result` of GET /collections/{c}.
 * Each shard goes to one of its Active replicas so that the peers' shares even out over the run: `load` counts the
 * shards placed so far per peer (updated here); shard i takes the least busy of its Active peers, ties broken from
 * position i mod their count by exact id (the bash tool's round-robin), then a shard is moved while its peer has two
 * more than another Active replica of it. The bash tool's rule alone, per collection, put two of three shards on one
 * peer and none on another with replication factor 2 on three peers.
 */
export function planCollection(
  collectionResult: Obj,
  cluster: CollectionClusterInfo,
  load: Map<PeerId, number> = new Map(),
): CollectionPlan {
  const params = objAt(objAt(collectionResult, "config"), "params");
  const method = typeof params?.["sharding_method"] === "string" ? params["sharding_method"] : "auto";
  if (method === "custom")
    return { ok: false, reason: "its sharding method is custom (sets cover auto sharding only)" };
  if (cluster.shard_transfers.length > 0) {
    const list = cluster.shard_transfers.map((t) => `shard ${t.shard_id} ${t.from}→${t.to}`).join(", ");
    return { ok: false, reason: `shard transfers are in progress (${list}); try again when they are done` };
  }
  if (cluster.resharding_operations > 0)
    return { ok: false, reason: "a resharding operation is in progress; try again when it is done" };
  const number = params?.["shard_number"];
  const shardNumber = typeof number === "number" ? number : typeof number === "bigint" ? Number(number) : undefined;
  if (shardNumber === undefined)
    return { ok: false, reason: "GET /collections/{c} gives no config.params.shard_number" };
  const byShard = new Map<number, ShardReplica[]>();
  for (const r of [...cluster.local_shards, ...cluster.remote_shards]) {
    byShard.set(r.shard_id, [...(byShard.get(r.shard_id) ?? []), r]);
  }
  if (byShard.size !== shardNumber)
    return {
      ok: false,
      reason: `the cluster shows ${byShard.size} distinct shards, its config says shard_number ${shardNumber}`,
    };
  const ids = [...byShard.keys()].sort((a, b) => a - b);
  const noActive = ids.filter((id) => !byShard.get(id)!.some((r) => r.state === "Active"));
  if (noActive.length > 0)
    return {
      ok: false,
      reason: `shard${noActive.length > 1 ? "s" : ""} ${noActive.join(", ")} ha${noActive.length > 1 ? "ve" : "s"} no Active replica`,
    };
  const count = (p: PeerId): number => load.get(p) ?? 0;
  const move = (from: PeerId | undefined, to: PeerId): void => {
    if (from !== undefined) load.set(from, count(from) - 1);
    load.set(to, count(to) + 1);
  };
  const placed = ids.map((shard, i) => {
    const replicas = byShard.get(shard)!.sort((a, b) => comparePeerIds(a.peer_id, b.peer_id));
    const active = replicas.filter((r) => r.state === "Active").map((r) => r.peer_id);
    const rotated = active.map((_, k) => active[(i + k) % active.length]!);
    const peer = rotated.reduce((best, p) => (count(p) < count(best) ? p : best));
    move(undefined, peer);
    return { shard, peer, active, replicas };
  });
  // Greedy in shard order can leave a peer two shards ahead of another that could have taken one; move such shards.
  for (let pass = 0, moved = true; moved && pass < placed.length; pass++) {
    moved = false;
    for (const p of placed) {
      const idlest = p.active.reduce((best, q) => (count(q) < count(best) ? q : best));
      if (count(p.peer) - count(idlest) >= 2) {
        move(p.peer, idlest);
        p.peer = idlest;
        moved = true;
      }
    }
  }
  const shards = placed.map(({ shard, peer, active, replicas }): ShardPlacement => ({
    shard,
    peer,
    fallback: active.find((p) => p !== peer),
    replicas: replicas.map((r) => ({ peer_id: r.peer_id, state: r.state })),
  }));
  return { ok: true, shardingMethod: method, shardNumber, shards };
}
