// Backup metadata written by create_snap (without transfer mode): nodes with S3 snapshot storage writing into the
// destination bucket (the bash tool's setup) and nodes on local disk with a QDRANT_BACKUP_DIR; what the object holds,
// when it is not written (no destination, wait=false) and what a failure to gather or write it does to the run.
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, inject, it, onTestFinished } from "vitest";
import { buildCollectionMetadata, peerIdOfSnapshot } from "../../src/backup/collect.js";
import { parseMetadata, readMetadata } from "../../src/backup/metadata.js";
import { run } from "../../src/commands/create_snap.js";
import { ConfigError, EXIT } from "../../src/errors.js";
import { collectionSnapshotKey } from "../../src/core/keys.js";
import { createTestDeps } from "../support/deps.js";
import { createAlias, seedCollection } from "../support/emulator/seed.js";
import { clearS3Faults, setS3Faults } from "../support/s3/fault-admin.js";
import { itWithS3Faults } from "../support/s3/impl.js";
import { makeTempDir } from "../support/tmp.js";
import { sortedLines, startRig } from "./helpers/rig.js";
import { API_KEY, downloadFromNode, parseJsonObject, sha256, startTransferRig } from "./helpers/transfer-rig.js";

/** `collection → snapshot name` from the snapshots file. */
function namesOf(text: string | undefined): Map<string, string> {
  return new Map(
    sortedLines(text).map((l) => {
      const [, collection = "", name = ""] = l.split(",");
      return [collection, name];
    }),
  );
}

describe("backup metadata, nodes storing snapshots in the destination bucket (S3 snapshot storage)", () => {
  it("is written beside each snapshot, outside snapshots/, with host, peer, version, exact count, config, aliases and size", async () => {
    const rig = await startRig("meta-s3", { nodes: 2, version: "1.19.4" });
    const [a = "", b = ""] = rig.urls;
    await seedCollection(a, "docs", { points: 37, dim: 6, distance: "Euclid" });
    await seedCollection(b, "users", { points: 11, dim: 2 });
    await createAlias(a, "docs", "docs-live");
    await createAlias(a, "docs", "archive");
    await createAlias(b, "users", "people");
    const deps = rig.deps({ QDRANT_SOURCE_HOSTS: `${a},${b}` });

    const summary = await run({}, deps);

    expect(summary).toMatchObject({ done: 2, failed: 0, exitCode: EXIT.ok });
    const names = namesOf(await rig.read("snapshots"));
    const want = {
      docs: {
        host: a,
        node: 0,
        points: 37,
        vectors: { size: 6, distance: "Euclid" },
        aliases: ["archive", "docs-live"],
      },
      users: { host: b, node: 1, points: 11, vectors: { size: 2, distance: "Cosine" }, aliases: ["people"] },
    };
    for (const [collection, w] of Object.entries(want)) {
      const name = names.get(collection)!;
      const key = `backup_metadata/${collection}/${name}.json`;
      expect(await rig.bucket.has(key), key).toBe(true);
      // Read back through the tool's own reader (as recover_snap does) and as raw JSON.
      const meta = await readMetadata(deps.store(), collectionSnapshotKey(collection, name));
      const size = (await deps.store().head(`snapshots/${collection}/${name}`))?.size;
      expect(meta).toMatchObject({
        format: 1,
        kind: "collection",
        snapshot: name,
        collection,
        source: { host: w.host, peerId: rig.emu.nodes[w.node]!.peerId },
        qdrantVersion: "1.19.4",
        pointsCount: w.points,
        aliases: w.aliases,
        size,
      });
      expect(meta?.sha256, "Qdrant gives no checksum for S3-stored snapshots").toBeUndefined();
      expect(meta?.collectionConfig).toMatchObject({ params: { vectors: w.vectors } });
      expect(Date.parse(meta!.createdAt)).toBeGreaterThan(Date.now() - 60_000);
    }
    // Qdrant's recursive listing of snapshots/ sees only snapshots.
    expect((await rig.bucket.keys("snapshots/")).every((k) => k.endsWith(".snapshot"))).toBe(true);
    expect(await rig.bucket.keys("backup_metadata/")).toHaveLength(2);
  });

  it("takes the exact count right before each snapshot, on the host that takes it", async () => {
    const rig = await startRig("meta-order", { nodes: 2 });
    for (const url of rig.urls) for (const c of ["o1", "o2"]) await seedCollection(url, c, { points: 3, dim: 2 });
    rig.emu.resetRequests();

    // One collection at a time, so that each node's request log is one sequence.
    const summary = await run({}, rig.deps({ QDRANT_SOURCE_HOSTS: rig.urls.join(","), QDRANT_CONCURRENCY: "1" }));

    expect(summary).toMatchObject({ done: 4, failed: 0 });
    for (const node of [0, 1]) {
      const seen = rig.emu
        .requests()
        .filter((r) => r.node === node)
        .map((r) => `${r.method} ${r.path}`);
      for (const c of ["o1", "o2"]) {
        const snap = seen.indexOf(`POST /collections/${c}/snapshots`);
        expect(snap).toBeGreaterThan(0);
        expect(seen[snap - 1], `node ${node}: the request before the snapshot of ${c}`).toBe(
          `POST /collections/${c}/points/count`,
        );
      }
    }
  });

  it("in a cluster: one object per peer's snapshot, naming that peer; the count is the whole collection's", async () => {
    const rig = await startRig("meta-cluster", {
      cluster: { peers: 3, shards: 3, replicationFactor: 1 },
      peerIds: [30, 20, 10],
    });
    const [first = ""] = rig.urls;
    await seedCollection(first, "spread", { points: 40, dim: 3 });
    const deps = rig.deps({
      QDRANT_SOURCE_HOSTS: first,
      GET_PEERS_FROM_CLUSTER_INFO: "true",
      QDRANT_HTTP_PORT: String(rig.emu.nodes[0]!.port),
    });

    const summary = await run({}, deps);

    expect(summary).toMatchObject({ done: 3, failed: 0 });
    const rows = sortedLines(await rig.read("snapshots")).map((l) => l.split(","));
    expect(rows).toHaveLength(3);
    for (const [host = "", collection = "", name = ""] of rows) {
      const meta = await readMetadata(deps.store(), collectionSnapshotKey(collection, name));
      const node = rig.emu.nodes.find((n) => n.url === host)!;
      expect(meta).toMatchObject({ source: { host, peerId: node.peerId }, pointsCount: 40 });
    }
  });

  itWithS3Faults(
    "when a metadata write fails: every snapshot is still taken and recorded, each item fails, exit 3",
    async () => {
      const rig = await startRig("meta-put-fails", { nodes: 1 });
      const [a = ""] = rig.urls;
      await seedCollection(a, "m1", { points: 2, dim: 2 });
      await seedCollection(a, "m2", { points: 2, dim: 2 });
      // Only the tool's single-part writes: Qdrant's own snapshot uploads are multipart.
      await setS3Faults(rig.s3info.endpoint, {
        rate: 1,
        statuses: [500],
        operations: ["PutObject"],
        bucket: rig.bucket.name,
      });
      onTestFinished(() => clearS3Faults(rig.s3info.endpoint, rig.bucket.name));
      const deps = rig.deps({ QDRANT_SOURCE_HOSTS: a });

      const summary = await run({}, deps);

      expect(summary).toMatchObject({ done: 0, failed: 2, exitCode: EXIT.partial });
      expect([...namesOf(await rig.read("snapshots")).keys()]).toEqual(["m1", "m2"]);
      expect(await rig.bucket.keys("snapshots/")).toHaveLength(2);
      for (const item of summary.items)
        expect(item["error"]).toMatch(/^no backup metadata was written: S3 upload to s3:\/\/.*backup_metadata\/m\d\//);
      expect(
        deps.lines.filter((l) => /ERROR: Snapshot m\d-.* is recorded, but no backup metadata was written/.test(l)),
      ).toHaveLength(2);
    },
  );

  it("when the facts cannot be read (count fails): the snapshot is still taken and recorded, the item fails, no object", async () => {
    const rig = await startRig("meta-count-fails", { nodes: 1 });
    const [a = ""] = rig.urls;
    await seedCollection(a, "f1", { points: 2, dim: 2 });
    await seedCollection(a, "f2", { points: 3, dim: 2 });
    rig.emu.faults.add({ method: "POST", path: "/collections/f1/points/count", status: 500 });
    const deps = rig.deps({ QDRANT_SOURCE_HOSTS: a });

    const summary = await run({}, deps);

    expect(summary).toMatchObject({ done: 1, failed: 1, exitCode: EXIT.partial });
    expect(summary.items.find((i) => i["outcome"] === "failed")).toMatchObject({
      collection: "f1",
      error: expect.stringMatching(/^no backup metadata was written: .*points\/count: 500/),
    });
    const names = namesOf(await rig.read("snapshots"));
    expect([...names.keys()]).toEqual(["f1", "f2"]);
    expect(await rig.bucket.keys("backup_metadata/")).toEqual([`backup_metadata/f2/${names.get("f2")}.json`]);
  });

  it("with QDRANT_WAIT_ON_TASK=false: accepted snapshots have no name yet, so no metadata, with one notice", async () => {
    const rig = await startRig("meta-nowait", { nodes: 1 });
    for (const c of ["w1", "w2"]) await seedCollection(rig.urls[0]!, c, { points: 2, dim: 2 });
    const deps = rig.deps({ QDRANT_SOURCE_HOSTS: rig.urls[0]!, QDRANT_WAIT_ON_TASK: "false" });

    const summary = await run({}, deps);

    expect(summary).toMatchObject({ accepted: 2, failed: 0, exitCode: EXIT.ok });
    expect(deps.lines.filter((l) => l.includes("no backup metadata is written for them"))).toHaveLength(1);
    expect(await rig.bucket.keys("backup_metadata/")).toEqual([]);
  });
});

describe("backup metadata, nodes on local disk with QDRANT_BACKUP_DIR", () => {
  it("holds Qdrant's checksum, which is the SHA-256 of the node's snapshot; the snapshot itself stays on the node", async () => {
    const rig = await startTransferRig("meta-dir", { dest: "dir", nodes: 1 });
    const [a = ""] = rig.urls;
    await seedCollection(a, "local", { points: 25, dim: 5, apiKey: API_KEY });

    const summary = await run({}, rig.deps({ QDRANT_SOURCE_HOSTS: a }));

    expect(summary).toMatchObject({ done: 1, failed: 0, exitCode: EXIT.ok });
    const name = namesOf(await rig.read("snapshots")).get("local")!;
    expect(await rig.dest.keys()).toEqual([`backup_metadata/local/${name}.json`]);
    const meta = parseMetadata(parseJsonObject(await rig.dest.read(`backup_metadata/local/${name}.json`)));
    const bytes = (await downloadFromNode(a, "local", name))!;
    expect(meta).toMatchObject({
      pointsCount: 25,
      size: bytes.length,
      sha256: sha256(bytes),
      source: { host: a, peerId: rig.emu.nodes[0]!.peerId },
    });
  });

  it("a destination that cannot be written fails each item after its row (exit 3), instead of stopping the backup", async () => {
    const rig = await startTransferRig("meta-dir-broken", { dest: "dir", nodes: 1 });
    const [a = ""] = rig.urls;
    await seedCollection(a, "d1", { points: 2, dim: 2, apiKey: API_KEY });
    await seedCollection(a, "d2", { points: 2, dim: 2, apiKey: API_KEY });
    // A real directory, but where the metadata folder should go there is a file: every metadata write fails.
    const backups = path.join(rig.stateDir, "backups");
    await mkdir(backups);
    await writeFile(path.join(backups, "backup_metadata"), "x");

    const summary = await run({}, rig.deps({ QDRANT_SOURCE_HOSTS: a, QDRANT_BACKUP_DIR: backups }));

    expect(summary).toMatchObject({ done: 0, failed: 2, exitCode: EXIT.partial });
    expect([...namesOf(await rig.read("snapshots")).keys()]).toEqual(["d1", "d2"]);
    for (const item of summary.items)
      expect(item["error"]).toMatch(
        /no backup metadata was written: backup directory .*backups: cannot write .*backup_metadata/,
      );
  });
});

describe("backup metadata settings", () => {
  it("without a destination the bash-compatible create_snap runs as before, with one notice and no store access", async () => {
    const rig = await startTransferRig("meta-none", { dest: "dir", nodes: 2 });
    for (const url of rig.urls)
      for (const c of ["n1", "n2"]) await seedCollection(url, c, { points: 2, dim: 2, apiKey: API_KEY });
    // Test deps throw on store() when neither destination variable is set: any use would fail the items.
    const deps = rig.deps({ QDRANT_SOURCE_HOSTS: rig.urls.join(",") }, { destination: false });

    const summary = await run({}, deps);

    expect(summary).toMatchObject({ done: 4, failed: 0, exitCode: EXIT.ok });
    expect(deps.lines.filter((l) => l.includes("no backup metadata is written"))).toHaveLength(1);
    expect(rig.emu.requests().filter((r) => r.path.endsWith("/points/count") || r.path === "/aliases")).toEqual([]);
    expect(await rig.dest.keys()).toEqual([]);
  });

  it("both destinations set is a configuration error (exit 2) before any request", async () => {
    const s3 = inject("s3");
    const tmp = await makeTempDir("meta-both");
    onTestFinished(tmp.cleanup);
    const deps = createTestDeps(
      {
        QDRANT_SOURCE_HOSTS: "http://127.0.0.1:9",
        QDRANT_S3_BUCKET_NAME: "some-bucket",
        QDRANT_S3_ENDPOINT_URL: s3.endpoint,
        QDRANT_BACKUP_DIR: tmp.dir,
      },
      { stateDir: tmp.dir },
    );
    onTestFinished(() => deps.close());

    const err: unknown = await run({}, deps).then(
      () => undefined,
      (e: unknown) => e,
    );

    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).exitCode).toBe(EXIT.usage);
    expect((err as ConfigError).message).toMatch(
      /create_snap: QDRANT_S3_BUCKET_NAME and QDRANT_BACKUP_DIR are both set/,
    );
  });
});

describe("metadata helpers", () => {
  it("reads the peer id from Qdrant's collection snapshot names, and nothing from other shapes", () => {
    expect(peerIdOfSnapshot("c-1", "c-1-5395573004126424-2026-03-01-08-00-00.snapshot")).toBe(5395573004126424);
    expect(peerIdOfSnapshot("a", "a-7-2026-03-01-08-00-00.snapshot")).toBe(7);
    expect(peerIdOfSnapshot("a", "a-2026-03-01-08-00-00.snapshot")).toBeUndefined();
    expect(peerIdOfSnapshot("a", "a-shard-0-2026-03-01-08-00-00.snapshot")).toBeUndefined();
    expect(peerIdOfSnapshot("a", "b-7-2026-03-01-08-00-00.snapshot")).toBeUndefined();
    expect(peerIdOfSnapshot("a", "uploaded.snapshot")).toBeUndefined();
  });

  it("builds objects the tool's own parser accepts, without the fields it does not know", () => {
    const meta = buildCollectionMetadata({
      host: "http://q:6333",
      collection: "c",
      snapshot: "c-9-2026-03-01-08-00-00.snapshot",
      facts: { qdrantVersion: undefined, status: "green", pointsCount: 0, collectionConfig: undefined, aliases: [] },
      size: 10,
      sha256: "AB".repeat(32),
      createdAt: new Date("2026-03-01T08:00:01Z"),
    });
    expect(meta).toEqual({
      format: 1,
      kind: "collection",
      snapshot: "c-9-2026-03-01-08-00-00.snapshot",
      collection: "c",
      source: { host: "http://q:6333", peerId: 9 },
      pointsCount: 0,
      aliases: [],
      size: 10,
      sha256: "ab".repeat(32),
      createdAt: "2026-03-01T08:00:01.000Z",
    });
    expect(parseMetadata(JSON.parse(JSON.stringify(meta)))).toEqual(meta);
  });
});
