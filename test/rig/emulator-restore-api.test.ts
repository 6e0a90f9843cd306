// What a restore touches besides snapshots: payload indexes, vector and sample queries, collection create with a full
// config and Qdrant's replica placement.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type Emulator } from "../support/emulator/index.js";
import { seedCollection } from "../support/emulator/seed.js";
import { readTar } from "../support/emulator/tar.js";
import { call } from "../support/emulator/test-http.js";
import { assertCollectionInfo, expectError, expectOk } from "../support/emulator/validators.js";

let emu: Emulator;
let clu: Emulator;
let a = "";

interface Scored {
  id: number;
  score: number;
  payload?: Record<string, unknown>;
  vector?: unknown;
}

const query = async (url: string, c: string, body: unknown): Promise<Scored[]> => {
  const r = await call(url, "POST", `/collections/${c}/points/query`, { body });
  return (expectOk(r.json) as { points: Scored[] }).points;
};

const upsert = async (url: string, c: string, points: unknown[]): Promise<void> => {
  expect((await call(url, "PUT", `/collections/${c}/points?wait=true`, { body: { points } })).status).toBe(200);
};

beforeAll(async () => {
  emu = await startEmulator();
  clu = await startEmulator({ cluster: { peers: 3 } });
  a = emu.urls[0] ?? "";
  await seedCollection(a, "idx", { points: 20, dim: 4 });
});
afterAll(async () => {
  await Promise.allSettled([emu.stop(), clu.stop()]);
});

describe("payload indexes", () => {
  it("creates indexes by type name and by params and reports them in payload_schema as Qdrant does", async () => {
    const put = (body: unknown, q = "?wait=true") => call(a, "PUT", `/collections/idx/index${q}`, { body });
    expect(expectOk((await put({ field_name: "group", field_schema: "keyword" })).json)).toMatchObject({
      status: "completed",
    });
    const tenant = { type: "keyword", is_tenant: true };
    expect(expectOk((await put({ field_name: "name", field_schema: tenant }, "")).json)).toMatchObject({
      status: "acknowledged",
    });
    await put({ field_name: "absent", field_schema: "integer" });
    const info = expectOk((await call(a, "GET", "/collections/idx")).json);
    assertCollectionInfo(info);
    expect(info.payload_schema).toEqual({
      group: { data_type: "keyword", points: 20 },
      name: { data_type: "keyword", params: tenant, points: 20 },
      absent: { data_type: "integer", points: 0 },
    });
    expect((await call(a, "DELETE", "/collections/idx/index/absent?wait=true")).status).toBe(200);
    const after = expectOk((await call(a, "GET", "/collections/idx")).json) as { payload_schema: object };
    expect(Object.keys(after.payload_schema).sort()).toEqual(["group", "name"]);
  });

  it("carries the schema in a collection snapshot's payload_index.json and each segment's own index config", async () => {
    const d = expectOk((await call(a, "POST", "/collections/idx/snapshots?wait=true")).json) as { name: string };
    const tar = await readTar((await call(a, "GET", `/collections/idx/snapshots/${d.name}`)).bytes);
    const schema = { group: "keyword", name: { type: "keyword", is_tenant: true } };
    expect(JSON.parse(tar.get("payload_index.json")?.toString() ?? "null")).toEqual({ schema });
    const segment = [...tar.keys()].find((k) => /^0\/segments\/[^/]+\.tar$/.test(k));
    const inner = await readTar(tar.get(segment ?? "") ?? Buffer.alloc(0));
    const config = inner.get("snapshot/files/payload_index/config.json")?.toString() ?? "null";
    expect(JSON.parse(config)).toEqual({ indexed_fields: schema });
  });

  it("refuses an unknown type (400 format error), a missing schema (400) and a missing collection (404)", async () => {
    const bad = await call(a, "PUT", "/collections/idx/index", { body: { field_name: "x", field_schema: "blob" } });
    expect(bad.status).toBe(400);
    expect(expectError(bad.json)).toMatch(/^Format error in JSON body: field_schema: data did not match/);
    const none = await call(a, "PUT", "/collections/idx/index", { body: { field_name: "x" } });
    expect(none.status).toBe(400);
    expect(expectError(none.json)).toBe(
      "Bad request: Can't auto-detect field type, please specify `field_schema` in the request",
    );
    const gone = await call(a, "PUT", "/collections/nope/index", { body: { field_name: "x", field_schema: "bool" } });
    expect(gone.status).toBe(404);
  });
});

describe("points/query and points/search", () => {
  const vectors: Record<number, number[]> = { 1: [1, 0], 2: [0.9, 0.1], 3: [-1, 0], 4: [3, 0.5], 5: [0, 1] };
  const points = Object.entries(vectors).map(([id, vector]) => ({
    id: Number(id),
    vector,
    payload: { id: Number(id) },
  }));

  it.each([
    ["Cosine", [1, 2, 4, 5, 3], 1],
    ["Dot", [4, 1, 2, 5, 3], 3],
    ["Euclid", [1, 2, 5, 3, 4], 0],
    ["Manhattan", [1, 2, 3, 5, 4], 0], // 3 and 5 tie at 2: by id
  ] as const)(
    "ranks by %s as Qdrant does (best first, distances ascending, ties by id)",
    async (distance, order, top) => {
      const c = `q-${distance}`;
      await call(a, "PUT", `/collections/${c}`, { body: { vectors: { size: 2, distance } } });
      await upsert(a, c, points);
      const hits = await query(a, c, { query: [1, 0], limit: 10 });
      expect(hits.map((h) => h.id)).toEqual(order);
      expect(hits[0]).toEqual({ id: order[0], version: 0, score: top });
      if (distance === "Euclid") expect(hits.find((h) => h.id === 4)?.score).toBeCloseTo(Math.sqrt(4.25));
      const nearest = await query(a, c, { query: { nearest: [1, 0] }, limit: 2, with_payload: true });
      expect(nearest.map((h) => [h.id, h.payload])).toEqual(order.slice(0, 2).map((id) => [id, { id }]));
    },
  );

  it("queries a named vector with `using`; refuses a missing name and a wrong dimension as Qdrant words them", async () => {
    const body = { vectors: { img: { size: 2, distance: "Dot" }, txt: { size: 3, distance: "Euclid" } } };
    await call(a, "PUT", "/collections/named", { body });
    await upsert(a, "named", [
      { id: 1, vector: { img: [1, 0], txt: [0, 0, 1] } },
      { id: 2, vector: { img: [0, 1], txt: [0, 0, 0] } },
    ]);
    const hits = await query(a, "named", { query: [0, 0, 1], using: "txt", limit: 1, with_vector: true });
    expect(hits).toEqual([{ id: 1, version: 0, score: 0, vector: { img: [1, 0], txt: [0, 0, 1] } }]);
    const unnamed = await call(a, "POST", "/collections/named/points/query", { body: { query: [1, 0] } });
    expect(unnamed.status).toBe(400);
    expect(expectError(unnamed.json)).toBe("Wrong input: Not existing vector name error: ");
    const dim = await call(a, "POST", "/collections/named/points/query", { body: { query: [1], using: "img" } });
    expect(expectError(dim.json)).toBe("Wrong input: Vector dimension error: expected dim: 2, got 1");
    const search = await call(a, "POST", "/collections/named/points/search", {
      body: { vector: { name: "img", vector: [0, 1] }, limit: 1, with_payload: true },
    });
    expect(expectOk(search.json)).toEqual([{ id: 2, version: 0, score: 1, payload: {} }]);
  });

  it("samples distinct random points (score 1) with payloads and vectors, at most `limit`", async () => {
    const body = { query: { sample: "random" }, limit: 7, with_payload: true, with_vector: true };
    const hits = await query(a, "idx", body);
    expect(hits).toHaveLength(7);
    expect(new Set(hits.map((h) => h.id)).size).toBe(7);
    for (const h of hits) expect(h).toMatchObject({ score: 1, payload: { n: h.id }, vector: expect.any(Array) });
    expect(await query(a, "idx", { ...body, limit: 100 })).toHaveLength(20);
    const bare = await query(a, "idx", { query: { sample: "random" }, limit: 3 });
    expect(bare.every((h) => !("payload" in h) && !("vector" in h))).toBe(true);
  });
});

describe("collection create and placement", () => {
  const full = {
    vectors: { dense: { size: 4, distance: "Cosine", on_disk: true }, small: { size: 2, distance: "Manhattan" } },
    shard_number: 4,
    replication_factor: 2,
    write_consistency_factor: 2,
    on_disk_payload: false,
    hnsw_config: { m: 32, ef_construct: 200 },
    optimizers_config: { indexing_threshold: 0 },
    wal_config: { wal_capacity_mb: 64 },
    quantization_config: { scalar: { type: "int8", always_ram: true } },
    strict_mode_config: { enabled: false },
    metadata: { team: "search" },
    sparse_vectors: { bm25: { modifier: "idf" } },
  };

  it("keeps every part of a full config and reads it back in GET /collections/{c}", async () => {
    const u = clu.urls[0] ?? "";
    expect(expectOk((await call(u, "PUT", "/collections/full", { body: full })).json)).toBe(true);
    const info = expectOk((await call(clu.urls[2] ?? "", "GET", "/collections/full")).json);
    assertCollectionInfo(info);
    expect(info.config).toMatchObject({
      params: {
        vectors: full.vectors,
        shard_number: 4,
        replication_factor: 2,
        write_consistency_factor: 2,
        on_disk_payload: false,
        sparse_vectors: full.sparse_vectors,
      },
      hnsw_config: { m: 32, ef_construct: 200, full_scan_threshold: 10000 },
      optimizer_config: { indexing_threshold: 0, deleted_threshold: 0.2 },
      wal_config: { wal_capacity_mb: 64, wal_segments_ahead: 0 },
      quantization_config: full.quantization_config,
      strict_mode_config: { enabled: false },
      metadata: { team: "search" },
    });
    expect(expectOk((await call(u, "DELETE", "/collections/full")).json)).toBe(true);
    expect(expectOk((await call(u, "DELETE", "/collections/full")).json)).toBe(false);
  });

  it("places replicas as Qdrant's distribution proposal: round-robin, min(RF, peers) per shard, balanced", async () => {
    const u = clu.urls[0] ?? "";
    const peers = clu.cluster.peers().map((p) => p.peerId);
    const holders = async (c: string): Promise<bigint[][]> => {
      const out: bigint[][] = [];
      for (const p of clu.cluster.peers()) {
        const info = expectOk((await call(p.url, "GET", `/collections/${c}/cluster`)).json) as {
          local_shards: { shard_id: number }[];
        };
        for (const s of info.local_shards) (out[s.shard_id] ??= []).push(p.peerId);
      }
      return out;
    };
    await call(u, "PUT", "/collections/rf2", {
      body: { vectors: { size: 2, distance: "Dot" }, shard_number: 3, replication_factor: 2 },
    });
    // order[(s * n + r) mod P]: shard 0 → p0 p1, shard 1 → p2 p0, shard 2 → p1 p2 (each peer holds 2).
    expect(await holders("rf2")).toEqual([
      [peers[0], peers[1]],
      [peers[0], peers[2]],
      [peers[1], peers[2]],
    ]);
    await call(u, "PUT", "/collections/rf5", {
      body: { vectors: { size: 2, distance: "Dot" }, shard_number: 2, replication_factor: 5 },
    });
    expect((await holders("rf5")).map((h) => h.length)).toEqual([3, 3]);
    const info = expectOk((await call(u, "GET", "/collections/rf5")).json) as { config: { params: object } };
    expect(info.config.params).toMatchObject({ replication_factor: 5 });
  });
});
