// Collection snapshots on local storage: names from the clock, checksums, downloads, deletes.
import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type Emulator } from "../support/emulator/index.js";
import { seedCollection } from "../support/emulator/seed.js";
import { call, eventually } from "../support/emulator/test-http.js";
import {
  assertSnapshotDescription,
  assertSnapshotList,
  expectAccepted,
  expectError,
  expectOk,
} from "../support/emulator/validators.js";

const PEER = 4242424242;
let now = new Date("2026-08-04T10:49:10.500Z");
let emu: Emulator;
let url = "";
let dir = "";

async function snapshot(collection: string) {
  const r = await call(url, "POST", `/collections/${collection}/snapshots`);
  expect(r.status).toBe(200);
  const d = expectOk(r.json);
  assertSnapshotDescription(d);
  return d;
}

beforeAll(async () => {
  emu = await startEmulator({ clock: () => now, peerIds: [PEER] });
  url = emu.urls[0] ?? "";
  dir = emu.nodes[0]?.snapshotsDir ?? "";
  await seedCollection(url, "col", { points: 20, dim: 4 });
});
afterAll(() => emu.stop());

describe("create", () => {
  it("names the snapshot {collection}-{peer}-{UTC ts} and reports checksum, size, creation_time", async () => {
    const d = await snapshot("col");
    expect(d.name).toBe(`col-${PEER}-2026-08-04-10-49-10.snapshot`);
    expect(d.creation_time).toBe("2026-08-04T10:49:10");
    const bytes = await readFile(join(dir, "col", d.name));
    expect(d.size).toBe(bytes.length);
    expect(d.checksum).toBe(createHash("sha256").update(bytes).digest("hex"));
  });

  it("keeps a .checksum companion with 64 hex digits and no newline", async () => {
    const name = `col-${PEER}-2026-08-04-10-49-10.snapshot`;
    const sum = await readFile(join(dir, "col", `${name}.checksum`), "utf8");
    expect(sum).toMatch(/^[0-9a-f]{64}$/);
  });

  it("replaces a snapshot taken in the same second", async () => {
    await seedCollection(url, "col2", { points: 1, dim: 2 });
    const first = await snapshot("col2");
    await call(url, "PUT", "/collections/col2/points?wait=true", { body: { points: [{ id: 2, vector: [1, 1] }] } });
    const second = await snapshot("col2");
    expect(second.name).toBe(first.name);
    expect(second.checksum).not.toBe(first.checksum);
    const files = await readdir(join(dir, "col2"));
    expect(files.sort()).toEqual([first.name, `${first.name}.checksum`]);
  });

  it("wait=false answers 202 and the snapshot appears afterwards", async () => {
    now = new Date("2026-08-04T11:00:00Z");
    const r = await call(url, "POST", "/collections/col/snapshots?wait=false");
    expect(r.status).toBe(202);
    expectAccepted(r.json);
    await eventually(async () => {
      const list = expectOk((await call(url, "GET", "/collections/col/snapshots")).json);
      assertSnapshotList(list);
      return list.find((s) => s.name.endsWith("2026-08-04-11-00-00.snapshot"));
    });
  });

  it("404s for a missing collection (202 with wait=false)", async () => {
    const r = await call(url, "POST", "/collections/ghost/snapshots");
    expect(r.status).toBe(404);
    expect((await call(url, "POST", "/collections/ghost/snapshots?wait=false")).status).toBe(202);
  });
});

describe("list, download, delete", () => {
  it("lists only regular .snapshot files", async () => {
    const list = expectOk((await call(url, "GET", "/collections/col/snapshots")).json);
    assertSnapshotList(list);
    expect(list.map((s) => s.name).sort()).toEqual([
      `col-${PEER}-2026-08-04-10-49-10.snapshot`,
      `col-${PEER}-2026-08-04-11-00-00.snapshot`,
    ]);
  });

  it("downloads raw bytes like actix NamedFile, with Range support", async () => {
    const name = `col-${PEER}-2026-08-04-10-49-10.snapshot`;
    const onDisk = await readFile(join(dir, "col", name));
    const r = await call(url, "GET", `/collections/col/snapshots/${name}`);
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toBe("application/octet-stream");
    expect(r.headers.get("content-length")).toBe(String(onDisk.length));
    expect(r.headers.get("content-disposition")).toBe(`attachment; filename="${name}"`);
    expect(r.bytes.equals(onDisk)).toBe(true);
    const part = await call(url, "GET", `/collections/col/snapshots/${name}`, { headers: { range: "bytes=10-19" } });
    expect(part.status).toBe(206);
    expect(part.headers.get("content-range")).toBe(`bytes 10-19/${onDisk.length}`);
    expect(part.bytes.equals(onDisk.subarray(10, 20))).toBe(true);
  });

  it("404s for an unknown or path-like snapshot name", async () => {
    for (const name of ["nope.snapshot", "..%2Fcol2%2Fx.snapshot"]) {
      const r = await call(url, "GET", `/collections/col/snapshots/${name}`);
      expect(r.status).toBe(404);
      expect(expectError(r.json)).toMatch(/^Not found: Snapshot .* not found$/);
    }
  });

  it("deletes the file and its checksum; a second delete is 404", async () => {
    const name = `col-${PEER}-2026-08-04-11-00-00.snapshot`;
    expect(expectOk((await call(url, "DELETE", `/collections/col/snapshots/${name}`)).json)).toBe(true);
    expect((await readdir(join(dir, "col"))).filter((f) => f.startsWith(name))).toEqual([]);
    const again = await call(url, "DELETE", `/collections/col/snapshots/${name}`);
    expect(again.status).toBe(404);
    expect(expectError(again.json)).toBe(`Not found: Snapshot ${name} not found`);
  });
});
