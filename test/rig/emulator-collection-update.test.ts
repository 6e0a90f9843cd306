// PATCH /collections/{name} (update_collection) and the status a recovery leaves behind (faults.afterRecover):
// grey until an update triggers optimizers, yellow for a few status reads, red with an optimizer error.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type Emulator } from "../support/emulator/index.js";
import { seedCollection } from "../support/emulator/seed.js";
import { call, multipartBody } from "../support/emulator/test-http.js";
import {
  assertCollectionInfo,
  assertSnapshotDescription,
  expectError,
  expectOk,
} from "../support/emulator/validators.js";

const KEY = "k";
let emu: Emulator;
let a = "";
let b = "";
let snapUrl = "";
let snapBytes: Buffer = Buffer.alloc(0);

const patch = (url: string, collection: string, body: unknown, o: { apiKey?: string; query?: string } = {}) =>
  call(url, "PATCH", `/collections/${collection}${o.query ?? ""}`, { apiKey: o.apiKey ?? KEY, body });

async function info(url: string, collection: string) {
  const r = await call(url, "GET", `/collections/${collection}`, { apiKey: KEY });
  expect(r.status).toBe(200);
  const v = expectOk(r.json);
  assertCollectionInfo(v);
  return v;
}

async function statuses(url: string, collection: string, reads: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < reads; i++) out.push((await info(url, collection)).status);
  return out;
}

async function recoverByUrl(url: string, collection: string): Promise<void> {
  const r = await call(url, "PUT", `/collections/${collection}/snapshots/recover`, {
    apiKey: KEY,
    body: { location: snapUrl, api_key: KEY },
  });
  expect(r.status).toBe(200);
  expect(expectOk(r.json)).toBe(true);
}

beforeAll(async () => {
  emu = await startEmulator({ nodes: 2, apiKey: KEY, readOnlyApiKey: "ro" });
  [a, b] = [emu.urls[0] ?? "", emu.urls[1] ?? ""];
  await seedCollection(a, "src", { points: 12, dim: 4, apiKey: KEY });
  const d = expectOk((await call(a, "POST", "/collections/src/snapshots", { apiKey: KEY })).json);
  assertSnapshotDescription(d);
  snapUrl = `${a}/collections/src/snapshots/${d.name}`;
  snapBytes = (await call(a, "GET", `/collections/src/snapshots/${d.name}`, { apiKey: KEY })).bytes;
});
afterEach(() => emu.faults.afterRecover({}));
afterAll(() => emu.stop());

describe("PATCH /collections/{name}", () => {
  it("merges optimizers_config, hnsw_config, params and metadata, and answers true", async () => {
    await seedCollection(a, "tune", { points: 3, dim: 4, apiKey: KEY });
    const before = await info(a, "tune");
    const r = await patch(a, "tune", {
      optimizers_config: { indexing_threshold: 0, deleted_threshold: 0.5 },
      hnsw_config: { m: 32 },
      params: { on_disk_payload: false, replication_factor: 2 },
      metadata: { team: "search", gone: 1 },
    });
    expect(r.status).toBe(200);
    expect(expectOk(r.json)).toBe(true);
    const after = await info(a, "tune");
    expect(after.config.optimizer_config).toEqual({
      ...before.config.optimizer_config,
      indexing_threshold: 0,
      deleted_threshold: 0.5,
    });
    expect(after.config.hnsw_config).toEqual({ ...before.config.hnsw_config, m: 32 });
    expect(after.config.params).toMatchObject({
      on_disk_payload: false,
      replication_factor: 2,
      vectors: before.config.params.vectors,
    });
    expect(after.config.metadata).toEqual({ team: "search", gone: 1 });
    expect(expectOk((await patch(a, "tune", { metadata: { gone: null } })).json)).toBe(true);
    expect((await info(a, "tune")).config.metadata).toEqual({ team: "search" });
  });

  it("accepts an empty optimizers_config (the documented way to trigger optimizers) and changes nothing", async () => {
    await seedCollection(a, "same", { points: 2, dim: 4, apiKey: KEY });
    const before = await info(a, "same");
    const r = await patch(a, "same", { optimizers_config: {} }, { query: "?timeout=30" });
    expect(expectOk(r.json)).toBe(true);
    expect((await info(a, "same")).config).toEqual(before.config);
  });

  it("answers 404 for a missing collection, 403 for a read-only key, 400 for a bad body, with nothing half-applied", async () => {
    const missing = await patch(a, "nothing", { optimizers_config: {} });
    expect(missing.status).toBe(404);
    expect(expectError(missing.json)).toBe("Not found: Collection `nothing` doesn't exist!");

    const ro = await patch(a, "src", { optimizers_config: {} }, { apiKey: "ro" });
    expect(ro.status).toBe(403);

    const before = await info(a, "src");
    const bad = await patch(a, "src", { hnsw_config: { m: 64 }, optimizers_config: { deleted_threshold: "lots" } });
    expect(bad.status).toBe(400);
    expect(expectError(bad.json)).toMatch(
      /^Format error in JSON body: optimizers_config\.deleted_threshold: invalid type/,
    );
    expect((await info(a, "src")).config).toEqual(before.config);

    const notJson = await call(a, "PATCH", "/collections/src", {
      apiKey: KEY,
      raw: Buffer.from("{"),
      headers: { "content-type": "application/json" },
    });
    expect(notJson.status).toBe(400);
    const zero = await patch(a, "src", { params: { replication_factor: 0 } });
    expect(zero.status).toBe(422);
    const timeout = await patch(a, "src", { optimizers_config: {} }, { query: "?timeout=0" });
    expect(timeout.status).toBe(422);
  });

  it("refuses the parts the emulator cannot apply instead of ignoring them", async () => {
    const r = await patch(a, "src", { vectors: { "": { on_disk: true } } });
    expect(r.status).toBe(400);
    expect(expectError(r.json)).toContain("does not support updating `vectors`");
  });
});

describe("collection status after a recovery (faults.afterRecover)", () => {
  it("stays green by default", async () => {
    await recoverByUrl(b, "plain");
    expect(await statuses(b, "plain", 2)).toEqual(["green", "green"]);
  });

  it("is grey until PATCH triggers the optimizers, then yellow for the given status reads, then green", async () => {
    emu.faults.afterRecover({ grey: true, yellowPolls: 2 });
    await recoverByUrl(b, "greyed");
    const greyInfo = await info(b, "greyed");
    expect(greyInfo).toMatchObject({ status: "grey", optimizer_status: "ok", points_count: 12 });
    // Grey does not pass by itself: only an update operation starts the pending optimizations.
    expect(await statuses(b, "greyed", 3)).toEqual(["grey", "grey", "grey"]);
    expect(expectOk((await patch(b, "greyed", { optimizers_config: {} })).json)).toBe(true);
    expect(await statuses(b, "greyed", 4)).toEqual(["yellow", "yellow", "green", "green"]);
  });

  it("applies to recoveries by upload too, and leaves other collections green", async () => {
    emu.faults.afterRecover({ yellowPolls: 1 });
    const form = multipartBody("snapshot", "up.snapshot", snapBytes);
    const r = await call(b, "POST", "/collections/uploaded/snapshots/upload", {
      apiKey: KEY,
      raw: form.raw,
      headers: form.headers,
    });
    expect(expectOk(r.json)).toBe(true);
    expect(await statuses(b, "uploaded", 2)).toEqual(["yellow", "green"]);
    expect((await info(a, "src")).status).toBe("green");
  });

  it("is red with the optimizer error; a new recovery with the default makes it green again", async () => {
    emu.faults.afterRecover({ error: "Service internal error: No space left on device" });
    await recoverByUrl(b, "broken");
    const red = await info(b, "broken");
    expect(red).toMatchObject({
      status: "red",
      optimizer_status: { error: "Service internal error: No space left on device" },
    });
    expect(expectOk((await patch(b, "broken", { optimizers_config: {} })).json)).toBe(true);
    expect((await info(b, "broken")).status).toBe("red");
    emu.faults.afterRecover({});
    await recoverByUrl(b, "broken");
    expect((await info(b, "broken")).status).toBe("green");
  });

  it("rejects a nonsensical setting", () => {
    expect(() => emu.faults.afterRecover({ yellowPolls: -1 })).toThrow(/yellowPolls/);
  });
});
