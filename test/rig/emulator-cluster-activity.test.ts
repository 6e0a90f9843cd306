// Cluster activity tests inject through `emulator.cluster`: replica states, shard transfers in progress, resharding;
// and which replicas serve shard snapshots (Qdrant 1.19: any local replica whatever its state, but not the source of a
// stream_records transfer, which is a forward proxy).
import { createHash } from "node:crypto";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type ActivityHandle, type Emulator } from "../support/emulator/index.js";
import { readAllPoints, seedCollection } from "../support/emulator/seed.js";
import { call } from "../support/emulator/test-http.js";
import { assertCollectionClusterInfo, expectError, expectOk } from "../support/emulator/validators.js";

let emu: Emulator;
const ended: (() => void)[] = [];

async function clusterInfo(node: number) {
  const info = expectOk((await call(emu.urls[node]!, "GET", "/collections/act/cluster")).json);
  assertCollectionClusterInfo(info);
  return info as typeof info & { resharding_operations?: unknown[] };
}

const track = <T extends ActivityHandle>(h: T): T => (ended.push(() => h.abort()), h);

beforeAll(async () => {
  // 3 peers, 3 shards, rf 2, placed as Qdrant does (order[(2s + r) mod 3] in peer-id order): shard 0 on 10 and 20,
  // shard 1 on 30 and 10, shard 2 on 20 and 30.
  emu = await startEmulator({ cluster: { peers: 3, shards: 3, replicationFactor: 2 }, peerIds: [30, 10, 20] });
  await seedCollection(emu.urls[0]!, "act", { points: 60, dim: 4 });
});
afterEach(() => {
  for (const end of ended.splice(0)) end();
});
afterAll(async () => {
  await emu.stop();
});

/** Node index of the peer with this id. */
const nodeOf = (peer: bigint): number => emu.cluster.peers().find((p) => p.peerId === peer)!.index;

describe("emulator.cluster", () => {
  it("lists the peers in peer-id order with their URLs", () => {
    const peers = emu.cluster.peers();
    expect(peers.map((p) => p.peerId)).toEqual([10n, 20n, 30n]);
    expect(peers.map((p) => p.url)).toEqual([emu.urls[1], emu.urls[2], emu.urls[0]]);
  });

  it("sets one replica's state, seen locally and remotely, and puts it back", async () => {
    const restore = emu.cluster.setReplicaState("act", 0, 20n, "Dead");
    ended.push(restore);
    const local = (await clusterInfo(nodeOf(20n))).local_shards.find((s) => s.shard_id === 0);
    expect(local?.state).toBe("Dead");
    const remote = (await clusterInfo(nodeOf(10n))).remote_shards.find((s) => s.shard_id === 0 && s.peer_id === 20);
    expect(remote?.state).toBe("Dead");
    restore();
    expect((await clusterInfo(nodeOf(20n))).local_shards.find((s) => s.shard_id === 0)?.state).toBe("Active");
    expect(() => emu.cluster.setReplicaState("act", 0, 30n, "Dead")).toThrow(/holds no replica/);
    expect(() => emu.cluster.setReplicaState("act", 0, 2 ** 60, "Dead")).toThrow(/not exact/);
  });

  it("shows a transfer in shard_transfers, its target Partial, its comment on the source only; finish completes it", async () => {
    // Shard 1 lives on peers 30 and 10; replicate it to 20.
    const t = track(emu.cluster.startTransfer({ collection: "act", shard: 1, from: 30n, to: 20n, comment: "3/60" }));
    const onSource = await clusterInfo(nodeOf(30n));
    expect(onSource.shard_transfers).toEqual([
      { shard_id: 1, from: 30, to: 20, sync: true, method: "stream_records", comment: "3/60" },
    ]);
    expect((await clusterInfo(nodeOf(10n))).shard_transfers).toEqual([
      { shard_id: 1, from: 30, to: 20, sync: true, method: "stream_records" },
    ]);
    const target = (await clusterInfo(nodeOf(20n))).local_shards.find((s) => s.shard_id === 1);
    expect(target).toEqual({ shard_id: 1, points_count: 0, state: "Partial" });
    // Reads from the target's peer still see every point (a Partial replica is not read from).
    expect(await readAllPoints(emu.urls[nodeOf(20n)]!, "act")).toHaveLength(60);
    t.finish();
    const after = await clusterInfo(nodeOf(20n));
    expect(after.shard_transfers).toEqual([]);
    const source = (await clusterInfo(nodeOf(30n))).local_shards.find((s) => s.shard_id === 1);
    expect(after.local_shards.find((s) => s.shard_id === 1)).toEqual({ ...source, state: "Active" });
    const drop = { drop_replica: { shard_id: 1, peer_id: 20 } };
    expect((await call(emu.urls[0]!, "POST", "/collections/act/cluster", { body: drop })).status).toBe(200);
  });

  it("a move drops the source when finished; an abort removes the target it made", async () => {
    const move = emu.cluster.startTransfer({ collection: "act", shard: 2, from: 30n, to: 10n, sync: false });
    move.finish();
    let holders = (await clusterInfo(0)).remote_shards.filter((s) => s.shard_id === 2).map((s) => s.peer_id);
    holders.push(...(await clusterInfo(0)).local_shards.filter((s) => s.shard_id === 2).map(() => 30));
    expect(holders.sort()).toEqual([10, 20]);
    const back = emu.cluster.startTransfer({ collection: "act", shard: 2, from: 10n, to: 30n, sync: false });
    back.finish();
    const a = emu.cluster.startTransfer({ collection: "act", shard: 0, from: 10n, to: 30n });
    a.abort();
    a.finish(); // no-op once ended
    holders = (await clusterInfo(nodeOf(10n))).remote_shards.filter((s) => s.shard_id === 0).map((s) => s.peer_id);
    expect(holders).toEqual([20]);
    expect((await clusterInfo(0)).shard_transfers).toEqual([]);
  });

  it("shows a resharding operation as Qdrant serialises it, until finished", async () => {
    const r = track(emu.cluster.startResharding({ collection: "act", direction: "up", shard: 3, peer: 10n }));
    const ops = (await clusterInfo(1)).resharding_operations;
    expect(ops).toEqual([
      { uuid: expect.stringMatching(/^[0-9a-f-]{36}$/), direction: "up", shard_id: 3, peer_id: 10, shard_key: null },
    ]);
    expect(() => emu.cluster.startResharding({ collection: "act", direction: "down", shard: 2, peer: 20n })).toThrow(
      /already resharding/,
    );
    r.finish();
    expect("resharding_operations" in (await clusterInfo(1))).toBe(false);
  });

  it("refuses cluster mode operations on a standalone emulator with a clear error", async () => {
    const solo = await startEmulator();
    try {
      expect(solo.cluster.peers().map((p) => p.url)).toEqual(solo.urls);
      expect(() => solo.cluster.setReplicaState("x", 0, solo.nodes[0]!.peerIdExact, "Dead")).toThrow(/cluster mode/);
    } finally {
      await solo.stop();
    }
  });
});

describe("shard snapshots and replica states (Qdrant 1.19)", () => {
  it("a Dead or Partial local replica still serves a shard snapshot, with its sha256 checksum", async () => {
    for (const state of ["Dead", "Partial", "Recovery"] as const) {
      ended.push(emu.cluster.setReplicaState("act", 0, 10n, state));
      const url = emu.urls[nodeOf(10n)]!;
      const r = await call(url, "POST", "/collections/act/shards/0/snapshots?wait=true");
      expect(r.status).toBe(200);
      const d = expectOk(r.json) as { name: string; checksum?: string; size: number };
      const bytes = (await call(url, "GET", `/collections/act/shards/0/snapshots/${d.name}`)).bytes;
      expect(d.checksum).toBe(createHash("sha256").update(bytes).digest("hex"));
      for (const end of ended.splice(0)) end();
    }
  });

  it("the source of a stream_records transfer is a forward proxy: no shard snapshot there; a snapshot transfer's is", async () => {
    const url = emu.urls[nodeOf(10n)]!;
    const t = track(emu.cluster.startTransfer({ collection: "act", shard: 0, from: 10n, to: 30n }));
    const create = await call(url, "POST", "/collections/act/shards/0/snapshots");
    expect(create.status).toBe(400);
    expect(expectError(create.json)).toBe("Wrong input: Shard 0 is not a local or queue proxy shard");
    const list = await call(url, "GET", "/collections/act/shards/0/snapshots");
    expect(expectError(list.json)).toBe("Wrong input: Shard 0 is not a local shard");
    // The Partial target can snapshot its (empty) replica.
    expect((await call(emu.urls[nodeOf(30n)]!, "POST", "/collections/act/shards/0/snapshots")).status).toBe(200);
    t.abort();
    const q = track(emu.cluster.startTransfer({ collection: "act", shard: 0, from: 10n, to: 30n, method: "snapshot" }));
    expect((await call(url, "POST", "/collections/act/shards/0/snapshots")).status).toBe(200);
    q.abort();
  });
});
