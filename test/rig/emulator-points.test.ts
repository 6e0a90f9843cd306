// Points: both upsert forms, wait semantics, Cosine normalisation, count and scroll order/paging.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type Emulator } from "../support/emulator/index.js";
import { readAllPoints } from "../support/emulator/seed.js";
import { call } from "../support/emulator/test-http.js";
import { expectError, expectOk } from "../support/emulator/validators.js";

let emu: Emulator;
let url = "";
const UUID_A = "0e8f1c2a-0000-4000-8000-000000000001";
const UUID_B = "F0000000-0000-4000-8000-000000000002";

beforeAll(async () => {
  emu = await startEmulator();
  url = emu.urls[0] ?? "";
  await call(url, "PUT", "/collections/pts", { body: { vectors: { size: 2, distance: "Cosine" } } });
  await call(url, "PUT", "/collections/named", {
    body: { vectors: { a: { size: 2, distance: "Dot" }, b: { size: 3, distance: "Euclid" } } },
  });
});
afterAll(() => emu.stop());

describe("upsert", () => {
  it("acknowledges without wait and completes with wait=true", async () => {
    const ack = expectOk(
      (
        await call(url, "PUT", "/collections/pts/points", {
          body: { points: [{ id: 10, vector: [3, 4], payload: { k: "v" } }] },
        })
      ).json,
    );
    expect(ack).toMatchObject({ status: "acknowledged", operation_id: expect.any(Number) });
    const batch = {
      batch: {
        ids: [2, UUID_B, UUID_A, 1],
        vectors: [
          [1, 0],
          [0, 2],
          [1, 1],
          [0, 1],
        ],
        payloads: [{ n: 2 }, null, { n: 3 }, { n: 1 }],
      },
    };
    const done = expectOk((await call(url, "PUT", "/collections/pts/points?wait=true", { body: batch })).json);
    expect(done).toMatchObject({ status: "completed" });
  });

  it("stores Cosine vectors normalised to unit length", async () => {
    const points = await readAllPoints(url, "pts");
    expect(points.find((p) => p.id === 10)?.vector).toEqual([0.6, 0.8]);
  });

  it("accepts named vectors and rejects unknown names", async () => {
    const ok = await call(url, "PUT", "/collections/named/points?wait=true", {
      body: { points: [{ id: 1, vector: { a: [1, 2], b: [1, 2, 3] } }] },
    });
    expect(ok.status).toBe(200);
    const bad = await call(url, "PUT", "/collections/named/points?wait=true", {
      body: { points: [{ id: 2, vector: { c: [1] } }] },
    });
    expect(bad.status).toBe(400);
    expect(expectError(bad.json)).toBe("Wrong input: Not existing vector name error: c");
    expect((await readAllPoints(url, "named"))[0]).toEqual({ id: 1, vector: { a: [1, 2], b: [1, 2, 3] }, payload: {} });
  });
});

describe("count and scroll", () => {
  it("counts exactly, with or without a filter", async () => {
    expect(
      expectOk((await call(url, "POST", "/collections/pts/points/count", { body: { exact: true } })).json),
    ).toEqual({ count: 5 });
    const filtered = await call(url, "POST", "/collections/pts/points/count", {
      body: { filter: { must: [{ key: "n", range: { gte: 2 } }] } },
    });
    expect(expectOk(filtered.json)).toEqual({ count: 2 });
  });

  it("scrolls in id order, integers before UUIDs, with payload and without vector by default", async () => {
    const page = expectOk((await call(url, "POST", "/collections/pts/points/scroll", { body: {} })).json);
    expect(page).toEqual({
      points: [
        { id: 1, payload: { n: 1 }, vector: null },
        { id: 2, payload: { n: 2 }, vector: null },
        { id: 10, payload: { k: "v" }, vector: null },
        { id: UUID_A, payload: { n: 3 }, vector: null },
        { id: UUID_B.toLowerCase(), payload: {}, vector: null },
      ],
      next_page_offset: null,
    });
  });

  it("pages with limit/offset and next_page_offset", async () => {
    const first = expectOk(
      (await call(url, "POST", "/collections/pts/points/scroll", { body: { limit: 2, with_payload: false } })).json,
    );
    expect(first).toEqual({
      points: [
        { id: 1, payload: null, vector: null },
        { id: 2, payload: null, vector: null },
      ],
      next_page_offset: 10,
    });
    const second = expectOk(
      (
        await call(url, "POST", "/collections/pts/points/scroll", {
          body: { limit: 2, offset: 10, with_payload: false },
        })
      ).json,
    );
    expect(second).toMatchObject({ points: [{ id: 10 }, { id: UUID_A }], next_page_offset: UUID_B.toLowerCase() });
  });

  it("404s on a missing collection", async () => {
    const r = await call(url, "POST", "/collections/none/points/scroll", { body: {} });
    expect(r.status).toBe(404);
  });
});
