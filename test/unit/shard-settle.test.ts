// A shard recovery whose answer was lost (src/backup/sets/shard-settle.ts), against a scripted peer: Active once the
// replica leaves Recovery/Partial, a failure when it settles Dead, holds no replica, or is still recovering at the
// deadline (QDRANT_VERIFY_GREEN_TIMEOUT_SECONDS).
import { describe, expect, it } from "vitest";
import { settleLostShardRecovery } from "../../src/backup/sets/shard-settle.js";
import { buildConfig } from "../../src/config.js";
import { createLogger } from "../../src/log.js";
import { Redactor } from "../../src/lib/redact.js";
import { QdrantError } from "../../src/qdrant/errors.js";
import type { CollectionClusterInfo } from "../../src/qdrant/cluster-types.js";

const PEER = "http://q2:6333";

/** A peer whose shard 1 shows, poll after poll, the states of `script` (the last one repeats; `error`: a 503). */
function scriptedPeer(script: (string | undefined | "error")[]) {
  let poll = 0;
  return {
    polls: () => poll,
    qdrant: {
      getCollectionCluster: (): Promise<CollectionClusterInfo> => {
        const state = script[Math.min(poll++, script.length - 1)];
        if (state === "error")
          return Promise.reject(new QdrantError("http", "GET", PEER, "/collections/c/cluster", 503, "busy"));
        return Promise.resolve({
          peer_id: "2",
          local_shards: [
            { shard_id: 0, peer_id: "2", state: "Active" },
            ...(state === undefined ? [] : [{ shard_id: 1, peer_id: "2", state }]),
          ],
          remote_shards: [],
          shard_transfers: [],
          resharding_operations: 0,
        });
      },
    },
  };
}

function deps(peer: ReturnType<typeof scriptedPeer>, timeoutSeconds = "1") {
  const config = buildConfig(
    { QDRANT_VERIFY_GREEN_TIMEOUT_SECONDS: timeoutSeconds, QDRANT_VERIFY_POLL_INTERVAL_SECONDS: "1" },
    { cwd: "/tmp" },
  );
  const log = createLogger({ level: "normal", sink: () => undefined, redactor: new Redactor() });
  return { config, log, signal: new AbortController().signal, qdrant: peer.qdrant } as unknown as Parameters<
    typeof settleLostShardRecovery
  >[0];
}

describe("settleLostShardRecovery", () => {
  it("waits out Recovery and Partial (and an unreadable answer): settled Active is a recovery", async () => {
    const peer = scriptedPeer(["Recovery", "error", "Partial", "Active"]);
    expect(await settleLostShardRecovery(deps(peer), PEER, "c", 1)).toEqual({ kind: "active" });
    expect(peer.polls()).toBe(4);
  });

  it("a replica that settled Dead fails the shard", async () => {
    const peer = scriptedPeer(["Recovery", "Dead"]);
    expect(await settleLostShardRecovery(deps(peer), PEER, "c", 1)).toEqual({
      kind: "failed",
      why: `its replica on ${PEER} settled Dead`,
    });
  });

  it("a peer holding no replica of the shard fails it", async () => {
    const peer = scriptedPeer([undefined]);
    const settled = await settleLostShardRecovery(deps(peer), PEER, "c", 1);
    expect(settled).toMatchObject({ kind: "failed", why: expect.stringMatching(/holds no replica of shard 1/) });
  });

  it("a replica still recovering at the deadline fails the shard, naming QDRANT_VERIFY_GREEN_TIMEOUT_SECONDS", async () => {
    const peer = scriptedPeer(["Partial"]);
    const started = Date.now();
    const settled = await settleLostShardRecovery(deps(peer, "1"), PEER, "c", 1);
    expect(settled).toMatchObject({
      kind: "failed",
      why: expect.stringMatching(/still Partial after 1 s \(QDRANT_VERIFY_GREEN_TIMEOUT_SECONDS\)/),
    });
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(peer.polls()).toBeGreaterThan(1);
  });
});
