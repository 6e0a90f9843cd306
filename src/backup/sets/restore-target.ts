/**
 * The restore targets: each cluster QDRANT_RESTORE_HOSTS names, with its peers (GET /cluster, their URIs with
 * QDRANT_HTTP_PORT; a standalone node is its own one peer), and where each shard of a set is recovered: round-robin over the shard's
 * Active replicas sorted by peer id, shard i of the manifest on replica i mod n (the bash tool's one assignment pass).
 */
import { comparePeerIds, type PeerId } from "../../qdrant/cluster-types.js";
import { peerHttpUrl } from "../peers.js";
import type { Deps } from "../task/deps.js";
import { describeError, isFatal } from "../task/items.js";
import type { Manifest } from "./manifest.js";
import { SetRejected } from "./restore-preflight.js";

export interface Target {
  /** The first listed host of the cluster: where the collection is created and checked, and the history's `target`. */
  host: string;
  /** Peer id → HTTP URL; empty for a standalone node. */
  peers: ReadonlyMap<PeerId, string>;
  /** How many peers the target has (1 for a standalone node). */
  peerCount: number;
  /**
   * Static hosts: GET /cluster could not be read, so every host of QDRANT_RESTORE_HOSTS is taken as a peer; each
   * one's peer id is read from the collection's cluster info when its shards are placed.
   */
  staticHosts?: readonly string[];
}

/**
 * The clusters QDRANT_RESTORE_HOSTS names: each host is asked for GET /cluster; a host that is a peer of a cluster
 * already found (by its peer id) belongs to it, any other starts a target of its own (a standalone node is one).
 * Each target is restored independently, with its own verdicts. When a host's GET /cluster fails (not reachable
 * through a proxy, or an error), every listed host is taken as a peer of one target (static hosts), with a warning.
 */
export async function discoverTargets(deps: Pick<Deps, "qdrant" | "config" | "log">): Promise<Target[]> {
  const targets: (Target & { ids: Set<PeerId> })[] = [];
  const hosts = deps.config.restoreHosts;
  for (const host of hosts) {
    let cluster;
    try {
      cluster = await deps.qdrant.getCluster(host);
    } catch (err) {
      if (isFatal(err)) throw err;
      deps.log.warn(
        `GET /cluster on ${host} failed (${describeError(err)}): every host in QDRANT_RESTORE_HOSTS (${hosts.join(", ")}) is taken as a peer of one cluster (static hosts); list only that cluster's hosts there`,
      );
      return [{ host: hosts[0]!, peers: new Map(), peerCount: hosts.length, staticHosts: hosts }];
    }
    if (cluster.status === "disabled") {
      deps.log.info(`Restore target ${host}: a standalone node, every shard is recovered on it`);
      targets.push({ host, peers: new Map(), peerCount: 1, ids: new Set() });
      continue;
    }
    const same = targets.find((t) => t.ids.has(cluster.peer_id));
    if (same !== undefined) {
      deps.log.info(`${host} is a peer of the restore target ${same.host}'s cluster`);
      continue;
    }
    const peers = new Map<PeerId, string>();
    for (const [id, { uri }] of Object.entries(cluster.peers)) peers.set(id, peerHttpUrl(uri, deps.config.httpPort));
    deps.log.info(`Restore target ${host}: ${peers.size} peer(s) ${[...peers.values()].join(", ")}`);
    targets.push({ host, peers, peerCount: peers.size, ids: new Set(peers.keys()) });
  }
  return targets.map(({ host, peers, peerCount }) => ({ host, peers, peerCount }));
}

/** GET / on a target: its Qdrant version, or "unknown" (with a warning) when it cannot be read. */
export async function targetVersion(deps: Pick<Deps, "qdrant" | "log">, host: string): Promise<string> {
  return deps.qdrant.getVersion(host).catch((err: unknown) => {
    if (isFatal(err)) throw err;
    deps.log.warn(`the Qdrant version of ${host} cannot be read (${describeError(err)}): taken as unknown`);
    return "unknown";
  });
}

/** Shard id → the URL of the peer that recovers it. */
export async function placeShards(
  deps: Pick<Deps, "qdrant">,
  target: Target,
  m: Manifest,
): Promise<Map<number, string>> {
  const info = await deps.qdrant.getCollectionCluster(target.host, m.collection);
  const replicas = [...info.local_shards, ...info.remote_shards];
  const layout = new Set(replicas.map((r) => r.shard_id));
  if (info.shard_count !== undefined && info.shard_count !== m.shard_count)
    throw new SetRejected(
      `${m.collection} on the target has ${info.shard_count} shards, set ${m.backup_set_id} has ${m.shard_count}: Qdrant cannot recover a shard into another shard layout`,
      false,
    );
  const peers = target.staticHosts ? await staticPeers(deps, target.staticHosts, m.collection) : target.peers;
  const placed = new Map<number, string>();
  m.shards.forEach((shard, i) => {
    const active = [
      ...new Set(replicas.filter((r) => r.shard_id === shard.id && r.state === "Active").map((r) => r.peer_id)),
    ].sort(comparePeerIds);
    if (active.length === 0)
      throw new SetRejected(
        `${m.collection}: shard ${shard.id} has no Active replica on the target${layout.has(shard.id) ? "" : " (the target has no such shard)"}`,
        false,
      );
    const peer = active[i % active.length]!;
    const url = peers.size === 0 ? target.host : peers.get(peer);
    if (url === undefined)
      throw new SetRejected(
        `${m.collection}: shard ${shard.id}'s replica is on peer ${peer}, which ${target.staticHosts ? "no host in QDRANT_RESTORE_HOSTS is" : "/cluster does not list"}`,
        false,
      );
    placed.set(shard.id, url);
  });
  return placed;
}

/** Static hosts: each one's peer id, from the collection's cluster info there (`peer_id`: the answering peer). */
async function staticPeers(
  deps: Pick<Deps, "qdrant">,
  hosts: readonly string[],
  collection: string,
): Promise<Map<PeerId, string>> {
  const peers = new Map<PeerId, string>();
  for (const host of hosts) peers.set((await deps.qdrant.getCollectionCluster(host, collection)).peer_id, host);
  return peers;
}
