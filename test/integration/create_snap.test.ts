// create_snap against emulator nodes with S3 snapshot storage: rows, skips, failures, wait=false, cluster discovery,
// and the per-host concurrency limit observed on the server.
import { describe, expect, it } from "vitest";
import { run } from "../../src/commands/create_snap.js";
import { EXIT } from "../../src/errors.js";
import { parseCollectionClusterInfo } from "../../src/qdrant/cluster-types.js";
import { qdrantCall, seedCollection } from "../support/emulator/seed.js";
import { probeOverlap } from "./helpers/probe.js";
import { csv, sortedLines, startRig, waitUntil, type Rig } from "./helpers/rig.js";

const SNAPSHOT_POST = /^\/collections\/[^/]+\/snapshots$/;

/** POST …/snapshots answered per node index, for one collection. */
function snapshotPostsPerNode(rig: Rig, collection: string): number[] {
  const counts = rig.emu.nodes.map(() => 0);
  for (const r of rig.requests("POST", new RegExp(`^/collections/${collection}/snapshots$`)))
    counts[r.node] = (counts[r.node] ?? 0) + 1;
  return counts;
}

/** Rows parsed from the snapshots file (plain names only). */
function rowsOf(text: string | undefined): { host: string; collection: string; snapshot: string }[] {
  return sortedLines(text).map((line) => {
    const [host = "", collection = "", snapshot = ""] = line.split(",");
    return { host, collection, snapshot };
  });
}

describe("create_snap", () => {
  it("snapshots each collection on each source host and records the real snapshot names", async () => {
    const rig = await startRig("create-snap-all", { nodes: 2 });
    const [a = "", b = ""] = rig.urls;
    for (const url of [a, b]) for (const c of ["c1", "c2"]) await seedCollection(url, c, { points: 5, dim: 3 });
    const deps = rig.deps({ QDRANT_SOURCE_HOSTS: `${a},${b}` });

    const summary = await run({}, deps);

    expect(summary).toMatchObject({
      task: "create_snap",
      done: 4,
      skipped: 0,
      failed: 0,
      accepted: 0,
      exitCode: EXIT.ok,
    });
    expect(await rig.read("collections")).toBe(csv([a, "c1"], [a, "c2"], [b, "c1"], [b, "c2"]));
    const rows = rowsOf(await rig.read("snapshots"));
    expect(rows.map((r) => `${r.host},${r.collection}`).sort()).toEqual(
      [`${a},c1`, `${a},c2`, `${b},c1`, `${b},c2`].sort(),
    );
    for (const row of rows) {
      const node = rig.emu.nodes.find((n) => n.url === row.host);
      expect(row.snapshot).toMatch(new RegExp(`^${row.collection}-${node?.peerId}-\\d{4}(-\\d\\d){5}\\.snapshot$`));
      expect(await rig.bucket.has(`snapshots/${row.collection}/${row.snapshot}`)).toBe(true);
    }
    expect((await deps.state.read("snapshots")).length).toBe(4);
    expect(await rig.bucket.keys("snapshots/")).toHaveLength(4);
  });

  it("skips (not fails) a collection that exists only on another source host", async () => {
    const rig = await startRig("create-snap-only-b", { nodes: 2 });
    const [a = "", b = ""] = rig.urls;
    await seedCollection(a, "shared", { points: 2, dim: 2 });
    await seedCollection(b, "shared", { points: 2, dim: 2 });
    await seedCollection(b, "onlyb", { points: 2, dim: 2 });

    const summary = await run({}, rig.deps({ QDRANT_SOURCE_HOSTS: `${a},${b}` }));

    expect(summary).toMatchObject({ done: 3, skipped: 1, failed: 0, exitCode: EXIT.ok });
    expect(summary.items.filter((i) => i["outcome"] === "skipped")).toEqual([
      { host: a, collection: "onlyb", outcome: "skipped" },
    ]);
    expect(rowsOf(await rig.read("snapshots")).map((r) => `${r.host},${r.collection}`)).toEqual(
      [`${a},shared`, `${b},onlyb`, `${b},shared`].sort(),
    );
    expect(await rig.bucket.keys("snapshots/onlyb/")).toHaveLength(1);
    // get_coll listed both hosts, so a knows it has no "onlyb": it is not even asked.
    expect(rig.emu.requests().filter((r) => r.node === 0 && r.path.startsWith("/collections/onlyb"))).toEqual([]);
  });

  it("asks every source host when the collections file lists only the first (as the bash tool wrote it); a 404 skips", async () => {
    const rig = await startRig("create-snap-bash-file", { nodes: 2 });
    const [a = "", b = ""] = rig.urls;
    await seedCollection(a, "shared", { points: 2, dim: 2 });
    await seedCollection(b, "shared", { points: 2, dim: 2 });
    await seedCollection(a, "onlya", { points: 2, dim: 2 });
    await rig.write("collections", csv([a, "shared"], [a, "onlya"]));

    const summary = await run({}, rig.deps({ QDRANT_SOURCE_HOSTS: `${a},${b}` }));

    expect(summary).toMatchObject({ done: 3, skipped: 1, failed: 0, exitCode: EXIT.ok });
    expect(summary.items.filter((i) => i["outcome"] === "skipped")).toEqual([
      { host: b, collection: "onlya", outcome: "skipped" },
    ]);
    expect(rowsOf(await rig.read("snapshots")).map((r) => `${r.host},${r.collection}`)).toEqual(
      [`${a},onlya`, `${a},shared`, `${b},shared`].sort(),
    );
    // b has no rows, so it was asked; its 404 (to the facts read, before any snapshot) skipped it there.
    expect(
      rig.emu
        .requests()
        .filter((r) => r.node === 1 && r.path.startsWith("/collections/onlya"))
        .map((r) => r.status),
    ).toEqual([404]);
  });

  it("counts a 500 on one collection of one host as failed, records the others, and writes no unknown row", async () => {
    const rig = await startRig("create-snap-500", { nodes: 2 });
    const [a = "", b = ""] = rig.urls;
    for (const url of [a, b]) for (const c of ["c1", "c2"]) await seedCollection(url, c, { points: 2, dim: 2 });
    rig.emu.faults.add({ node: 0, method: "POST", path: "/collections/c2/snapshots", status: 500 });
    const deps = rig.deps({ QDRANT_SOURCE_HOSTS: `${a},${b}` });

    const summary = await run({}, deps);

    expect(summary).toMatchObject({ done: 3, failed: 1, skipped: 0, exitCode: EXIT.partial });
    expect(summary.items.filter((i) => i["outcome"] === "failed")).toMatchObject([{ host: a, collection: "c2" }]);
    const text = await rig.read("snapshots");
    expect(text).not.toMatch(/unknown/);
    expect(rowsOf(text).map((r) => `${r.host},${r.collection}`)).toEqual([`${a},c1`, `${b},c1`, `${b},c2`].sort());
    expect(deps.lines.some((l) => l.includes("ERROR: ") && l.includes("c2") && l.includes("500"))).toBe(true);
    expect(await rig.bucket.keys("snapshots/c2/")).toHaveLength(1);
  });

  it("with QDRANT_WAIT_ON_TASK=false counts accepted, writes no row, and the snapshot appears later", async () => {
    const rig = await startRig("create-snap-nowait", { nodes: 2 });
    const [a = "", b = ""] = rig.urls;
    for (const url of [a, b]) await seedCollection(url, "lazy", { points: 3, dim: 2 });

    const summary = await run({}, rig.deps({ QDRANT_SOURCE_HOSTS: `${a},${b}`, QDRANT_WAIT_ON_TASK: "false" }));

    expect(summary).toMatchObject({ done: 0, accepted: 2, failed: 0, exitCode: EXIT.ok });
    expect(rig.requests("POST", SNAPSHOT_POST).map((r) => r.status)).toEqual([202, 202]);
    expect(await rig.read("snapshots")).toBeUndefined();
    await waitUntil(
      "both snapshots are in the bucket",
      async () => (await rig.bucket.keys("snapshots/lazy/")).length === 2,
    );
  });

  describe("with GET_PEERS_FROM_CLUSTER_INFO=true", () => {
    // Peer ids descending by node index: the lowest id (node 2) gets shard 0 of single-shard collections.
    const peerIds = [300, 200, 100];

    it("snapshots each peer holding shards exactly once per collection, even with two remote shards on a peer", async () => {
      const rig = await startRig("create-snap-cluster", {
        cluster: { peers: 3, shards: 3, replicationFactor: 2 },
        peerIds,
      });
      const [first = ""] = rig.urls;
      await seedCollection(first, "rf2", { points: 30, dim: 3 });
      await seedCollection(first, "rf1", { points: 30, dim: 3, shards: 3, rf: 1 });
      await seedCollection(first, "single", { points: 5, dim: 3, shards: 1, rf: 1 });
      // The premise: from the first peer, some other peer is named in two remote_shards entries.
      const info = parseCollectionClusterInfo(await qdrantCall(first, "GET", "/collections/rf2/cluster"));
      const remotePeers = info.remote_shards.map((s) => s.peer_id).sort();
      expect(remotePeers).toEqual(["100", "100", "200", "200"]);
      rig.emu.resetRequests();
      const port = String(rig.emu.nodes[0]?.port);
      const deps = rig.deps({
        QDRANT_SOURCE_HOSTS: first,
        GET_PEERS_FROM_CLUSTER_INFO: "true",
        QDRANT_HTTP_PORT: port,
      });

      const summary = await run({}, deps);

      expect(summary).toMatchObject({ done: 7, failed: 0, skipped: 0, exitCode: EXIT.ok });
      expect(snapshotPostsPerNode(rig, "rf2")).toEqual([1, 1, 1]);
      expect(snapshotPostsPerNode(rig, "rf1")).toEqual([1, 1, 1]);
      // Only the peer holding the single shard; the answering peer holds none of it.
      expect(snapshotPostsPerNode(rig, "single")).toEqual([0, 0, 1]);
      const rows = rowsOf(await rig.read("snapshots"));
      expect(rows).toHaveLength(7);
      for (const row of rows) {
        const node = rig.emu.nodes.find((n) => n.url === row.host);
        expect(node, `row host ${row.host} is a peer's HTTP URL`).toBeDefined();
        expect(row.snapshot.startsWith(`${row.collection}-${node?.peerId}-`)).toBe(true);
        expect(await rig.bucket.has(`snapshots/${row.collection}/${row.snapshot}`)).toBe(true);
      }
      expect(rows.filter((r) => r.collection === "single").map((r) => r.host)).toEqual([rig.urls[2]]);
      expect(await rig.read("collections")).toBe(csv([first, "rf1"], [first, "rf2"], [first, "single"]));
    });
  });

  it("with GET_PEERS_FROM_CLUSTER_INFO=true on a cluster with peer ids above 2^53 (created before Qdrant 1.2), snapshots each peer once, named by its exact id", async () => {
    const rig = await startRig("create-snap-big-peers", {
      cluster: { peers: 3, shards: 3, replicationFactor: 2, peerIdBase: 2n ** 60n },
    });
    const [first = ""] = rig.urls;
    await seedCollection(first, "big", { points: 30, dim: 3 });
    // The premise: as doubles, the three ids are one number.
    const ids = rig.emu.nodes.map((n) => n.peerIdExact);
    expect(new Set(ids.map((id) => Number(id))).size).toBe(1);
    rig.emu.resetRequests();
    const deps = rig.deps({
      QDRANT_SOURCE_HOSTS: first,
      GET_PEERS_FROM_CLUSTER_INFO: "true",
      QDRANT_HTTP_PORT: String(rig.emu.nodes[0]?.port),
    });

    const summary = await run({}, deps);

    expect(summary).toMatchObject({ done: 3, failed: 0, exitCode: EXIT.ok });
    expect(snapshotPostsPerNode(rig, "big")).toEqual([1, 1, 1]);
    const rows = rowsOf(await rig.read("snapshots"));
    for (const row of rows) {
      const node = rig.emu.nodes.find((n) => n.url === row.host);
      expect(row.snapshot.startsWith(`big-${node?.peerIdExact}-`), row.snapshot).toBe(true);
    }
  });

  describe("QDRANT_PER_HOST_CONCURRENCY", () => {
    async function measure(perHost: string): Promise<{ perNode: number[]; overall: number; posts: number }> {
      const rig = await startRig(`create-snap-per-host-${perHost}`, { nodes: 2 });
      for (const url of rig.urls)
        for (const c of ["p1", "p2", "p3", "p4"]) await seedCollection(url, c, { points: 2, dim: 2 });
      const probe = probeOverlap(rig.emu, "POST", SNAPSHOT_POST, 150);
      const deps = rig.deps({
        QDRANT_SOURCE_HOSTS: rig.urls.join(","),
        QDRANT_CONCURRENCY: "4",
        QDRANT_PER_HOST_CONCURRENCY: perHost,
      });
      const summary = await run({}, deps);
      expect(summary).toMatchObject({ done: 8, failed: 0 });
      return {
        perNode: probe.maxInFlight(),
        overall: probe.maxInFlightOverall(),
        posts: rig.requests("POST", SNAPSHOT_POST).length,
      };
    }

    it("never overlaps two snapshot creates on one host at 1, while hosts work in parallel", async () => {
      const { perNode, overall, posts } = await measure("1");
      expect(posts).toBe(8);
      expect(perNode).toEqual([1, 1]);
      expect(overall).toBe(2);
    });

    it("does overlap them when allowed (the probe sees overlap when there is some)", async () => {
      const { perNode } = await measure("4");
      expect(Math.min(...perNode)).toBeGreaterThan(1);
    });
  });
});
