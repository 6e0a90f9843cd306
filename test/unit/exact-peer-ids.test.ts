// Peer ids above 2^53 (clusters created before Qdrant 1.2) survive parsing with every digit: a double would round
// 18446744073709551557 and 18446744073709551556 to the same number and merge two peers into one.
import { describe, expect, it } from "vitest";
import { stringifyExactJson } from "../../src/lib/exact-json.js";
import { failFor, toOutcome } from "../../src/qdrant/answers.js";
import { comparePeerIds, parseClusterStatus, parseCollectionClusterInfo } from "../../src/qdrant/cluster-types.js";

const BIG_A = "18446744073709551557";
const BIG_B = "18446744073709551556";

function result(text: string): unknown {
  const out = toOutcome(failFor("GET", "http://q:6333", "/cluster"), 200, "application/json", text, undefined);
  if (out.status !== "ok") throw new Error("not ok");
  return out.result;
}

describe("exact peer ids", () => {
  it("GET /cluster: peer_id and the peers' keys keep every digit", () => {
    const text = `{"result":{"status":"enabled","peer_id":${BIG_A},"peers":{"${BIG_A}":{"uri":"http://a:6335/"},"${BIG_B}":{"uri":"http://b:6335/"}},"raft_info":{"leader":${BIG_B}}},"status":"ok","time":0}`;
    const status = parseClusterStatus(result(text));
    expect(status).toEqual({
      status: "enabled",
      peer_id: BIG_A,
      peers: { [BIG_A]: { uri: "http://a:6335/" }, [BIG_B]: { uri: "http://b:6335/" } },
    });
  });

  it("GET /collections/{c}/cluster: replicas and transfers name two peers that a double would merge", () => {
    const text = `{"result":{"peer_id":${BIG_A},"shard_count":2,"local_shards":[{"shard_id":0,"points_count":3,"state":"Active"}],"remote_shards":[{"shard_id":0,"peer_id":${BIG_B},"state":"Partial"},{"shard_id":1,"peer_id":7,"state":"Active"}],"shard_transfers":[{"shard_id":0,"from":${BIG_A},"to":${BIG_B},"sync":false}]},"status":"ok","time":0}`;
    const info = parseCollectionClusterInfo(result(text));
    expect(info.peer_id).toBe(BIG_A);
    expect(info.local_shards).toEqual([{ shard_id: 0, peer_id: BIG_A, state: "Active", points_count: 3 }]);
    expect(info.remote_shards.map((r) => r.peer_id)).toEqual([BIG_B, "7"]);
    expect(info.shard_transfers).toEqual([{ shard_id: 0, from: BIG_A, to: BIG_B }]);
    expect(info.resharding_operations).toBe(0);
    expect(Number(BIG_A)).toBe(Number(BIG_B)); // the premise: as doubles they are one number
  });

  it("orders peer ids as numbers, not as text, and writes them back as JSON numbers with every digit", () => {
    expect(["10", BIG_A, "9", BIG_B].sort(comparePeerIds)).toEqual(["9", "10", BIG_B, BIG_A]);
    expect(stringifyExactJson({ source_peer_id: BigInt(BIG_A), n: 1.5 })).toBe(`{"source_peer_id":${BIG_A},"n":1.5}`);
  });

  it("refuses a peer id that is not a whole number", () => {
    expect(() => parseClusterStatus({ status: "enabled", peer_id: -1, peers: {} })).toThrow(/peer id/);
    expect(() => parseClusterStatus({ status: "enabled", peer_id: 1.5, peers: {} })).toThrow(/peer id/);
  });
});
