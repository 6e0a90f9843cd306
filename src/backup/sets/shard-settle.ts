/**
 * A shard recovery whose answer was lost (a timeout, a connection lost after the request went out, 502/503/504) is
 * resolved by looking at the peer, never by sending it again: GET /collections/{c}/cluster on that peer is polled
 * (from 200 ms, doubling up to QDRANT_VERIFY_POLL_INTERVAL_SECONDS), within QDRANT_VERIFY_GREEN_TIMEOUT_SECONDS, until the shard's replica
 * there has left the recovering states (Recovery, Partial, …). Settled Active, the recovery is taken as done (the
 * final verification's counts, replica states and payload probes judge the data); Dead, any other state, no replica
 * there, or still recovering at the deadline, the shard fails as any other failed recovery (the next run resumes it).
 */
import { sleep } from "../../lib/retry.js";
import { QdrantError } from "../../qdrant/errors.js";
import { BUSY_STATES } from "../ambiguous-recover.js";
import type { Deps } from "../task/deps.js";

const FIRST_POLL_MS = 200;

export type Settled = { kind: "active" } | { kind: "failed"; why: string };

type SettleDeps = Pick<Deps, "qdrant" | "config" | "log" | "signal">;

/** Polls shard `shard` of `collection` on `peer` until its replica there settles or the budget runs out. */
export async function settleLostShardRecovery(
  deps: SettleDeps,
  peer: string,
  collection: string,
  shard: number,
): Promise<Settled> {
  const { greenTimeoutSeconds, pollIntervalSeconds } = deps.config.restore;
  const deadline = Date.now() + greenTimeoutSeconds * 1000;
  let seen = "not looked at";
  let delay = Math.min(FIRST_POLL_MS, pollIntervalSeconds * 1000);
  for (;;) {
    try {
      const info = await deps.qdrant.getCollectionCluster(peer, collection);
      const state = info.local_shards.find((s) => s.shard_id === shard)?.state;
      if (state === "Active") return { kind: "active" };
      if (state === undefined) return { kind: "failed", why: `${peer} holds no replica of shard ${shard}` };
      if (!BUSY_STATES.has(state)) return { kind: "failed", why: `its replica on ${peer} settled ${state}` };
      seen = `still ${state}`;
    } catch (err) {
      // A refused key goes up; anything else unreadable says nothing, and is looked at again.
      if (!(err instanceof QdrantError) || err.refused) throw err;
      seen = `unreadable (${err.code})`;
    }
    const left = deadline - Date.now();
    if (left <= 0)
      return {
        kind: "failed",
        why: `its replica on ${peer} is ${seen} after ${greenTimeoutSeconds} s (QDRANT_VERIFY_GREEN_TIMEOUT_SECONDS)`,
      };
    await sleep(Math.min(delay, left), deps.signal);
    delay = Math.min(delay * 2, pollIntervalSeconds * 1000);
  }
}
