// A backup set's plan for one collection: the bash tool's preconditions (auto sharding, no transfer or resharding,
// every shard seen and Active somewhere), round-robin placement over the Active peers by exact id (ids above 2^53
// included), and the 91-byte name guard counted in UTF-8 bytes.
import { describe, expect, it } from "vitest";
import { planCollection, refuseName } from "../../src/backup/sets/shard-plan.js";
import type { CollectionClusterInfo, ShardReplica } from "../../src/qdrant/cluster-types.js";

const BIG_A = "18446744073709551557";
const BIG_B = "18446744073709551558"; // a double rounds both to the same number

function cluster(
  replicas: [number, string, string][],
  extra: Partial<CollectionClusterInfo> = {},
): CollectionClusterInfo {
  const all: ShardReplica[] = replicas.map(([shard_id, peer_id, state]) => ({ shard_id, peer_id, state }));
  return {
    peer_id: "1",
    local_shards: all.filter((r) => r.peer_id === "1"),
    remote_shards: all.filter((r) => r.peer_id !== "1"),
    shard_transfers: [],
    resharding_operations: 0,
    ...extra,
  };
}
const result = (shard_number: number, sharding_method?: string) => ({
  status: "green",
  config: { params: { shard_number, ...(sharding_method ? { sharding_method } : {}) } },
});

describe("planCollection", () => {
  it("places shard i on its Active peers (by exact id) at position i mod their count, the other Active peer as fallback", () => {
    const plan = planCollection(
      result(4),
      cluster([
        [0, "1", "Active"],
        [0, "2", "Active"],
        [1, "2", "Active"],
        [1, "3", "Active"],
        [2, "3", "Active"],
        [2, "1", "Active"],
        [3, "1", "Active"],
        [3, "2", "Dead"],
      ]),
    );
    if (!plan.ok) throw new Error(plan.reason);
    expect(plan.shards.map((s) => [s.shard, s.peer, s.fallback])).toEqual([
      [0, "1", "2"],
      [1, "3", "2"],
      [2, "1", "3"],
      [3, "1", undefined],
    ]);
    expect(plan.shards[3]!.replicas).toEqual([
      { peer_id: "1", state: "Active" },
      { peer_id: "2", state: "Dead" },
    ]);
  });

  it("orders peer ids above 2^53 exactly, as numbers, never merging two that a double would round together", () => {
    const plan = planCollection(
      result(2),
      cluster([
        [0, BIG_B, "Active"],
        [0, BIG_A, "Active"],
        [1, BIG_A, "Active"],
        [1, "9", "Active"],
      ]),
    );
    if (!plan.ok) throw new Error(plan.reason);
    expect(plan.shards.map((s) => [s.peer, s.fallback])).toEqual([
      [BIG_A, BIG_B],
      [BIG_A, "9"],
    ]);
  });

  it.each([
    ["custom sharding", result(1, "custom"), cluster([[0, "1", "Active"]]), /sharding method is custom/],
    [
      "a shard transfer",
      result(1),
      cluster([[0, "1", "Active"]], { shard_transfers: [{ shard_id: 0, from: "1", to: "2" }] }),
      /shard transfers are in progress \(shard 0 1→2\)/,
    ],
    ["a resharding", result(1), cluster([[0, "1", "Active"]], { resharding_operations: 1 }), /resharding/],
    [
      "a shard missing from the cluster view",
      result(2),
      cluster([[0, "1", "Active"]]),
      /1 distinct shards.*shard_number 2/,
    ],
    [
      "a shard with no Active replica",
      result(2),
      cluster([
        [0, "1", "Active"],
        [1, "1", "Partial"],
        [1, "2", "Dead"],
      ]),
      /shard 1 has no Active replica/,
    ],
  ])("refuses %s", (_what, info, view, reason) => {
    const plan = planCollection(info, view);
    expect(plan.ok).toBe(false);
    if (!plan.ok) expect(plan.reason).toMatch(reason);
  });
});

describe("refuseName", () => {
  it("counts UTF-8 bytes, not characters: 91 bytes pass, 92 are refused", () => {
    expect(refuseName("a".repeat(91))).toBeUndefined();
    expect(refuseName(`${"é".repeat(45)}a`)).toBeUndefined();
    expect(refuseName("é".repeat(46))).toMatch(/92 UTF-8 bytes long, more than the 91/);
  });
});
