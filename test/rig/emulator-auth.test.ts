// API keys: plain-text 401s, api-key header or Bearer, read-only 403s, the open GET /.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type Emulator } from "../support/emulator/index.js";
import { seedCollection } from "../support/emulator/seed.js";
import { call, eventually } from "../support/emulator/test-http.js";
import { assertSnapshotList, expectAccepted, expectError, expectOk } from "../support/emulator/validators.js";

const KEY = "secret-key";
const RO = "read-only-key";
let emu: Emulator;
let url = "";

beforeAll(async () => {
  emu = await startEmulator({ apiKey: KEY, readOnlyApiKey: RO });
  url = emu.urls[0] ?? "";
  await seedCollection(url, "guarded", { points: 2, dim: 2, apiKey: KEY });
});
afterAll(() => emu.stop());

describe("authentication", () => {
  it("401 plain text without a key", async () => {
    const r = await call(url, "GET", "/collections");
    expect(r.status).toBe(401);
    expect(r.headers.get("content-type")).toContain("text/plain");
    expect(r.text).toBe("Must provide an API key or an Authorization bearer token");
  });

  it("401 plain text with a wrong key, in either header", async () => {
    const variants: Record<string, string>[] = [{ "api-key": "nope" }, { authorization: "Bearer nope" }];
    for (const headers of variants) {
      const r = await call(url, "GET", "/collections", { headers });
      expect(r.status).toBe(401);
      expect(r.text).toBe("Invalid API key or JWT");
    }
  });

  it("accepts the key as api-key or Authorization: Bearer", async () => {
    expect((await call(url, "GET", "/collections", { apiKey: KEY })).status).toBe(200);
    expect((await call(url, "GET", "/collections", { headers: { authorization: `Bearer ${KEY}` } })).status).toBe(200);
  });

  it("leaves GET / open", async () => {
    const r = await call(url, "GET", "/");
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ title: "qdrant - vector search engine" });
  });
});

describe("read-only key", () => {
  it("reads", async () => {
    const r = await call(url, "GET", "/collections/guarded", { apiKey: RO });
    expect(r.status).toBe(200);
  });

  it("gets a JSON 403 on mutations", async () => {
    const attempts: [string, string, unknown][] = [
      ["PUT", "/collections/new1", { vectors: { size: 2, distance: "Dot" } }],
      ["PUT", "/collections/guarded/points?wait=true", { points: [{ id: 5, vector: [1, 0] }] }],
      ["POST", "/collections/guarded/snapshots", undefined],
      ["PUT", "/collections/guarded/snapshots/recover", { location: "http://127.0.0.1:1/x.snapshot" }],
      ["POST", "/snapshots", undefined],
      ["DELETE", "/collections/guarded", undefined],
    ];
    for (const [method, path, body] of attempts) {
      const r = await call(url, method, path, { apiKey: RO, body });
      expect(r.status, `${method} ${path}`).toBe(403);
      expect(expectError(r.json)).toBe("Forbidden: Global manage access is required");
    }
  });

  it("still gets 202 with wait=false (the RBAC failure only happens in the spawned task)", async () => {
    const r = await call(url, "POST", "/collections/guarded/snapshots?wait=false", { apiKey: RO });
    expect(r.status).toBe(202);
    expectAccepted(r.json);
    const list = expectOk((await call(url, "GET", "/collections/guarded/snapshots", { apiKey: RO })).json);
    assertSnapshotList(list);
    expect(list).toEqual([]);
  });

  it("wait=false with the full key does the work afterwards", async () => {
    const r = await call(url, "POST", "/collections/guarded/snapshots?wait=false", { apiKey: KEY });
    expect(r.status).toBe(202);
    const names = await eventually(async () => {
      const list = expectOk((await call(url, "GET", "/collections/guarded/snapshots", { apiKey: KEY })).json);
      assertSnapshotList(list);
      return list.length > 0 ? list.map((s) => s.name) : undefined;
    });
    expect(names[0]).toMatch(/^guarded-\d+-\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d\.snapshot$/);
  });
});
