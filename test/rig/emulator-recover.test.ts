// Recovery by URL and by upload: identical data across nodes, and every documented failure.
import { readdir, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type Emulator } from "../support/emulator/index.js";
import { readAllPoints, seedCollection } from "../support/emulator/seed.js";
import { call, multipartBody } from "../support/emulator/test-http.js";
import { assertSnapshotDescription, expectAccepted, expectError, expectOk } from "../support/emulator/validators.js";

let emu: Emulator;
let a = "";
let b = "";
let snapUrl = "";
let snapBytes: Buffer = Buffer.alloc(0);
let checksum = "";
let junk: Server;
let junkUrl = "";

beforeAll(async () => {
  emu = await startEmulator({ nodes: 2, apiKey: "k" });
  [a, b] = [emu.urls[0] ?? "", emu.urls[1] ?? ""];
  await seedCollection(a, "src", { points: 50, dim: 8, apiKey: "k" });
  await call(a, "PUT", "/collections/src/index", {
    apiKey: "k",
    body: { field_name: "group", field_schema: "keyword" },
  });
  const d = expectOk((await call(a, "POST", "/collections/src/snapshots", { apiKey: "k" })).json);
  assertSnapshotDescription(d);
  snapUrl = `${a}/collections/src/snapshots/${d.name}`;
  checksum = d.checksum ?? "";
  snapBytes = (await call(a, "GET", `/collections/src/snapshots/${d.name}`, { apiKey: "k" })).bytes;
  junk = createServer((_req, res) => res.end("<html>definitely not a tar archive</html>"));
  await new Promise<void>((r) => junk.listen(0, "127.0.0.1", r));
  junkUrl = `http://127.0.0.1:${(junk.address() as AddressInfo).port}/x.snapshot`;
});
afterAll(async () => {
  junk.close();
  await emu.stop();
});

const recover = (node: string, collection: string, body: unknown) =>
  call(node, "PUT", `/collections/${collection}/snapshots/recover`, { apiKey: "k", body });

describe("recover by URL", () => {
  it("creates the collection on another node with identical points, config and payload indexes", async () => {
    const r = await recover(b, "copy", { location: snapUrl, api_key: "k", checksum });
    expect(r.status).toBe(200);
    expect(expectOk(r.json)).toBe(true);
    expect(await readAllPoints(b, "copy", "k")).toEqual(await readAllPoints(a, "src", "k"));
    const info = expectOk((await call(b, "GET", "/collections/copy", { apiKey: "k" })).json);
    expect(info).toMatchObject({
      config: { params: { vectors: { size: 8, distance: "Cosine" } } },
      payload_schema: { group: { data_type: "keyword" } },
    });
  });

  it("replaces all points of an existing compatible collection", async () => {
    await call(b, "PUT", "/collections/copy/points?wait=true", {
      apiKey: "k",
      body: { points: [{ id: 999, vector: [1, 1, 1, 1, 1, 1, 1, 1] }] },
    });
    expect((await recover(b, "copy", { location: snapUrl, api_key: "k" })).status).toBe(200);
    expect(await readAllPoints(b, "copy", "k")).toEqual(await readAllPoints(a, "src", "k"));
  });

  it("leaves aliases alone", async () => {
    await call(b, "POST", "/collections/aliases", {
      apiKey: "k",
      body: { actions: [{ create_alias: { collection_name: "copy", alias_name: "copy-live" } }] },
    });
    expect((await recover(b, "copy", { location: snapUrl, api_key: "k" })).status).toBe(200);
    const aliases = expectOk((await call(b, "GET", "/aliases", { apiKey: "k" })).json);
    expect(aliases).toEqual({ aliases: [{ alias_name: "copy-live", collection_name: "copy" }] });
  });

  it("wait=false answers 202 even when the recovery is going to fail", async () => {
    const r = await call(b, "PUT", "/collections/x/snapshots/recover?wait=false", {
      apiKey: "k",
      body: { location: junkUrl },
    });
    expect(r.status).toBe(202);
    expectAccepted(r.json);
  });

  it("400 for a non-2xx download, with the status line", async () => {
    const r = await recover(b, "x", { location: `${a}/collections/src/snapshots/missing.snapshot`, api_key: "k" });
    expect(r.status).toBe(400);
    expect(expectError(r.json)).toBe(
      `Wrong input: Failed to download tar from ${a}/collections/src/snapshots/missing.snapshot: status - 404 Not Found`,
    );
    const noKey = await recover(b, "x", { location: snapUrl });
    expect(expectError(noKey.json)).toBe(
      `Wrong input: Failed to download tar from ${snapUrl}: status - 401 Unauthorized`,
    );
  });

  it("500 when the body is not a tar archive", async () => {
    const r = await recover(b, "x", { location: junkUrl });
    expect(r.status).toBe(500);
    expect(expectError(r.json)).toMatch(/^Service internal error: Failed to unpack tar archive: Malformed tar archive/);
  });

  it("400 on a checksum mismatch, before anything is created", async () => {
    const wrong = "0".repeat(64);
    const r = await recover(b, "never", { location: snapUrl, api_key: "k", checksum: wrong });
    expect(r.status).toBe(400);
    expect(expectError(r.json)).toBe(`Wrong input: Snapshot checksum mismatch: expected ${wrong}, got ${checksum}`);
    expect(expectOk((await call(b, "GET", "/collections/never/exists", { apiKey: "k" })).json)).toEqual({
      exists: false,
    });
  });

  it("422 for a checksum that is not 64 hex digits", async () => {
    expect((await recover(b, "x", { location: snapUrl, checksum: "abc" })).status).toBe(422);
  });

  it("400 when the existing collection is incompatible", async () => {
    await seedCollection(b, "other", { points: 1, dim: 3, apiKey: "k" });
    const r = await recover(b, "other", { location: snapUrl, api_key: "k" });
    expect(r.status).toBe(400);
    expect(expectError(r.json)).toMatch(
      /^Wrong input: Snapshot is not compatible with existing collection: Collection vectors: /,
    );
  });

  it("applies the file:// and scheme rules", async () => {
    const inside = join(emu.nodes[1]?.snapshotsDir ?? "", "copy");
    const missing = await recover(b, "x", { location: `file://${inside}/absent.snapshot` });
    expect(expectError(missing.json)).toBe(`Bad request: Snapshot file "${inside}/absent.snapshot" does not exist`);
    const outside = join(
      emu.nodes[0]?.snapshotsDir ?? "",
      "src",
      (await readdir(join(emu.nodes[0]?.snapshotsDir ?? "", "src")))[0] ?? "",
    );
    expect((await recover(b, "x", { location: `file://${outside}` })).status).toBe(403);
    expect((await recover(b, "x", { location: "file://relative/path.snapshot" })).status).toBe(400);
    const s3 = await recover(b, "x", { location: "s3://bucket/key.snapshot" });
    expect(expectError(s3.json)).toBe("Bad request: URL s3://bucket/key.snapshot with scheme s3 is not supported");
    const unparsable = await recover(b, "x", { location: "not a url" });
    expect(unparsable.status).toBe(400);
  });

  it("recovers from a file:// path inside the snapshots directory", async () => {
    const path = join(emu.nodes[1]?.snapshotsDir ?? "", "manual.snapshot");
    await writeFile(path, snapBytes);
    expect((await recover(b, "fromfile", { location: `file://${path}` })).status).toBe(200);
    expect(await readAllPoints(b, "fromfile", "k")).toEqual(await readAllPoints(a, "src", "k"));
  });
});

describe("upload", () => {
  it("recovers a multipart upload and leaves the file in the collection's snapshot dir", async () => {
    const { raw, headers } = multipartBody("snapshot", "uploaded.snapshot", snapBytes);
    const r = await call(b, "POST", `/collections/up/snapshots/upload?priority=snapshot&checksum=${checksum}`, {
      apiKey: "k",
      raw,
      headers,
    });
    expect(r.status).toBe(200);
    expect(await readAllPoints(b, "up", "k")).toEqual(await readAllPoints(a, "src", "k"));
    const list = expectOk((await call(b, "GET", "/collections/up/snapshots", { apiKey: "k" })).json);
    expect(list).toEqual([{ name: "uploaded.snapshot", creation_time: expect.any(String), size: snapBytes.length }]);
  });

  it("checks the checksum first, with Qdrant's swapped labels", async () => {
    const { raw, headers } = multipartBody("snapshot", "bad.snapshot", snapBytes);
    const wrong = "f".repeat(64);
    const r = await call(b, "POST", `/collections/up2/snapshots/upload?checksum=${wrong}`, {
      apiKey: "k",
      raw,
      headers,
    });
    expect(r.status).toBe(400);
    expect(expectError(r.json)).toBe(`Checksum mismatch: expected ${checksum}, actual ${wrong}`);
  });

  it("500 when the upload is not a tar", async () => {
    const { raw, headers } = multipartBody("snapshot", "junk.snapshot", Buffer.from("junk, not tar"));
    const r = await call(b, "POST", "/collections/up3/snapshots/upload", { apiKey: "k", raw, headers });
    expect(r.status).toBe(500);
    expect(expectError(r.json)).toMatch(/^Service internal error: File IO error: Malformed tar archive/);
  });
});
