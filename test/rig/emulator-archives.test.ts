// Archive layout: collection, full and shard snapshots are real tars with Qdrant's top-level shape.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type Emulator } from "../support/emulator/index.js";
import { createAlias, readAllPoints, seedCollection } from "../support/emulator/seed.js";
import { readTar } from "../support/emulator/tar.js";
import { call } from "../support/emulator/test-http.js";
import {
  assertCollectionClusterInfo,
  assertSnapshotDescription,
  assertSnapshotList,
  expectError,
  expectOk,
} from "../support/emulator/validators.js";

const PEER = 77;
let emu: Emulator;
let url = "";

async function download(path: string): Promise<Map<string, Buffer>> {
  const r = await call(url, "GET", path);
  expect(r.status).toBe(200);
  return readTar(r.bytes);
}

const jsonOf = (m: Map<string, Buffer>, key: string): unknown => JSON.parse(m.get(key)?.toString("utf8") ?? "null");

beforeAll(async () => {
  emu = await startEmulator({ peerIds: [PEER], clock: () => new Date("2026-01-02T03:04:05Z") });
  url = emu.urls[0] ?? "";
  await seedCollection(url, "arc", { points: 12, dim: 3, shards: 2 });
  await seedCollection(url, "second", { points: 2, dim: 2 });
  await createAlias(url, "arc", "arc-live");
});
afterAll(() => emu.stop());

describe("collection snapshot", () => {
  it("has config.json, version.info, payload_index.json, shard_key_mapping.json and one dir per shard", async () => {
    const d = expectOk((await call(url, "POST", "/collections/arc/snapshots")).json);
    assertSnapshotDescription(d);
    const m = await download(`/collections/arc/snapshots/${d.name}`);
    expect(m.get("version.info")?.toString()).toBe("1.19.0");
    expect(jsonOf(m, "shard_key_mapping.json")).toEqual([]);
    expect(jsonOf(m, "payload_index.json")).toEqual({ schema: {} });
    expect(jsonOf(m, "config.json")).toMatchObject({
      params: { vectors: { size: 3, distance: "Cosine" }, shard_number: 2, replication_factor: 1 },
      hnsw_config: { m: 16, ef_construct: 100 },
      optimizer_config: { flush_interval_sec: 5 },
      wal_config: { wal_capacity_mb: 32 },
      quantization_config: null,
      uuid: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
    for (const shard of ["0", "1"]) {
      expect(jsonOf(m, `${shard}/replica_state.json`)).toEqual({
        is_local: true,
        this_peer_id: PEER,
        peers: { [PEER]: "Active" },
      });
      expect(jsonOf(m, `${shard}/shard_config.json`)).toEqual({ type: "ReplicaSet" });
      const segments = [...m.keys()].filter((k) => k.startsWith(`${shard}/segments/`) && k.endsWith(".tar"));
      expect(segments).toHaveLength(1);
      const inner = await readTar(m.get(segments[0] ?? "") ?? Buffer.alloc(0));
      expect([...inner.keys()]).toContain("snapshot/files/segment.json");
      expect([...m.keys()].some((k) => k.startsWith(`${shard}/wal/`))).toBe(true);
    }
  });
});

describe("segment padding", () => {
  it("makes archives bigger by the configured incompressible bytes per segment", async () => {
    const padded = await startEmulator({ segmentPaddingBytes: 1 << 20 });
    try {
      const u = padded.urls[0] ?? "";
      await seedCollection(u, "pad", { points: 3, dim: 2, shards: 2 });
      const d = expectOk((await call(u, "POST", "/collections/pad/snapshots")).json);
      assertSnapshotDescription(d);
      expect(d.size).toBeGreaterThan(2 << 20);
      expect(await readAllPoints(u, "pad")).toHaveLength(3);
    } finally {
      await padded.stop();
    }
  });
});

describe("full snapshot", () => {
  it("tars fresh collection snapshots plus a mapping and the aliases", async () => {
    const d = expectOk((await call(url, "POST", "/snapshots")).json);
    assertSnapshotDescription(d);
    expect(d.name).toBe("full-snapshot-2026-01-02-03-04-05.snapshot");
    const m = await download(`/snapshots/${d.name}`);
    const inner = `arc-${PEER}-2026-01-02-03-04-05.snapshot`;
    expect(jsonOf(m, "config.json")).toEqual({
      collections_mapping: { arc: inner, second: `second-${PEER}-2026-01-02-03-04-05.snapshot` },
      collections_aliases: { "arc-live": "arc" },
    });
    const nested = await readTar(m.get(inner) ?? Buffer.alloc(0));
    expect(nested.has("config.json")).toBe(true);
    // The inner snapshots were moved into the archive, so they are no longer listed.
    const list = expectOk((await call(url, "GET", "/collections/arc/snapshots")).json);
    assertSnapshotList(list);
    expect(list.map((s) => s.name)).not.toContain(inner);
    const fulls = expectOk((await call(url, "GET", "/snapshots")).json);
    assertSnapshotList(fulls);
    expect(fulls.map((s) => s.name)).toEqual([d.name]);
  });
});

describe("shard snapshots", () => {
  it("holds one shard dir at the root and recovers by bare name", async () => {
    const d = expectOk((await call(url, "POST", "/collections/arc/shards/1/snapshots")).json);
    assertSnapshotDescription(d);
    expect(d.name).toBe("arc-shard-1-2026-01-02-03-04-05.snapshot");
    const m = await download(`/collections/arc/shards/1/snapshots/${d.name}`);
    expect(m.has("config.json")).toBe(false);
    expect(m.has("replica_state.json")).toBe(true);
    const before = await readAllPoints(url, "arc");
    const cluster = expectOk((await call(url, "GET", "/collections/arc/cluster")).json);
    assertCollectionClusterInfo(cluster);
    const shard1 = cluster.local_shards.find((s) => s.shard_id === 1)?.points_count;
    await call(url, "POST", "/collections/arc/points/delete?wait=true", { body: { filter: {} } });
    expect(
      (await call(url, "PUT", "/collections/arc/shards/1/snapshots/recover", { body: { location: d.name } })).status,
    ).toBe(200);
    const after = await readAllPoints(url, "arc");
    expect(after.length).toBe(shard1);
    expect(after.every((p) => before.some((q) => JSON.stringify(q) === JSON.stringify(p)))).toBe(true);
    const list = expectOk((await call(url, "GET", "/collections/arc/shards/1/snapshots")).json);
    assertSnapshotList(list);
    expect(list.map((s) => s.name)).toEqual([d.name]);
  });

  it("404s an unknown shard and rejects file:// locations", async () => {
    const r = await call(url, "GET", "/collections/arc/shards/7/snapshots");
    expect(r.status).toBe(404);
    expect(expectError(r.json)).toBe("Not found: shard 7 not found");
    const f = await call(url, "PUT", "/collections/arc/shards/0/snapshots/recover", {
      body: { location: "file:///etc/passwd" },
    });
    expect(f.status).toBe(400);
    expect(expectError(f.json)).toBe(
      "Wrong input: Invalid snapshot URL file:///etc/passwd: URLs with file scheme are not supported",
    );
    const missing = await call(url, "PUT", "/collections/arc/shards/0/snapshots/recover", {
      body: { location: "nope.snapshot" },
    });
    expect(missing.status).toBe(404);
  });

  it("deletes a shard snapshot; a second delete is 404", async () => {
    const name = "arc-shard-1-2026-01-02-03-04-05.snapshot";
    expect((await call(url, "DELETE", `/collections/arc/shards/1/snapshots/${name}`)).status).toBe(200);
    expect((await call(url, "DELETE", `/collections/arc/shards/1/snapshots/${name}`)).status).toBe(404);
  });
});
