// create_snap_shards against a 3-peer emulated cluster: one snapshot per logical shard on an Active replica, spread
// over the peers, each object confirmed in the destination, the manifest written last (schema 2, as the bash tool
// describes it); a failing replica is replaced by another, `accepted` is no success, long names are refused, transfer
// mode and a directory destination carry SHA-256 per shard, --dry-run changes nothing.
import { createHash } from "node:crypto";
import { describe, expect, it, onTestFinished } from "vitest";
import { run } from "../../src/commands/create_snap_shards.js";
import { EXIT } from "../../src/errors.js";
import { startAnswerRewriter } from "../support/emulator/answer-rewriter.js";
import { comparePeerIds, parseCollectionClusterInfo } from "../../src/qdrant/cluster-types.js";
import { createAlias, qdrantCall, seedCollection } from "../support/emulator/seed.js";
import { startLostAnswerProxy } from "../faults/helpers/lost-answer-proxy.js";
import { API_KEY, startTransferRig, type TransferRig } from "./helpers/transfer-rig.js";
import { probeOverlap } from "./helpers/probe.js";
import { bashSchemaErrors, manifestOf, recordingStore, type StoreOp } from "./helpers/sets.js";

const CLUSTER = { cluster: { peers: 3, shards: 3, replicationFactor: 2 } };
const SHARD_CREATE = /^\/collections\/([^/]+)\/shards\/(\d+)\/snapshots$/;

/** The cluster rig with collections `three` (3 shards) and `four` (4 shards), both at RF 2. */
async function clusterRig(label: string, opts: Partial<Parameters<typeof startTransferRig>[1]> = {}) {
  const rig = await startTransferRig(label, { dest: "s3", storage: "s3-destination", ...CLUSTER, ...opts });
  const url = rig.urls[0]!;
  await seedCollection(url, "three", { points: 30, dim: 4, shards: 3, rf: 2, apiKey: API_KEY });
  await seedCollection(url, "four", { points: 41, dim: 4, shards: 4, rf: 2, apiKey: API_KEY });
  await createAlias(url, "four", "four-live", API_KEY);
  return rig;
}

async function manifestKeys(rig: TransferRig): Promise<string[]> {
  return rig.dest.keys("backup_manifests/");
}

/** The first peer as the source host; the peers' HTTP port (their /cluster URIs carry another). */
const hostsOf = (rig: TransferRig) => ({
  QDRANT_SOURCE_HOSTS: rig.urls[0]!,
  QDRANT_HTTP_PORT: String(rig.emu.nodes[0]!.port),
});

describe("create_snap_shards on a 3-peer cluster", () => {
  it("takes one snapshot per logical shard, spread over the peers, and writes one manifest per collection after its shard objects", async () => {
    const rig = await clusterRig("sets-basic");
    const ops: StoreOp[] = [];
    const deps = recordingStore(rig.deps({ ...hostsOf(rig), GIT_REF: "abc123", HOSTNAME: "pod-x" }), ops);
    rig.emu.resetRequests();

    const summary = await run({}, deps);

    expect(summary).toMatchObject({ done: 2, failed: 0, exitCode: EXIT.ok });
    const creates = rig.emu.requests().filter((r) => r.method === "POST" && SHARD_CREATE.test(r.path));
    const byCollection = (c: string) => creates.filter((r) => SHARD_CREATE.exec(r.path)![1] === c);
    expect(
      byCollection("three")
        .map((r) => SHARD_CREATE.exec(r.path)![2])
        .sort(),
    ).toEqual(["0", "1", "2"]);
    expect(
      byCollection("four")
        .map((r) => SHARD_CREATE.exec(r.path)![2])
        .sort(),
    ).toEqual(["0", "1", "2", "3"]);
    expect(new Set(creates.map((r) => r.node)).size, "spread over all three peers").toBe(3);
    expect(creates.every((r) => r.status === 200)).toBe(true);

    const keys = await manifestKeys(rig);
    expect(keys).toHaveLength(2);
    const setId = /^backup_manifests\/three\/(.+)\.json$/.exec(keys.find((k) => k.includes("/three/"))!)![1]!;
    expect(setId).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}Z-pod-x$/);
    expect(keys).toEqual([`backup_manifests/four/${setId}.json`, `backup_manifests/three/${setId}.json`]);
    for (const [collection, shards, points] of [
      ["three", 3, 30],
      ["four", 4, 41],
    ] as const) {
      const key = `backup_manifests/${collection}/${setId}.json`;
      const bytes = await rig.dest.read(key);
      expect(bashSchemaErrors(bytes!.toString("utf8"))).toBeUndefined();
      const m = manifestOf(bytes);
      expect(m).toMatchObject({
        schema_version: 2,
        backup_set_id: setId,
        collection,
        shard_count: shards,
        sharding_method: "auto",
        points_count: points,
        points_count_before: points,
        points_count_after: points,
        created_by: "qdrant-backup-restore@abc123",
        aliases: collection === "four" ? ["four-live"] : [],
      });
      expect(m.qdrant_version).toMatch(/^\d+\.\d+\.\d+/);
      expect((m.collection_config["config"] as { params: { shard_number: number } }).params.shard_number).toBe(shards);
      expect(m.shards.map((s) => s.id)).toEqual([...Array(shards).keys()]);
      for (const s of m.shards) {
        expect(s.s3_key).toBe(`snapshots/${collection}/shards/${s.id}/${s.snapshot_name}`);
        const stored = await rig.dest.read(s.s3_key);
        expect(stored?.length).toBe(s.size);
        expect(s.etag).not.toBe("");
        expect(s.replicas).toHaveLength(2);
        expect(s.replicas!.every((r) => r.state === "Active")).toBe(true);
        // Round-robin: shard i takes its Active peers (by id) at position i mod 2.
        const active = s.replicas!.map((r) => r.peer_id);
        expect(s.source_peer_id).toBe(active[s.id % active.length]);
        if (s.checksum) {
          expect(s.sha256).toBe(s.checksum);
          expect(createHash("sha256").update(stored!).digest("hex")).toBe(s.checksum);
        }
      }
      // The manifest is the last write of its set: after every shard create answered and every object's HEAD.
      const put = ops.find((o) => o.op === "put" && o.key === key)!;
      expect(put).toBeDefined();
      const heads = ops.filter((o) => o.op === "head" && o.key.startsWith(`snapshots/${collection}/shards/`));
      expect(heads.length).toBeGreaterThanOrEqual(shards);
      expect(Math.max(...heads.map((h) => h.at))).toBeLessThan(put.at);
      const done = byCollection(collection).map((r) => r.arrivedAt + r.ms);
      expect(Math.max(...done)).toBeLessThan(put.at);
    }
    expect(deps.lines.some((l) => l.includes(`Backup set ${setId}`))).toBe(true);
  });

  it("takes a shard failing on its chosen replica from another Active replica", async () => {
    const rig = await clusterRig("sets-fallback");
    // Shard 0 of `three` is taken from its lowest Active peer (index 0); that peer refuses, the other one serves.
    const info = await qdrantCall(rig.urls[0]!, "GET", "/collections/three/cluster", API_KEY);
    const shard0 = parseCollectionClusterInfo(info);
    const holders = [...shard0.local_shards, ...shard0.remote_shards]
      .filter((r) => r.shard_id === 0)
      .map((r) => r.peer_id)
      .sort(comparePeerIds);
    const nodeOf = (peer: string) => rig.emu.nodes.findIndex((n) => String(n.peerIdExact) === peer);
    const [chosen, other] = holders.map(nodeOf);
    rig.emu.faults.add({
      node: chosen,
      method: "POST",
      path: /^\/collections\/three\/shards\/0\/snapshots$/,
      status: 500,
    });
    rig.emu.resetRequests();

    const summary = await run({}, rig.deps({ ...hostsOf(rig) }));

    expect(summary).toMatchObject({ done: 2, failed: 0, exitCode: EXIT.ok });
    const tries = rig.emu
      .requests()
      .filter((r) => r.method === "POST" && r.path === "/collections/three/shards/0/snapshots");
    expect(tries.filter((r) => r.node === chosen).length).toBeGreaterThanOrEqual(2);
    expect(tries.filter((r) => r.node === other).map((r) => r.status)).toEqual([200]);
    const key = (await manifestKeys(rig)).find((k) => k.includes("/three/"))!;
    const m = manifestOf(await rig.dest.read(key));
    expect(m.shards[0]!.source_peer_id).toBe(holders[1]);
  });

  it("a collection whose cluster view cannot be read fails alone, loudly, and the run exits 3", async () => {
    const rig = await clusterRig("sets-dead");
    rig.emu.faults.add({ method: "GET", path: /^\/collections\/four\/cluster$/, status: 500 });

    const deps = rig.deps({ ...hostsOf(rig), QDRANT_RETRIES: "0" });
    const summary = await run({}, deps);

    expect(summary).toMatchObject({ done: 1, failed: 1, exitCode: EXIT.partial });
    expect((await manifestKeys(rig)).map((k) => k.split("/")[1])).toEqual(["three"]);
    expect(deps.lines.filter((l) => l.includes("Collection four: no backup set"))).toHaveLength(1);
  });

  it("refuses a collection name of 92 UTF-8 bytes up front (46 two-byte characters) and backs up one of 91 bytes", async () => {
    const rig = await startTransferRig("sets-long", { dest: "s3", storage: "s3-destination", ...CLUSTER });
    const long = "é".repeat(46); // 46 characters, 92 bytes
    const fits = "a".repeat(91); // 91 bytes (an encoded "é" name of 91 bytes is too long for the fake S3's file names)
    await seedCollection(rig.urls[0]!, long, { points: 3, dim: 2, shards: 1, apiKey: API_KEY });
    await seedCollection(rig.urls[0]!, fits, { points: 3, dim: 2, shards: 1, apiKey: API_KEY });
    rig.emu.resetRequests();
    const deps = rig.deps({ ...hostsOf(rig) });

    const summary = await run({}, deps);

    expect(summary).toMatchObject({ done: 1, failed: 1, exitCode: EXIT.partial });
    expect(
      deps.lines.some((l) => l.includes(`Collection ${long}: no backup set: its name is 92 UTF-8 bytes long`)),
    ).toBe(true);
    expect(rig.emu.requests().some((r) => r.path.includes("shards") && decodeURIComponent(r.path).includes(long))).toBe(
      false,
    );
    expect(await manifestKeys(rig)).toHaveLength(1);
  });

  it("--dry-run logs the plan and changes nothing: no snapshot, no object, no state file", async () => {
    const rig = await clusterRig("sets-dry");
    rig.emu.resetRequests();
    const before = await rig.dest.keys();
    const deps = rig.deps({ ...hostsOf(rig) });

    const summary = await run({ dryRun: true }, deps);

    expect(summary).toMatchObject({ done: 2, failed: 0, exitCode: EXIT.ok });
    expect(rig.emu.requests().filter((r) => r.method !== "GET" && !r.path.endsWith("/points/count"))).toEqual([]);
    expect(await rig.dest.keys()).toEqual(before);
    expect(await rig.read("collections")).toBeUndefined();
    expect(deps.lines.filter((l) => /\[dry run\] four: shard \d → peer \d+ http/.test(l))).toHaveLength(4);
    expect(
      deps.lines.some((l) => /\[dry run\] three: manifest backup_manifests\/three\/.+\.json, written last/.test(l)),
    ).toBe(true);
  });
});

describe.each([
  ["transfer mode into a bucket", "s3", { QDRANT_SNAPSHOT_TRANSFER: "true" }],
  ["QDRANT_BACKUP_DIR", "dir", {}],
] as const)("sets streamed by the tool: %s", (_label, dest, env) => {
  it("streams each shard snapshot into the destination with its SHA-256 and writes the manifest last", async () => {
    const rig = await clusterRig(`sets-stream-${dest}`, { dest, storage: "local" });

    const summary = await run({}, rig.deps({ ...hostsOf(rig), ...env }));

    expect(summary).toMatchObject({ done: 2, failed: 0, exitCode: EXIT.ok });
    const keys = await manifestKeys(rig);
    expect(keys).toHaveLength(2);
    for (const key of keys) {
      const bytes = await rig.dest.read(key);
      expect(bashSchemaErrors(bytes!.toString("utf8"))).toBeUndefined();
      const m = manifestOf(bytes);
      for (const s of m.shards) {
        const stored = await rig.dest.read(s.s3_key);
        expect(stored, s.s3_key).toBeDefined();
        expect(s.sha256).toBe(createHash("sha256").update(stored!).digest("hex"));
        expect(s.size).toBe(stored!.length);
        expect(s.etag).not.toBe("");
      }
    }
  });
});

describe("accepted is no success", () => {
  it("a standalone node answering accepted to a wait=true shard snapshot fails the collection: no manifest, exit 3", async () => {
    const rig = await startTransferRig("sets-accepted", { dest: "s3", storage: "s3-destination", nodes: 1 });
    await seedCollection(rig.urls[0]!, "solo", { points: 5, dim: 2, shards: 2, apiKey: API_KEY });
    const proxy = await startAnswerRewriter(rig.urls[0]!);
    onTestFinished(() => proxy.stop());
    proxy.set((req) =>
      req.method === "POST" && /^\/collections\/solo\/shards\/1\/snapshots(\?|$)/.test(req.path)
        ? { status: 202, contentType: "application/json", body: '{"status":"accepted","time":0.001}' }
        : undefined,
    );
    const deps = rig.deps({ QDRANT_SOURCE_HOSTS: proxy.url });

    const summary = await run({}, deps);

    expect(summary).toMatchObject({ done: 0, failed: 1, exitCode: EXIT.partial });
    expect(await manifestKeys(rig)).toEqual([]);
    // Two attempts on the only Active replica (a standalone node has no other), each answered "accepted".
    const creates = rig.emu
      .requests()
      .filter((r) => r.method === "POST" && r.path === "/collections/solo/shards/1/snapshots");
    expect(creates).toHaveLength(2);
    expect(deps.lines.some((l) => /Collection solo: no backup set: shard 1: .*accepted/.test(l))).toBe(true);
  });
});

describe("a shard snapshot create whose answer is lost", () => {
  it("is resolved by looking at the shard's snapshots on that peer: the snapshot made is adopted, not created again", async () => {
    const rig = await startTransferRig("sets-lost", { dest: "s3", storage: "s3-destination", nodes: 1 });
    await seedCollection(rig.urls[0]!, "solo", { points: 9, dim: 2, shards: 2, apiKey: API_KEY });
    const proxy = await startLostAnswerProxy(rig.urls[0]!, [{ method: "POST", path: SHARD_CREATE }]);
    onTestFinished(() => proxy.close());
    rig.emu.resetRequests();
    const deps = rig.deps({ QDRANT_SOURCE_HOSTS: proxy.url });

    const summary = await run({}, deps);

    expect(summary).toMatchObject({ done: 1, failed: 0, exitCode: EXIT.ok });
    expect(proxy.lost()).toHaveLength(1);
    const lostPath = proxy.lost()[0]!.path;
    const log = rig.emu.requests();
    const creates = log.filter((r) => r.method === "POST" && r.path === lostPath);
    expect(creates, "created once: the lost answer's snapshot is adopted").toHaveLength(1);
    const lookedAt = log.filter(
      (r) => r.method === "GET" && r.path === lostPath && r.arrivedAt > creates[0]!.arrivedAt,
    );
    expect(lookedAt.length).toBeGreaterThan(0);
    expect(deps.lines.some((l) => l.includes("Adopted"))).toBe(true);
    const [key] = await manifestKeys(rig);
    const m = manifestOf(await rig.dest.read(key!));
    expect(m.shards).toHaveLength(2);
  });
});

describe("cluster activity and replica states (injected)", () => {
  it("skips a collection with a shard transfer in progress, loudly, backs up the others, and the run exits 3", async () => {
    const rig = await clusterRig("sets-transfer");
    const peers = rig.emu.cluster.peers().map((p) => p.peerId);
    const info = parseCollectionClusterInfo(
      await qdrantCall(rig.urls[0]!, "GET", "/collections/four/cluster", API_KEY),
    );
    const holders = [...info.local_shards, ...info.remote_shards].filter((r) => r.shard_id === 1).map((r) => r.peer_id);
    const to = peers.find((p) => !holders.includes(String(p)))!;
    const transfer = rig.emu.cluster.startTransfer({ collection: "four", shard: 1, from: BigInt(holders[0]!), to });
    onTestFinished(() => transfer.abort());
    rig.emu.resetRequests();
    const deps = rig.deps({ ...hostsOf(rig) });

    const summary = await run({}, deps);

    expect(summary).toMatchObject({ done: 1, failed: 1, exitCode: EXIT.partial });
    expect((await manifestKeys(rig)).map((k) => k.split("/")[1])).toEqual(["three"]);
    expect(
      deps.lines.filter((l) => /Collection four: no backup set: skipped: shard transfers are in progress/.test(l)),
    ).toHaveLength(1);
    const fourCreates = rig.emu
      .requests()
      .filter((r) => r.method === "POST" && r.path.startsWith("/collections/four/shards/"));
    expect(fourCreates, "no shard of the skipped collection is snapshotted").toEqual([]);
  });

  it("skips a collection with a shard that has no Active replica, and passes over a Dead replica of another", async () => {
    const rig = await clusterRig("sets-states");
    const replicasOf = async (c: string, shard: number) => {
      const info = parseCollectionClusterInfo(
        await qdrantCall(rig.urls[0]!, "GET", `/collections/${c}/cluster`, API_KEY),
      );
      return [...info.local_shards, ...info.remote_shards]
        .filter((r) => r.shard_id === shard)
        .map((r) => r.peer_id)
        .sort(comparePeerIds);
    };
    // four: shard 2 has no Active replica (Partial and Dead).
    const [p, q] = await replicasOf("four", 2);
    rig.emu.cluster.setReplicaState("four", 2, BigInt(p!), "Partial");
    rig.emu.cluster.setReplicaState("four", 2, BigInt(q!), "Dead");
    // three: shard 0's chosen replica (the lower id) is Dead: the other, Active, one is taken.
    const [dead, alive] = await replicasOf("three", 0);
    rig.emu.cluster.setReplicaState("three", 0, BigInt(dead!), "Dead");
    const deps = rig.deps({ ...hostsOf(rig) });

    const summary = await run({}, deps);

    expect(summary).toMatchObject({ done: 1, failed: 1, exitCode: EXIT.partial });
    expect(
      deps.lines.filter((l) => /Collection four: no backup set: skipped: shard 2 has no Active replica/.test(l)),
    ).toHaveLength(1);
    const [key] = await manifestKeys(rig);
    const m = manifestOf(await rig.dest.read(key!));
    expect(m.collection).toBe("three");
    expect(m.shards[0]!.source_peer_id).toBe(alive);
    expect(m.shards[0]!.replicas).toEqual([
      { peer_id: dead, state: "Dead" },
      { peer_id: alive, state: "Active" },
    ]);
  });

  it("keeps peer ids above 2^53 exact: shards spread over three peers whose ids one double cannot tell apart, manifests name them digit for digit", async () => {
    const base = 2n ** 60n;
    const rig = await clusterRig("sets-bigids", {
      cluster: { peers: 3, shards: 3, replicationFactor: 2, peerIdBase: base },
    });
    rig.emu.resetRequests();

    const summary = await run({}, rig.deps({ ...hostsOf(rig) }));

    expect(summary).toMatchObject({ done: 2, failed: 0, exitCode: EXIT.ok });
    const creates = rig.emu.requests().filter((r) => r.method === "POST" && SHARD_CREATE.test(r.path));
    expect(new Set(creates.map((r) => r.node)).size).toBe(3);
    const ids = new Set([1n, 2n, 3n].map((i) => String(base + i)));
    for (const key of await manifestKeys(rig)) {
      const bytes = (await rig.dest.read(key))!;
      expect(bashSchemaErrors(bytes.toString("utf8"))).toBeUndefined();
      const m = manifestOf(bytes);
      for (const s of m.shards) {
        expect(ids.has(s.source_peer_id), s.source_peer_id).toBe(true);
        expect(bytes.toString("utf8")).toContain(`"source_peer_id": ${s.source_peer_id}`);
        const node = creates.find((r) => r.path === `/collections/${m.collection}/shards/${s.id}/snapshots`)!.node;
        expect(String(rig.emu.nodes[node]!.peerIdExact)).toBe(s.source_peer_id);
      }
    }
  });
});

describe("parallel shard work", () => {
  it("runs shards of several collections on several peers at once, within QDRANT_PER_HOST_CONCURRENCY per peer and QDRANT_CONCURRENCY in all", async () => {
    const rig = await clusterRig("sets-parallel");
    await seedCollection(rig.urls[0]!, "more", { points: 12, dim: 4, shards: 3, rf: 2, apiKey: API_KEY });
    const probe = probeOverlap(rig.emu, "POST", SHARD_CREATE, 150);
    onTestFinished(() => probe.remove());
    const deps = rig.deps({
      ...hostsOf(rig),
      QDRANT_CONCURRENCY: "3",
      QDRANT_PER_HOST_CONCURRENCY: "1",
      QDRANT_WAIT_ON_TASK: "false",
    });

    const summary = await run({}, deps);

    expect(summary).toMatchObject({ done: 3, failed: 0, exitCode: EXIT.ok });
    expect(Math.max(...probe.maxInFlight()), "per peer").toBe(1);
    expect(probe.maxInFlightOverall(), "over all peers").toBeGreaterThanOrEqual(2);
    expect(probe.maxInFlightOverall()).toBeLessThanOrEqual(3);
    // The knob sets ignore is named, with what happens instead.
    expect(deps.lines.some((l) => l.includes("QDRANT_WAIT_ON_TASK is not true: create_snap_shards always waits"))).toBe(
      true,
    );
  });
});

describe("retention after a backup", () => {
  /** The nodes' clock (it names shard snapshots to the second): set by each test. */
  let nodeTime = new Date("2026-12-01T00:00:00Z");
  const rigAt = (label: string) => clusterRig(label, { clock: () => nodeTime });
  const setsOf = async (rig: TransferRig, c: string) =>
    (await manifestKeys(rig)).filter((k) => k.startsWith(`backup_manifests/${c}/`));

  it("keeps QDRANT_BACKUP_RETENTION_SETS sets of each collection that backed up (manifests and their shard objects); 0 skips the pass", async () => {
    const rig = await rigAt("sets-retention-after");
    // Three runs a day apart on the nodes, three set ids (the pod name orders them within the tool's second).
    for (const [i, pod] of ["pod-1", "pod-2", "pod-3"].entries()) {
      nodeTime = new Date(Date.UTC(2026, 11, 1 + i));
      const summary = await run({}, rig.deps({ ...hostsOf(rig), QDRANT_BACKUP_RETENTION_SETS: "2", HOSTNAME: pod }));
      expect(summary).toMatchObject({ failed: 0, exitCode: EXIT.ok });
    }
    for (const [c, shards] of [
      ["three", 3],
      ["four", 4],
    ] as const) {
      expect((await setsOf(rig, c)).map((k) => k.replace(/^.*Z-/, ""))).toEqual(["pod-2.json", "pod-3.json"]);
      // The oldest set's shard objects went with its manifest.
      const objects = await rig.dest.keys(`snapshots/${c}/shards/`);
      expect(objects).toHaveLength(2 * shards);
      expect(objects.some((k) => k.includes("2026-12-01-"))).toBe(false);
    }
    nodeTime = new Date(Date.UTC(2026, 11, 4));
    const summary = await run({}, rig.deps({ ...hostsOf(rig), QDRANT_BACKUP_RETENTION_SETS: "0", HOSTNAME: "pod-4" }));
    expect(summary).toMatchObject({ failed: 0, exitCode: EXIT.ok });
    expect(await setsOf(rig, "three")).toHaveLength(3);
  });

  it("never deletes a shard object that a kept set names too (runs within one second get the same snapshot names)", async () => {
    const rig = await rigAt("sets-retention-shared");
    nodeTime = new Date("2026-12-01T00:00:00Z");
    for (const pod of ["pod-1", "pod-2"]) {
      const summary = await run({}, rig.deps({ ...hostsOf(rig), QDRANT_BACKUP_RETENTION_SETS: "1", HOSTNAME: pod }));
      expect(summary).toMatchObject({ failed: 0, exitCode: EXIT.ok });
    }
    expect((await setsOf(rig, "three")).map((k) => k.replace(/^.*Z-/, ""))).toEqual(["pod-2.json"]);
    // pod-1's manifest is gone; the objects it shared with pod-2's set are all still there.
    const kept = manifestOf(await rig.dest.read((await setsOf(rig, "three"))[0]!));
    for (const shard of kept.shards) expect(await rig.dest.read(shard.s3_key), shard.s3_key).toBeDefined();
  });
});
