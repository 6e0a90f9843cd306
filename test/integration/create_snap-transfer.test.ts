// create_snap in transfer mode (QDRANT_SNAPSHOT_TRANSFER=true): nodes keeping snapshots on local disk (the main case)
// or in S3, into a bucket or a directory; byte-for-byte checks against the node's own download, checksum mismatches
// and broken downloads (through a tampering proxy), delete-after-transfer, the settings it refuses, the host limit.
import { describe, expect, it, onTestFinished } from "vitest";
import { run } from "../../src/commands/create_snap.js";
import { ConfigError, EXIT } from "../../src/errors.js";
import { parseSnapshotList } from "../../src/qdrant/types.js";
import { createAlias, qdrantCall, seedCollection } from "../support/emulator/seed.js";
import { probeOverlap } from "./helpers/probe.js";
import { manualClock, sortedLines } from "./helpers/rig.js";
import { startTamperProxy } from "./helpers/tamper-proxy.js";
import {
  API_KEY,
  bucketView,
  downloadFromNode,
  parseJsonObject,
  sha256,
  startTransferRig,
  type TransferRig,
} from "./helpers/transfer-rig.js";

const TRANSFER = { QDRANT_SNAPSHOT_TRANSFER: "true" };
const DOWNLOAD = /^\/collections\/[^/]+\/snapshots\/[^/]+\.snapshot$/;

/** The snapshots rows as `collection,name` (host left out), sorted. */
async function rowsByCollection(rig: TransferRig): Promise<Map<string, { host: string; name: string }>> {
  const out = new Map<string, { host: string; name: string }>();
  for (const line of sortedLines(await rig.read("snapshots"))) {
    const [host = "", collection = "", name = ""] = line.split(",");
    out.set(collection, { host, name });
  }
  return out;
}

/** Qdrant's listing of a collection's snapshots on `url`, with checksums. */
async function nodeSnapshots(url: string, collection: string) {
  return parseSnapshotList(await qdrantCall(url, "GET", `/collections/${collection}/snapshots`, API_KEY));
}

describe.each(["s3", "dir"] as const)("transfer mode into %s, nodes on local disk", (dest) => {
  it("stores each new snapshot byte for byte, verified against Qdrant's checksum, with its metadata; the node keeps its copy", async () => {
    const rig = await startTransferRig(`xfer-${dest}`, { dest, nodes: 2 });
    const [a = "", b = ""] = rig.urls;
    await seedCollection(a, "c1", { points: 20, dim: 4, apiKey: API_KEY });
    await seedCollection(a, "c2", { points: 7, dim: 3, distance: "Dot", apiKey: API_KEY });
    await seedCollection(b, "c3", { points: 12, dim: 4, apiKey: API_KEY });
    await createAlias(a, "c1", "c1-live", API_KEY);
    await createAlias(a, "c1", "c1-blue", API_KEY);
    const deps = rig.deps({ ...TRANSFER, QDRANT_SOURCE_HOSTS: `${a},${b}` });

    const summary = await run({}, deps);

    // Each collection lives on one of the two independent nodes: the other one is skipped for it.
    expect(summary).toMatchObject({ done: 3, failed: 0, skipped: 3, exitCode: EXIT.ok });
    expect(summary.message).toMatch(/^Snapshots created: 3, accepted: 0, failed: 0, transferred to /);
    const rows = await rowsByCollection(rig);
    expect([...rows.keys()].sort()).toEqual(["c1", "c2", "c3"]);
    const expected = {
      c1: { url: a, node: 0, points: 20, vectors: { size: 4, distance: "Cosine" }, aliases: ["c1-blue", "c1-live"] },
      c2: { url: a, node: 0, points: 7, vectors: { size: 3, distance: "Dot" }, aliases: [] },
      c3: { url: b, node: 1, points: 12, vectors: { size: 4, distance: "Cosine" }, aliases: [] },
    } as const;
    const wanted: string[] = [];
    for (const [collection, want] of Object.entries(expected)) {
      const row = rows.get(collection)!;
      expect(row.host).toBe(want.url);
      const key = `snapshots/${collection}/${row.name}`;
      wanted.push(key, `backup_metadata/${collection}/${row.name}.json`);
      const fromNode = await downloadFromNode(want.url, collection, row.name);
      const stored = await rig.dest.read(key);
      expect(fromNode, "the node keeps its copy").toBeDefined();
      expect(stored, `${key} is stored`).toBeDefined();
      const digest = sha256(stored!);
      expect(digest).toBe(sha256(fromNode!));
      const listed = (await nodeSnapshots(want.url, collection)).find((s) => s.name === row.name);
      expect(listed?.checksum, "Qdrant's own checksum").toBe(digest);
      expect(summary.items).toContainEqual({
        host: want.url,
        collection,
        snapshot: row.name,
        sha256: digest,
        outcome: "done",
      });

      const meta = parseJsonObject(await rig.dest.read(`backup_metadata/${collection}/${row.name}.json`));
      expect(meta).toMatchObject({
        format: 1,
        kind: "collection",
        snapshot: row.name,
        collection,
        source: { host: want.url, peerId: rig.emu.nodes[want.node]!.peerId },
        qdrantVersion: "1.19.0",
        pointsCount: want.points,
        aliases: want.aliases,
        size: stored!.length,
        sha256: digest,
      });
      expect(meta["collectionConfig"]).toMatchObject({ params: { vectors: want.vectors } });
    }
    // Nothing else: no partial objects, no checksum companions, nothing outside the layout.
    expect(await rig.dest.keys()).toEqual(wanted.sort());
  });

  it("with QDRANT_DELETE_AFTER_TRANSFER=true deletes the node's copy, and only after its transfer", async () => {
    const rig = await startTransferRig(`xfer-del-${dest}`, { dest });
    const [a = ""] = rig.urls;
    await seedCollection(a, "c1", { points: 5, dim: 2, apiKey: API_KEY });
    await seedCollection(a, "c2", { points: 6, dim: 2, apiKey: API_KEY });

    const summary = await run(
      {},
      rig.deps({ ...TRANSFER, QDRANT_DELETE_AFTER_TRANSFER: "true", QDRANT_SOURCE_HOSTS: a }),
    );

    expect(summary).toMatchObject({ done: 2, failed: 0, exitCode: EXIT.ok });
    const rows = await rowsByCollection(rig);
    expect([...rows.keys()]).toEqual(["c1", "c2"]);
    for (const [collection, { name }] of rows) {
      const log = rig.emu.requests().filter((r) => r.path === `/collections/${collection}/snapshots/${name}`);
      expect(log.map((r) => `${r.method} ${r.status}`)).toEqual(["GET 200", "DELETE 200"]);
      expect(await nodeSnapshots(a, collection)).toEqual([]);
      expect(await downloadFromNode(a, collection, name)).toBeUndefined();
      const stored = await rig.dest.read(`snapshots/${collection}/${name}`);
      expect(stored?.length).toBeGreaterThan(0);
      const meta = parseJsonObject(await rig.dest.read(`backup_metadata/${collection}/${name}.json`));
      expect(meta["sha256"]).toBe(sha256(stored!));
    }
  });

  it("a corrupted download fails the item: SHA-256 mismatch, nothing stored, the node keeps its copy, no row, exit 3", async () => {
    const rig = await startTransferRig(`xfer-bad-${dest}`, { dest });
    const node = rig.urls[0]!;
    await seedCollection(node, "bad", { points: 30, dim: 4, apiKey: API_KEY });
    await seedCollection(node, "good", { points: 5, dim: 4, apiKey: API_KEY });
    const proxy = await startTamperProxy(node);
    onTestFinished(() => proxy.close());
    proxy.add({ path: /^\/collections\/bad\/snapshots\/.+/, flipByteAt: 700 });
    const deps = rig.deps({ ...TRANSFER, QDRANT_DELETE_AFTER_TRANSFER: "true", QDRANT_SOURCE_HOSTS: proxy.url });

    const summary = await run({}, deps);

    expect(proxy.damaged()).toBe(1);
    expect(summary).toMatchObject({ done: 1, failed: 1, exitCode: EXIT.partial });
    const failed = summary.items.find((i) => i["outcome"] === "failed");
    expect(failed).toMatchObject({ host: proxy.url, collection: "bad" });
    expect(failed?.["error"]).toMatch(/SHA-256 mismatch: expected [0-9a-f]{64}, got [0-9a-f]{64}/);
    expect(
      deps.lines.some((l) =>
        /ERROR: Transfer of snapshot bad-\d+-.* failed \(the node keeps it; nothing is stored\)/.test(l),
      ),
    ).toBe(true);
    expect([...(await rowsByCollection(rig)).keys()]).toEqual(["good"]);
    expect((await rig.dest.keys()).filter((k) => k.includes("bad"))).toEqual([]);
    const kept = await nodeSnapshots(node, "bad");
    expect(kept).toHaveLength(1);
    expect(sha256((await downloadFromNode(node, "bad", kept[0]!.name))!)).toBe(kept[0]!.checksum);
    expect(rig.emu.requests().filter((r) => r.method === "DELETE" && r.path.startsWith("/collections/bad/"))).toEqual(
      [],
    );
  });

  it("a download that breaks off mid-body is started again; when it keeps breaking, the item fails with nothing stored", async () => {
    const rig = await startTransferRig(`xfer-cut-${dest}`, { dest });
    const node = rig.urls[0]!;
    await seedCollection(node, "once", { points: 30, dim: 4, apiKey: API_KEY });
    await seedCollection(node, "always", { points: 30, dim: 4, apiKey: API_KEY });
    const proxy = await startTamperProxy(node);
    onTestFinished(() => proxy.close());
    proxy.add({ path: /^\/collections\/once\/snapshots\/.+/, truncateAfter: 1000, times: 1 });
    proxy.add({ path: /^\/collections\/always\/snapshots\/.+/, truncateAfter: 1000 });
    const deps = rig.deps({
      ...TRANSFER,
      QDRANT_DELETE_AFTER_TRANSFER: "true",
      QDRANT_SOURCE_HOSTS: proxy.url,
      QDRANT_RETRIES: "2",
    });

    const summary = await run({}, deps);

    expect(summary).toMatchObject({ done: 1, failed: 1, exitCode: EXIT.partial });
    const downloads = (c: string) =>
      rig.emu.requests().filter((r) => r.method === "GET" && r.path.startsWith(`/collections/${c}/snapshots/`)).length;
    expect(downloads("once")).toBe(2);
    expect(downloads("always")).toBe(3);
    expect(summary.items.find((i) => i["outcome"] === "failed")).toMatchObject({ collection: "always" });
    const rows = await rowsByCollection(rig);
    expect([...rows.keys()]).toEqual(["once"]);
    const once = rows.get("once")!.name;
    expect(sha256((await rig.dest.read(`snapshots/once/${once}`))!)).toBe(
      parseJsonObject(await rig.dest.read(`backup_metadata/once/${once}.json`))["sha256"],
    );
    expect((await rig.dest.keys()).filter((k) => k.includes("always"))).toEqual([]);
    expect(await nodeSnapshots(node, "always")).toHaveLength(1);
    expect(await nodeSnapshots(node, "once")).toEqual([]);
  });
});

describe("transfer mode settings", () => {
  it.each([
    ["no destination", {}, /no backup destination: set QDRANT_S3_BUCKET_NAME \(S3\) or QDRANT_BACKUP_DIR/],
    [
      "both destinations",
      { QDRANT_BACKUP_DIR: "/tmp/somewhere" },
      /QDRANT_S3_BUCKET_NAME and QDRANT_BACKUP_DIR are both set/,
    ],
    [
      "QDRANT_WAIT_ON_TASK=false",
      { QDRANT_WAIT_ON_TASK: "false" },
      /QDRANT_SNAPSHOT_TRANSFER=true needs QDRANT_WAIT_ON_TASK=true/,
    ],
  ])("refuses %s with a configuration error (exit 2) before any request", async (label, extra, message) => {
    const rig = await startTransferRig("xfer-config", { dest: "s3" });
    await seedCollection(rig.urls[0]!, "c1", { points: 2, dim: 2, apiKey: API_KEY });
    rig.emu.resetRequests();
    const env: Record<string, string> = { ...TRANSFER, QDRANT_SOURCE_HOSTS: rig.urls[0]!, ...extra };
    const deps = rig.deps(env, { destination: label !== "no destination" });

    const err: unknown = await run({}, deps).then(
      () => undefined,
      (e: unknown) => e,
    );

    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).exitCode).toBe(EXIT.usage);
    expect((err as ConfigError).message).toMatch(message);
    expect(rig.emu.requests()).toEqual([]);
    expect(await rig.read("snapshots")).toBeUndefined();
  });
});

describe("transfer mode, nodes with S3 snapshot storage", () => {
  it("into the bucket the nodes already store in: nothing is copied and the node's copy (the backup itself) is never deleted", async () => {
    const rig = await startTransferRig("xfer-same-bucket", { dest: "s3", storage: "s3-destination" });
    const node = rig.urls[0]!;
    await seedCollection(node, "c1", { points: 9, dim: 2, apiKey: API_KEY });
    const deps = rig.deps({ ...TRANSFER, QDRANT_DELETE_AFTER_TRANSFER: "true", QDRANT_SOURCE_HOSTS: node });

    const summary = await run({}, deps);

    expect(summary).toMatchObject({ done: 1, failed: 0, exitCode: EXIT.ok });
    const name = (await rowsByCollection(rig)).get("c1")!.name;
    expect(rig.emu.requests().filter((r) => r.path.startsWith("/collections/c1/snapshots/"))).toEqual([]);
    const stored = await rig.dest.read(`snapshots/c1/${name}`);
    expect(sha256(stored!)).toBe(sha256((await downloadFromNode(node, "c1", name))!));
    const meta = parseJsonObject(await rig.dest.read(`backup_metadata/c1/${name}.json`));
    expect(meta).toMatchObject({ pointsCount: 9, size: stored!.length });
    expect(meta["sha256"], "Qdrant gives no checksum for S3-stored snapshots").toBeUndefined();
    expect(
      deps.lines.filter(
        (l) => l.includes("stores its snapshots in") && l.includes("QDRANT_DELETE_AFTER_TRANSFER is ignored"),
      ),
    ).toHaveLength(1);
  });

  it("from a bucket of their own: copied byte for byte and hashed by the tool; deleted from the node's bucket when asked", async () => {
    const clock = manualClock("2026-04-01T02:00:00Z");
    const rig = await startTransferRig("xfer-other-bucket", { dest: "s3", storage: "s3-other", clock: clock.now });
    const node = rig.urls[0]!;
    await seedCollection(node, "c1", { points: 9, dim: 2, apiKey: API_KEY });
    const nodeBucket = bucketView(rig.nodeBucket!);
    const first = "c1-" + String(rig.emu.nodes[0]!.peerId) + "-2026-04-01-02-00-00.snapshot";
    const second = "c1-" + String(rig.emu.nodes[0]!.peerId) + "-2026-04-01-03-00-00.snapshot";

    const kept = await run({}, rig.deps({ ...TRANSFER, QDRANT_SOURCE_HOSTS: node }));
    clock.set("2026-04-01T03:00:00Z");
    const deleted = await run(
      {},
      rig.deps({ ...TRANSFER, QDRANT_DELETE_AFTER_TRANSFER: "true", QDRANT_SOURCE_HOSTS: node }),
    );

    expect(kept).toMatchObject({ done: 1, failed: 0, exitCode: EXIT.ok });
    expect(deleted).toMatchObject({ done: 1, failed: 0, exitCode: EXIT.ok });
    expect(sortedLines(await rig.read("snapshots"))).toEqual([`${node},c1,${first}`, `${node},c1,${second}`]);
    const original = await nodeBucket.read(`snapshots/c1/${first}`);
    for (const name of [first, second]) {
      const stored = await rig.dest.read(`snapshots/c1/${name}`);
      const meta = parseJsonObject(await rig.dest.read(`backup_metadata/c1/${name}.json`));
      expect(meta["sha256"], "the tool's own digest: Qdrant gives none for S3-stored snapshots").toBe(sha256(stored!));
      expect(meta["size"]).toBe(stored!.length);
    }
    expect(sha256((await rig.dest.read(`snapshots/c1/${first}`))!)).toBe(sha256(original!));
    expect(await nodeBucket.keys("snapshots/")).toEqual([`snapshots/c1/${first}`]);
    expect(
      rig.emu
        .requests()
        .filter((r) => r.path === `/collections/c1/snapshots/${second}`)
        .map((r) => `${r.method} ${r.status}`),
    ).toEqual(["GET 200", "DELETE 200"]);
  });
});

describe("transfer mode, a download cut short cleanly from a node without checksums", () => {
  it("is caught by the size Qdrant reported: nothing stored, the node keeps its copy, exit 3", async () => {
    const rig = await startTransferRig("xfer-short", { dest: "dir", storage: "s3-other" });
    const node = rig.urls[0]!;
    await seedCollection(node, "short", { points: 30, dim: 4, apiKey: API_KEY });
    const proxy = await startTamperProxy(node);
    onTestFinished(() => proxy.close());
    proxy.add({ path: /^\/collections\/short\/snapshots\/.+/, truncateAfter: 1500, clean: true });
    const deps = rig.deps({ ...TRANSFER, QDRANT_DELETE_AFTER_TRANSFER: "true", QDRANT_SOURCE_HOSTS: proxy.url });

    const summary = await run({}, deps);

    expect(proxy.damaged()).toBe(1);
    expect(summary).toMatchObject({ done: 0, failed: 1, exitCode: EXIT.partial });
    expect(summary.items[0]?.["error"]).toMatch(/: 1500 bytes arrived, Qdrant reported \d+$/);
    expect(await rig.dest.keys()).toEqual([]);
    expect(await rig.read("snapshots")).toBeUndefined();
    expect(await nodeSnapshots(node, "short")).toHaveLength(1);
  });
});

describe("transfer mode and QDRANT_PER_HOST_CONCURRENCY", () => {
  it("never runs two transfers from one host at once at 1, while hosts transfer in parallel", async () => {
    const rig = await startTransferRig("xfer-per-host", { dest: "dir", nodes: 2 });
    for (const url of rig.urls)
      for (const c of ["p1", "p2", "p3"]) await seedCollection(url, c, { points: 3, dim: 2, apiKey: API_KEY });
    const probe = probeOverlap(rig.emu, "GET", DOWNLOAD, 150);
    const deps = rig.deps({
      ...TRANSFER,
      QDRANT_SOURCE_HOSTS: rig.urls.join(","),
      QDRANT_CONCURRENCY: "4",
      QDRANT_PER_HOST_CONCURRENCY: "1",
    });

    const summary = await run({}, deps);

    expect(summary).toMatchObject({ done: 6, failed: 0 });
    expect(probe.maxInFlight()).toEqual([1, 1]);
    expect(probe.maxInFlightOverall()).toBe(2);
  });
});
