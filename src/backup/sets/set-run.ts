// What one create_snap_shards run shares across its collections.
import type { HostScheduler } from "../../lib/host-scheduler.js";
import type { Limiter } from "../../lib/pool.js";
import type { Tally } from "../task/tally.js";
import type { Deps } from "../task/deps.js";
import type { PeerId } from "../../qdrant/cluster-types.js";
import type { PeerDirectory } from "./set-peers.js";

export interface SetRun {
  deps: Deps;
  tally: Tally;
  /** The one set id of every collection of this run. */
  setId: string;
  peers: PeerDirectory;
  /** Shards placed on each peer so far in this run: placement evens it out (shard-plan.ts). */
  load: Map<PeerId, number>;
  /** Shard work per peer URL: QDRANT_PER_HOST_CONCURRENCY each, QDRANT_CONCURRENCY in all. */
  scheduler: HostScheduler;
  /** The calls before and after a collection's shards (info, counts, aliases), bounded by QDRANT_CONCURRENCY. */
  calls: Limiter;
  /** GET / on the first source host, asked once. */
  qdrantVersion: () => Promise<string>;
  /** Plan only: log which shard goes to which peer and the manifest keys; create and write nothing. */
  dryRun: boolean;
  /** The collections whose set is complete (manifest written), in the order they completed. */
  succeeded: string[];
}
