// Finding the cluster's peers (GET /cluster) and which of them hold a collection's shards, for create_snap and prune_snap.
import { comparePeerIds, type PeerId } from "../qdrant/cluster-types.js";
import { QdrantError } from "../qdrant/errors.js";
import type { Deps } from "./task/deps.js";

/** Peer id (exact digits) → HTTP base URL, from GET /cluster on the first source host. */
export type PeerMap = ReadonlyMap<PeerId, string>;

/**
 * Discovers the cluster's peers. Their URIs carry the p2p port (6335); the port is replaced by QDRANT_HTTP_PORT
 * after parsing the URI as a URL (the script cut characters, which broke on any other shape).
 * Returns undefined when the cluster is disabled (standalone node).
 */
export async function discoverPeers(deps: Deps): Promise<PeerMap | undefined> {
  const host = deps.config.sourceHosts[0]!;
  const cluster = await deps.qdrant.getCluster(host);
  if (cluster.status === "disabled") {
    deps.log.warn(`GET_PEERS_FROM_CLUSTER_INFO=true but ${host} runs in standalone mode; using QDRANT_SOURCE_HOSTS`);
    return undefined;
  }
  const peers = new Map<PeerId, string>();
  for (const [id, { uri }] of Object.entries(cluster.peers)) peers.set(id, peerHttpUrl(uri, deps.config.httpPort));
  deps.log.info(`Discovered ${peers.size} peers from ${host}/cluster: ${[...peers.values()].join(", ")}`);
  return peers;
}

/** `http://qdrant-1.qdrant-headless:6335/` → `http://qdrant-1.qdrant-headless:6333`. */
export function peerHttpUrl(uri: string, httpPort: number): string {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw new Error(`peer URI "${uri}" from /cluster is not a URL`);
  }
  url.port = String(httpPort);
  return url.origin;
}

/**
 * The peers holding shards of `collection`, each once (the script snapshotted a peer once per remote shard):
 * the answering peer when it has local shards, plus every peer named in remote_shards.
 */
export async function peersOfCollection(deps: Deps, peers: PeerMap, collection: string): Promise<string[]> {
  const host = deps.config.sourceHosts[0]!;
  const info = await deps.qdrant.getCollectionCluster(host, collection);
  const ids = new Set<PeerId>();
  if (info.local_shards.length > 0) ids.add(info.peer_id);
  for (const shard of info.remote_shards) ids.add(shard.peer_id);
  return [...ids].sort(comparePeerIds).map((id) => {
    const url = peers.get(id);
    if (url === undefined) {
      throw new QdrantError(
        "invalid-response",
        "GET",
        host,
        `/collections/${collection}/cluster`,
        200,
        `peer ${id} is not listed by /cluster`,
      );
    }
    return url;
  });
}
