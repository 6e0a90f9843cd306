// Cluster mode: peers on one port, consistent shard placement, per-peer snapshots and recovery.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type Emulator } from "../support/emulator/index.js";
import { readAllPoints, seedCollection } from "../support/emulator/seed.js";
import { readTar } from "../support/emulator/tar.js";
import { call } from "../support/emulator/test-http.js";
import {
  assertClusterStatus,
  assertCollectionClusterInfo,
  assertSnapshotDescription,
  expectError,
  expectOk,
} from "../support/emulator/validators.js";

let emu: Emulator;
let standalone: Emulator;

async function clusterInfo(url: string, collection: string) {
  const info = expectOk((await call(url, "GET", `/collections/${collection}/cluster`)).json);
  assertCollectionClusterInfo(info);
  return info;
}

/** shard id → sorted peer ids holding it, from the union of every peer's local view. */
async function placement(collection: string): Promise<Map<number, number[]>> {
  const out = new Map<number, number[]>();
  for (const url of emu.urls) {
    const info = await clusterInfo(url, collection);
    for (const s of info.local_shards)
      out.set(
        s.shard_id,
        [...(out.get(s.shard_id) ?? []), info.peer_id].sort((x, y) => x - y),
      );
  }
  return out;
}

beforeAll(async () => {
  emu = await startEmulator({ cluster: { peers: 3, shards: 3, replicationFactor: 2 } });
  standalone = await startEmulator();
  await seedCollection(emu.urls[0] ?? "", "clu", { points: 60, dim: 4 });
});
afterAll(async () => {
  await emu.stop();
  await standalone.stop();
});

describe("topology", () => {
  it("binds peer i to 127.0.0.(i+2), all on the same port", () => {
    expect(emu.nodes.map((n) => n.host)).toEqual(["127.0.0.2", "127.0.0.3", "127.0.0.4"]);
    expect(new Set(emu.nodes.map((n) => n.port)).size).toBe(1);
  });

  it("reports the same peer set from every peer, each with its own peer_id, URIs on 6335", async () => {
    for (const node of emu.nodes) {
      const status = expectOk((await call(node.url, "GET", "/cluster")).json);
      assertClusterStatus(status);
      expect(status).toMatchObject({ status: "enabled", peer_id: node.peerId });
      const peers = Object.fromEntries(emu.nodes.map((n) => [String(n.peerId), { uri: `http://${n.host}:6335/` }]));
      expect(status.peers).toEqual(peers);
    }
  });

  it("standalone answers disabled and 405 on cluster operations", async () => {
    const url = standalone.urls[0] ?? "";
    expect(expectOk((await call(url, "GET", "/cluster")).json)).toEqual({ status: "disabled" });
    await seedCollection(url, "s", { points: 1, dim: 2 });
    const r = await call(url, "POST", "/collections/s/cluster", {
      body: { drop_replica: { shard_id: 0, peer_id: 1 } },
    });
    expect(r.status).toBe(405);
    expect(expectError(r.json)).toBe("Qdrant is running in standalone mode");
  });
});

describe("placement", () => {
  it("creates the collection cluster-wide with RF replicas of every shard", async () => {
    for (const url of emu.urls)
      expect(expectOk((await call(url, "GET", "/collections/clu/exists")).json)).toEqual({ exists: true });
    const p = await placement("clu");
    expect([...p.keys()].sort()).toEqual([0, 1, 2]);
    for (const peers of p.values()) expect(peers).toHaveLength(2);
  });

  it("agrees between local and remote views, and replicas hold the same points", async () => {
    const p = await placement("clu");
    let total = 0;
    for (const url of emu.urls) {
      const info = await clusterInfo(url, "clu");
      for (const r of info.remote_shards) expect(p.get(r.shard_id)).toContain(r.peer_id);
      expect(info.local_shards.length + info.remote_shards.length).toBe(6);
    }
    const counts = new Map<number, Set<number>>();
    for (const url of emu.urls)
      for (const s of (await clusterInfo(url, "clu")).local_shards)
        counts.set(s.shard_id, (counts.get(s.shard_id) ?? new Set()).add(s.points_count));
    for (const c of counts.values()) {
      expect(c.size).toBe(1);
      total += [...c][0] ?? 0;
    }
    expect(total).toBe(60);
    for (const url of emu.urls) expect((await readAllPoints(url, "clu")).length).toBe(60);
  });

  it("drop_replica removes one replica but never the last one", async () => {
    await seedCollection(emu.urls[0] ?? "", "drop", { points: 10, dim: 2, shards: 1, rf: 2 });
    const holders = (await placement("drop")).get(0) ?? [];
    const [keep, gone] = holders;
    const r = await call(emu.urls[0] ?? "", "POST", "/collections/drop/cluster", {
      body: { drop_replica: { shard_id: 0, peer_id: gone } },
    });
    expect(expectOk(r.json)).toBe(true);
    expect((await placement("drop")).get(0)).toEqual([keep]);
    const last = await call(emu.urls[0] ?? "", "POST", "/collections/drop/cluster", {
      body: { drop_replica: { shard_id: 0, peer_id: keep } },
    });
    expect(last.status).toBe(400);
    const bad = await call(emu.urls[0] ?? "", "POST", "/collections/drop/cluster", {
      body: { drop_replica: { shard_id: 5, peer_id: keep } },
    });
    expect(expectError(bad.json)).toBe("Bad request: Shard 5 of drop does not exist");
  });
});

describe("per-peer snapshots", () => {
  it("a peer's collection snapshot carries data only for its local shards", async () => {
    const node = emu.nodes[1];
    const d = expectOk((await call(node?.url ?? "", "POST", "/collections/clu/snapshots")).json);
    assertSnapshotDescription(d);
    expect(d.name.startsWith(`clu-${node?.peerId}-`)).toBe(true);
    const m = await readTar((await call(node?.url ?? "", "GET", `/collections/clu/snapshots/${d.name}`)).bytes);
    const local = (await clusterInfo(node?.url ?? "", "clu")).local_shards.map((s) => s.shard_id).sort();
    const withData = [0, 1, 2].filter((s) => [...m.keys()].some((k) => k.startsWith(`${s}/segments/`)));
    expect(withData).toEqual(local);
    for (const s of [0, 1, 2]) {
      const state: unknown = JSON.parse(m.get(`${s}/replica_state.json`)?.toString() ?? "{}");
      expect(state).toMatchObject({ is_local: local.includes(s), this_peer_id: node?.peerId });
    }
  });

  it("shard routes refuse shards this peer does not hold", async () => {
    const node = emu.nodes[0];
    const info = await clusterInfo(node?.url ?? "", "clu");
    const remoteOnly = [0, 1, 2].find((s) => !info.local_shards.some((l) => l.shard_id === s));
    const r = await call(node?.url ?? "", "POST", `/collections/clu/shards/${remoteOnly}/snapshots`);
    expect(r.status).toBe(400);
    expect(expectError(r.json)).toBe(`Wrong input: Shard ${remoteOnly} is not a local or queue proxy shard`);
  });

  it("recovering on a peer restores its shards and resyncs their other replicas", async () => {
    const node = emu.nodes[2];
    const url = node?.url ?? "";
    const before = await readAllPoints(url, "clu");
    const d = expectOk((await call(url, "POST", "/collections/clu/snapshots")).json);
    assertSnapshotDescription(d);
    await call(url, "POST", "/collections/clu/points/delete?wait=true", { body: { filter: {} } });
    const r = await call(url, "PUT", "/collections/clu/snapshots/recover", {
      body: { location: `${url}/collections/clu/snapshots/${d.name}` },
    });
    expect(r.status).toBe(200);
    const local = new Set((await clusterInfo(url, "clu")).local_shards.map((s) => s.shard_id));
    const restored = await readAllPoints(emu.urls[0] ?? "", "clu");
    expect(restored.length).toBeGreaterThan(0);
    expect(restored.length).toBeLessThan(before.length);
    for (const peerUrl of emu.urls) {
      for (const s of (await clusterInfo(peerUrl, "clu")).local_shards)
        if (local.has(s.shard_id)) expect(s.points_count).toBeGreaterThan(0);
    }
  });

  it("priority no_sync restores only this peer's replicas, leaving the others as they were", async () => {
    await seedCollection(emu.urls[0] ?? "", "ns", { points: 20, dim: 2, shards: 1, rf: 2 });
    const holder = (await placement("ns")).get(0)?.[0];
    const url = emu.nodes.find((n) => n.peerId === holder)?.url ?? "";
    const d = expectOk((await call(url, "POST", "/collections/ns/snapshots")).json);
    assertSnapshotDescription(d);
    await call(url, "POST", "/collections/ns/points/delete?wait=true", { body: { filter: {} } });
    const body = { location: `${url}/collections/ns/snapshots/${d.name}`, priority: "no_sync" };
    expect((await call(url, "PUT", "/collections/ns/snapshots/recover", { body })).status).toBe(200);
    const counts = [];
    for (const peer of emu.urls)
      counts.push(...(await clusterInfo(peer, "ns")).local_shards.map((s) => s.points_count));
    expect(counts.sort()).toEqual([0, 20]);
  });

  it("a standalone node refuses a snapshot with remote (data-less) shards", async () => {
    const node = emu.nodes[0];
    const d = expectOk((await call(node?.url ?? "", "POST", "/collections/clu/snapshots")).json);
    assertSnapshotDescription(d);
    const r = await call(standalone.urls[0] ?? "", "PUT", "/collections/clu/snapshots/recover", {
      body: { location: `${node?.url}/collections/clu/snapshots/${d.name}` },
    });
    expect(r.status).toBe(500);
    expect(expectError(r.json)).toMatch(
      /^Service internal error: Can't restore snapshot in local mode with missing data at shard: /,
    );
  });
});
