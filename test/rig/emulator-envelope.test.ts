// The emulator answers with Qdrant's envelopes and its error table (codes and message forms).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type Emulator } from "../support/emulator/index.js";
import { seedCollection } from "../support/emulator/seed.js";
import { call } from "../support/emulator/test-http.js";
import {
  assertCollectionInfo,
  assertCollectionsResponse,
  expectError,
  expectOk,
} from "../support/emulator/validators.js";

let emu: Emulator;
let url = "";

beforeAll(async () => {
  emu = await startEmulator({ version: "1.19.0" });
  url = emu.urls[0] ?? "";
  await seedCollection(url, "env", { points: 3, dim: 4 });
});
afterAll(() => emu.stop());

describe("envelope", () => {
  it("wraps results in {result, status:'ok', time}", async () => {
    const r = await call(url, "GET", "/collections");
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toContain("application/json");
    const result = expectOk(r.json);
    assertCollectionsResponse(result);
    expect(result.collections).toEqual([{ name: "env" }]);
  });

  it("answers GET / with a bare VersionInfo (no envelope)", async () => {
    const r = await call(url, "GET", "/");
    expect(r.json).toEqual({
      title: "qdrant - vector search engine",
      version: "1.19.0",
      commit: expect.stringMatching(/^[0-9a-f]{40}$/),
    });
  });

  it("reports CollectionInfo with the default config", async () => {
    const info = expectOk((await call(url, "GET", "/collections/env")).json);
    assertCollectionInfo(info);
    expect(info.points_count).toBe(3);
    expect(info.config.params).toEqual({
      vectors: { size: 4, distance: "Cosine" },
      shard_number: 1,
      replication_factor: 1,
      write_consistency_factor: 1,
      on_disk_payload: true,
    });
    expect(info.config.wal_config).toMatchObject({ wal_capacity_mb: 32, wal_segments_ahead: 0 });
  });
});

describe("error table", () => {
  it("404 for a missing collection, with no result key", async () => {
    const r = await call(url, "GET", "/collections/missing");
    expect(r.status).toBe(404);
    expect(expectError(r.json)).toBe("Not found: Collection `missing` doesn't exist!");
  });

  it("409 when creating an existing collection", async () => {
    const r = await call(url, "PUT", "/collections/env", { body: { vectors: { size: 4, distance: "Cosine" } } });
    expect(r.status).toBe(409);
    expect(expectError(r.json)).toBe("Wrong input: Collection `env` already exists!");
  });

  it("400 for a body that is not JSON, or of the wrong type", async () => {
    const bad = await call(url, "PUT", "/collections/x1", {
      raw: Buffer.from("{nope"),
      headers: { "content-type": "application/json" },
    });
    expect(bad.status).toBe(400);
    expect(expectError(bad.json)).toMatch(/^Format error in JSON body: /);
    const typed = await call(url, "PUT", "/collections/x1", {
      body: { vectors: { size: "four", distance: "Cosine" } },
    });
    expect(typed.status).toBe(400);
    expect(expectError(typed.json)).toMatch(/^Format error in JSON body: /);
  });

  it("400 Wrong input for a vector of the wrong size", async () => {
    const r = await call(url, "PUT", "/collections/env/points?wait=true", {
      body: { points: [{ id: 9, vector: [1, 2] }] },
    });
    expect(r.status).toBe(400);
    expect(expectError(r.json)).toBe("Wrong input: Vector dimension error: expected dim: 4, got 2");
  });

  it("422 for validation errors (scroll limit 0, bad names)", async () => {
    const r = await call(url, "POST", "/collections/env/points/scroll", { body: { limit: 0 } });
    expect(r.status).toBe(422);
    expect(expectError(r.json)).toBe("Validation error in JSON body: [limit: value 0 invalid, must be 1 or larger]");
    const name = await call(url, "PUT", "/collections/a:b", { body: { vectors: { size: 4, distance: "Dot" } } });
    expect(name.status).toBe(422);
    expect(expectError(name.json)).toBe(
      'Validation error in path parameters: [name: collection name cannot contain ":" char]',
    );
  });

  it("500 Service internal error for a recover that cannot reach its URL", async () => {
    const r = await call(url, "PUT", "/collections/env2/snapshots/recover", {
      body: { location: "http://127.0.0.1:1/x.snapshot" },
    });
    expect(r.status).toBe(500);
    expect(expectError(r.json)).toMatch(/^Service internal error: Http request error: /);
  });

  it("404 with an empty body for unknown routes", async () => {
    const r = await call(url, "GET", "/no/such/route");
    expect(r.status).toBe(404);
    expect(r.text).toBe("");
  });

  it("DELETE on a missing collection is 200 false", async () => {
    const r = await call(url, "DELETE", "/collections/never");
    expect(r.status).toBe(200);
    expect(expectOk(r.json)).toBe(false);
  });
});
