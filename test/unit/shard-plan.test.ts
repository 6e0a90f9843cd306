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
  it("places each shard on an Active replica, evening out the peers' shares (ties: position i mod their count), the other Active peer as fallback", () => {
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
      [0, "2", "1"], // peer 1 must take shard 3 (its only replica): shard 0 goes to peer 2
      [1, "3", "2"],
      [2, "1", "3"],
      [3, "1", undefined],
    ]);
    expect(plan.shards[3]!.replicas).toEqual([
      { peer_id: "1", state: "Active" },
      { peer_id: "2", state: "Dead" },
    ]);
  });

  it("spreads a run's shards evenly over the peers: 20 collections of 3 shards at RF 2 on 3 peers, 20 ± 1 shards each", () => {
    // Replicas of shard s on peers s+1 and s+2 (mod 3): the bash tool's rule alone (i mod the Active count, per
    // collection) puts two of each collection's three shards on one peer and none on another.
    const load = new Map<string, number>();
    const perPeer = new Map<string, number>();
    for (let c = 0; c < 20; c++) {
      const plan = planCollection(
        result(3),
        cluster(
          [0, 1, 2].flatMap((sh): [number, string, string][] => [
            [sh, String((sh % 3) + 1), "Active"],
            [sh, String(((sh + 1) % 3) + 1), "Active"],
          ]),
        ),
        load,
      );
      if (!plan.ok) throw new Error(plan.reason);
      for (const s of plan.shards) perPeer.set(s.peer, (perPeer.get(s.peer) ?? 0) + 1);
    }
    const counts = [...perPeer.values()];
    expect(counts).toHaveLength(3);
    expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
    expect(Object.fromEntries(load)).toEqual(Object.fromEntries(perPeer));
    // One collection on an idle cluster: one shard per peer (the bash tool's rule gave peers 1, 3, 1).
    const alone = planCollection(
      result(3),
      cluster(
        [0, 1, 2].flatMap((sh): [number, string, string][] => [
          [sh, String((sh % 3) + 1), "Active"],
          [sh, String(((sh + 1) % 3) + 1), "Active"],
        ]),
      ),
    );
    if (!alone.ok) throw new Error(alone.reason);
    expect(alone.shards.map((s) => s.peer)).toEqual(["2", "3", "1"]);
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
      ["9", BIG_A], // BIG_A already has shard 0: the run's count sends shard 1 to the idle peer
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
