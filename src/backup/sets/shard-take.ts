/**
 * One shard of a backup set: its snapshot, on the chosen Active replica (two attempts), then on another Active
 * replica (one attempt), each create's lost answer resolved by looking at that shard's snapshots on that peer
 * (backup/ambiguous-create.ts) before anything is sent again; then its object confirmed in the destination. Only `ok` with
 * a name is success: `accepted` is a failed attempt. Each failed attempt may leave a snapshot behind, which no
 * manifest names (the orphan sweep reclaims it).
 */
import { EXIT, ToolError } from "../../errors.js";
import type { Slot } from "../../lib/host-scheduler.js";
import type { PeerId } from "../../qdrant/cluster-types.js";
import type { SnapshotDescription } from "../../qdrant/types.js";
import { createSnapshotResolved } from "../ambiguous-create.js";
import { describeError, isFatal } from "../task/items.js";
import type { Deps } from "../task/deps.js";
import type { ManifestShard } from "./manifest.js";
import type { PeerDirectory } from "./set-peers.js";
import { confirmShardObject, streamsShards } from "./shard-confirm.js";
import type { ShardPlacement } from "./shard-plan.js";

/** Attempts on the chosen replica before the other one is tried. */
export const ATTEMPTS_ON_CHOSEN = 2;

/** The collection failed already (another shard): the shards not yet started are not taken. */
export class ShardNotStartedError extends Error {}

export interface ShardContext {
  deps: Deps;
  peers: PeerDirectory;
  collection: string;
  /** Runs work in one of the peer's slots (QDRANT_PER_HOST_CONCURRENCY per peer, QDRANT_CONCURRENCY in all). */
  slotOf: (url: string) => Slot;
  /** False once the collection has failed: a shard not yet started gives up. */
  wanted: () => boolean;
}

/** Takes one shard; resolves to its manifest entry, or throws the last attempt's error. */
export async function takeShard(ctx: ShardContext, placement: ShardPlacement): Promise<ManifestShard> {
  const { deps, collection } = ctx;
  const { shard } = placement;
  const peers: PeerId[] = Array<PeerId>(ATTEMPTS_ON_CHOSEN).fill(placement.peer);
  if (placement.fallback !== undefined) peers.push(placement.fallback);
  let last: unknown;
  for (const [i, peer] of peers.entries()) {
    const url = ctx.peers.urlOf(peer);
    if (url === undefined) {
      last = new ToolError(
        `peer ${peer} holds shard ${shard} of ${collection} but /cluster does not list it`,
        EXIT.partial,
      );
      continue;
    }
    let snap: SnapshotDescription | undefined;
    try {
      // The peer's slot covers its own work: the snapshot, and in transfer mode streaming it out of the peer. A check
      // of the object Qdrant stored in the bucket is S3's work and runs after the slot is free for the next shard.
      const streams = streamsShards(deps.config);
      const [made, streamed] = await ctx.slotOf(url)(async () => {
        if (!ctx.wanted()) throw new ShardNotStartedError(`shard ${shard} of ${collection} not started`);
        snap = await createOnce(deps, url, collection, shard);
        return [snap, streams ? await confirmShardObject(deps, url, collection, shard, snap) : undefined] as const;
      });
      const stored = streamed ?? (await confirmShardObject(deps, url, collection, shard, made));
      deps.log.info(`Shard ${shard} of ${collection}: ${made.name} from peer ${peer} (${url}), ${stored.size} bytes`);
      return {
        id: shard,
        snapshot_name: made.name,
        s3_key: stored.key,
        size: stored.size,
        etag: stored.etag,
        checksum: made.checksum ?? "",
        source_peer_id: peer,
        created_at: deps
          .clock()
          .toISOString()
          .replace(/\.\d{3}Z$/, "Z"),
        ...(stored.sha256 ? { sha256: stored.sha256 } : {}),
        replicas: placement.replicas,
      };
    } catch (err) {
      if (isFatal(err) || err instanceof ShardNotStartedError) throw err;
      // A snapshot made but not found (or not stored) in the destination is not cured by another snapshot.
      if (snap !== undefined) throw err;
      last = err;
      const next = peers[i + 1];
      const then = next === undefined ? "" : next === peer ? "; trying again" : `; trying peer ${next} instead`;
      deps.log.warn(
        `Snapshot of shard ${shard} of ${collection} on peer ${peer} (${url}) failed: ${describeError(err)}${then}`,
      );
    }
  }
  throw last;
}

/** One create (its lost answer looked for first); `accepted` or a nameless answer is a failure. */
async function createOnce(deps: Deps, url: string, collection: string, shard: number): Promise<SnapshotDescription> {
  const out = await createSnapshotResolved(deps, url, { kind: "shard", collection, shard });
  if (out.status !== "ok")
    throw new ToolError(
      `${url} answered "accepted" to a wait=true shard snapshot: not a finished snapshot`,
      EXIT.partial,
    );
  if (out.snapshot.name === "") throw new ToolError(`${url} answered a shard snapshot without a name`, EXIT.partial);
  return out.snapshot;
}
