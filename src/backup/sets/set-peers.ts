// Where a backup set's shard snapshots are asked for: every peer of the cluster by its exact id, or one standalone node.
import type { PeerId } from "../../qdrant/cluster-types.js";
import { peerHttpUrl } from "../peers.js";
import type { Deps } from "../task/deps.js";

/** The HTTP base URL of each peer. */
export interface PeerDirectory {
  /** The peer's URL; undefined for a peer /cluster does not list. A standalone node is every peer id it reports. */
  urlOf(peer: PeerId): string | undefined;
  /** Every URL, for messages. */
  readonly urls: readonly string[];
}

/**
 * GET /cluster on the first source host: each peer's p2p URI with its port replaced by QDRANT_HTTP_PORT. A standalone
 * node (cluster disabled) is the one peer, at the source host's own URL. (GET_PEERS_FROM_CLUSTER_INFO is not read:
 * sets always discover their peers, as the bash tool's per-shard tasks do.)
 */
export async function discoverSetPeers(deps: Pick<Deps, "config" | "qdrant" | "log">): Promise<PeerDirectory> {
  const host = deps.config.sourceHosts[0]!;
  const cluster = await deps.qdrant.getCluster(host);
  if (cluster.status === "disabled") {
    deps.log.info(`${host} runs standalone (cluster disabled): every shard is taken there`);
    return { urlOf: () => host, urls: [host] };
  }
  const peers = new Map<PeerId, string>();
  for (const [id, { uri }] of Object.entries(cluster.peers)) peers.set(id, peerHttpUrl(uri, deps.config.httpPort));
  deps.log.info(`Discovered ${peers.size} peers from ${host}/cluster: ${[...peers.values()].join(", ")}`);
  return { urlOf: (peer) => peers.get(peer), urls: [...peers.values()] };
}
