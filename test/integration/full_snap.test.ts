// create_full_snap and get_full_snap against emulator nodes with local and with S3 snapshot storage: rows, transfer
// mode into a directory and into S3 (SHA-256, metadata, delete after transfer), failures, listing filters.
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseMetadata } from "../../src/backup/metadata.js";
import { run as createFullSnap } from "../../src/commands/create_full_snap.js";
import { run as getFullSnap } from "../../src/commands/get_full_snap.js";
import { EXIT } from "../../src/errors.js";
import { createTestS3Client } from "../support/s3/client.js";
import { GetObjectCommand } from "@aws-sdk/client-s3";
import { inject } from "vitest";
import { seedCollection } from "../support/emulator/seed.js";
import { API_KEY, readLocalSnapshot, seedSource, startFullRig, untar } from "./helpers/full-snap.js";
import { csv, sortedLines } from "./helpers/rig.js";

/** A fault path pattern that runs `onArrival` synchronously when a matching request arrives. */
class ArrivalHook extends RegExp {
  constructor(
    source: string,
    private readonly onArrival: () => void,
  ) {
    super(source);
  }
  override test(text: string): boolean {
    const hit = super.test(text);
    if (hit) this.onArrival();
    return hit;
  }
}
const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");

describe("create_full_snap", () => {
  it("local storage: one full snapshot per source host, recorded as host,name; no destination needed", async () => {
    const rig = await startFullRig("full-create-local", { nodes: 2, storage: "local" });
    const [a = "", b = ""] = rig.urls;
    await seedSource(a);
    await seedCollection(b, "other", { points: 3, dim: 2, apiKey: API_KEY });
    const deps = rig.deps({ QDRANT_SOURCE_HOSTS: `${a},${b}` });

    const summary = await createFullSnap({}, deps);

    expect(summary).toMatchObject({ task: "create_full_snap", done: 2, failed: 0, accepted: 0, exitCode: EXIT.ok });
    const name = "full-snapshot-2026-04-01-02-00-00.snapshot";
    expect(sortedLines(await rig.read("full_snapshots"))).toEqual([`${a},${name}`, `${b},${name}`].sort());
    // The archive really is A's whole storage: its config.json maps both collections and lists the aliases.
    const entries = await untar(await readLocalSnapshot(rig, 0, name));
    const config = JSON.parse(entries.find((e) => e.name === "config.json")?.body.toString() ?? "{}") as Record<
      string,
      Record<string, string>
    >;
    expect(Object.keys(config["collections_mapping"] ?? {}).sort()).toEqual(["docs-2024-7", "notes"]);
    expect(config["collections_aliases"]).toEqual({
      "docs-live": "docs-2024-7",
      "docs-old": "docs-2024-7",
      "notes-live": "notes",
    });
    expect(
      rig.emu
        .requests()
        .filter((r) => r.method === "POST" && r.path === "/snapshots")
        .map((r) => r.node)
        .sort(),
    ).toEqual([0, 1]);
  });

  it("transfer mode into a directory: streamed, SHA-256 equal to Qdrant's checksum, metadata beside it", async () => {
    const rig = await startFullRig("full-create-dir", { nodes: 1, storage: "local" });
    const [a = ""] = rig.urls;
    await seedSource(a);
    const name = "full-snapshot-2026-04-01-02-00-00.snapshot";
    const deps = rig.deps({
      QDRANT_SOURCE_HOSTS: a,
      QDRANT_BACKUP_DIR: rig.backupDir,
      QDRANT_SNAPSHOT_TRANSFER: "true",
    });

    const summary = await createFullSnap({}, deps);

    expect(summary).toMatchObject({ done: 1, failed: 0, exitCode: EXIT.ok });
    const hostDir = new URL(a).host;
    const stored = await readFile(join(rig.backupDir, "full_snapshots", hostDir, name));
    const checksum = await readFile(join(rig.emu.nodes[0]?.snapshotsDir ?? "", `${name}.checksum`), "utf8");
    expect(checksum).toMatch(/^[0-9a-f]{64}$/);
    expect(sha256(stored)).toBe(checksum);
    expect(stored.equals(await readLocalSnapshot(rig, 0, name))).toBe(true);
    const meta = parseMetadata(
      JSON.parse(
        await readFile(join(rig.backupDir, "backup_metadata", "full_snapshots", hostDir, `${name}.json`), "utf8"),
      ),
    );
    expect(meta).toMatchObject({
      kind: "full",
      snapshot: name,
      source: { host: a },
      qdrantVersion: "1.19.0",
      size: stored.length,
      sha256: checksum,
    });
    expect(meta.aliases).toEqual(["docs-live -> docs-2024-7", "docs-old -> docs-2024-7", "notes-live -> notes"]);
    expect(await rig.read("full_snapshots")).toBe(csv([a, name]));
    expect(rig.emu.requests().some((r) => r.method === "DELETE")).toBe(false);
  });

  it("QDRANT_DELETE_AFTER_TRANSFER: the node's copy is deleted once the stored copy is verified", async () => {
    const rig = await startFullRig("full-create-delete", { nodes: 1, storage: "local" });
    const [a = ""] = rig.urls;
    await seedSource(a);
    const name = "full-snapshot-2026-04-01-02-00-00.snapshot";
    const deps = rig.deps({
      QDRANT_SOURCE_HOSTS: a,
      QDRANT_BACKUP_DIR: rig.backupDir,
      QDRANT_SNAPSHOT_TRANSFER: "true",
      QDRANT_DELETE_AFTER_TRANSFER: "true",
    });

    expect(await createFullSnap({}, deps)).toMatchObject({ done: 1, failed: 0, exitCode: EXIT.ok });

    expect(await readdir(join(rig.backupDir, "full_snapshots", new URL(a).host))).toEqual([name]);
    const deletes = rig.emu.requests().filter((r) => r.method === "DELETE");
    expect(deletes).toEqual([expect.objectContaining({ path: `/snapshots/${name}`, status: 200 })]);
    expect((await readdir(rig.emu.nodes[0]?.snapshotsDir ?? "")).filter((f) => f.endsWith(".snapshot"))).toEqual([]);
    expect(await rig.read("full_snapshots")).toBe(csv([a, name]));
  });

  it("bytes that differ from Qdrant's checksum: failed (exit 3), nothing stored, no row, the node's copy kept", async () => {
    const rig = await startFullRig("full-create-mismatch", { nodes: 1, storage: "local" });
    const [a = ""] = rig.urls;
    await seedSource(a);
    const name = "full-snapshot-2026-04-01-02-00-00.snapshot";
    const file = join(rig.emu.nodes[0]?.snapshotsDir ?? "", name);
    // Flip one byte of the archive on the node's disk as the download arrives (after Qdrant computed its checksum).
    let flipped = false;
    rig.emu.faults.add({
      method: "GET",
      path: new ArrivalHook(`^/snapshots/${name}$`, () => {
        if (flipped) return;
        flipped = true;
        const bytes = readFileSync(file);
        bytes[100] = (bytes[100] ?? 0) ^ 0xff;
        writeFileSync(file, bytes);
      }),
      latencyMs: 1,
    });
    const deps = rig.deps({
      QDRANT_SOURCE_HOSTS: a,
      QDRANT_BACKUP_DIR: rig.backupDir,
      QDRANT_SNAPSHOT_TRANSFER: "true",
      QDRANT_DELETE_AFTER_TRANSFER: "true",
    });

    const summary = await createFullSnap({}, deps);

    expect(summary).toMatchObject({ done: 0, failed: 1, exitCode: EXIT.partial });
    expect(summary.items[0]?.["error"]).toMatch(/SHA-256 mismatch/);
    expect(await rig.read("full_snapshots")).toBeUndefined();
    expect(await readdir(join(rig.backupDir, "full_snapshots", new URL(a).host)).catch(() => [])).toEqual([]);
    expect(rig.emu.requests().some((r) => r.method === "DELETE")).toBe(false);
  });

  it("transfer mode from S3 snapshot storage into the bucket's full_snapshots/ (no checksum from Qdrant there)", async () => {
    const rig = await startFullRig("full-create-s3", { nodes: 2, storage: "s3" });
    const [a = "", b = ""] = rig.urls;
    await seedSource(a);
    await seedCollection(b, "other", { points: 3, dim: 2, apiKey: API_KEY });
    const deps = rig.deps({ ...rig.s3Env, QDRANT_SOURCE_HOSTS: a, QDRANT_SNAPSHOT_TRANSFER: "true" });

    const summary = await createFullSnap({}, deps);

    expect(summary).toMatchObject({ done: 1, failed: 0, exitCode: EXIT.ok });
    const name = "full-snapshot-2026-04-01-02-00-00.snapshot";
    const key = `full_snapshots/${new URL(a).host}/${name}`;
    expect(await rig.bucket.keys("full_snapshots/")).toEqual([key]);
    expect(await rig.bucket.has(`snapshots/${name}`)).toBe(true); // kept: no QDRANT_DELETE_AFTER_TRANSFER
    const client = createTestS3Client(inject("s3"));
    try {
      const get = async (k: string) =>
        Buffer.from(
          await (
            await client.send(new GetObjectCommand({ Bucket: rig.bucket.name, Key: k }))
          ).Body!.transformToByteArray(),
        );
      const copy = await get(key);
      expect(copy.equals(await get(`snapshots/${name}`))).toBe(true);
      const meta = parseMetadata(JSON.parse((await get(`backup_metadata/${key}.json`)).toString("utf8")));
      expect(meta).toMatchObject({ kind: "full", size: copy.length, sha256: sha256(copy) });
    } finally {
      client.destroy();
    }
    expect(summary.items).toEqual([
      expect.objectContaining({ host: a, snapshot: name, key, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) }),
    ]);
  });

  it("a host answering 500 fails alone (exit 3, no row); a failed transfer leaves no row and no object", async () => {
    const rig = await startFullRig("full-create-fail", { nodes: 3, storage: "local" });
    const [a = "", b = "", c = ""] = rig.urls;
    for (const url of rig.urls) await seedCollection(url, "c", { points: 2, dim: 2, apiKey: API_KEY });
    rig.emu.faults.add({ node: 1, method: "POST", path: "/snapshots", status: 500 });
    rig.emu.faults.add({ node: 2, method: "GET", path: /^\/snapshots\/full-/, status: 500 });
    const deps = rig.deps({
      QDRANT_SOURCE_HOSTS: `${a},${b},${c}`,
      QDRANT_BACKUP_DIR: rig.backupDir,
      QDRANT_SNAPSHOT_TRANSFER: "true",
    });

    const summary = await createFullSnap({}, deps);

    expect(summary).toMatchObject({ done: 1, failed: 2, exitCode: EXIT.partial });
    expect(
      summary.items
        .filter((i) => i["outcome"] === "failed")
        .map((i) => i["host"])
        .sort(),
    ).toEqual([b, c].sort());
    expect(await rig.read("full_snapshots")).toBe(csv([a, "full-snapshot-2026-04-01-02-00-00.snapshot"]));
    expect(await readdir(join(rig.backupDir, "full_snapshots"))).toEqual([new URL(a).host]);
    expect(deps.lines.some((l) => l.includes("ERROR") && l.includes(c) && l.includes("stays on the node"))).toBe(true);
  });

  it("a refused key ends the run (fatal, exit 4)", async () => {
    const rig = await startFullRig("full-create-401", { nodes: 1, storage: "local" });
    const deps = rig.deps({ QDRANT_SOURCE_HOSTS: rig.urls[0] ?? "", QDRANT_API_KEY: "wrong" });
    await expect(createFullSnap({}, deps)).rejects.toMatchObject({ exitCode: EXIT.upstream });
    expect(await rig.read("full_snapshots")).toBeUndefined();
  });
});

describe("get_full_snap", () => {
  it("local storage: lists each host's full snapshots oldest first, filtered, without repeating recorded rows", async () => {
    const rig = await startFullRig("full-get-local", { nodes: 2, storage: "local" });
    const [a = "", b = ""] = rig.urls;
    for (const url of rig.urls) await seedCollection(url, "c", { points: 2, dim: 2, apiKey: API_KEY });
    const names: string[] = [];
    for (const t of ["2026-04-03T02:00:00Z", "2026-04-01T02:00:00Z", "2026-04-02T02:00:00Z"]) {
      rig.clock.set(t);
      expect(await createFullSnap({}, rig.deps({ QDRANT_SOURCE_HOSTS: a }))).toMatchObject({ done: 1 });
      names.push(`full-snapshot-${t.slice(0, 10)}-02-00-00.snapshot`);
    }
    rig.clock.set("2026-04-02T05:00:00Z");
    expect(await createFullSnap({}, rig.deps({ QDRANT_SOURCE_HOSTS: b }))).toMatchObject({ done: 1 });
    await rig.deps().state.reset({ bkp: false, now: new Date() });

    const filtered = await getFullSnap(
      {},
      rig.deps({ QDRANT_SOURCE_HOSTS: `${a},${b}`, QDRANT_SNAPSHOT_DATETIME_FILTER: "2026-04-0[23]" }),
    );
    expect(filtered).toMatchObject({ done: 0, exitCode: EXIT.ok }); // `[` is literal, as in get_snap

    const summary = await getFullSnap(
      {},
      rig.deps({ QDRANT_SOURCE_HOSTS: `${a},${b}`, QDRANT_SNAPSHOT_DATETIME_FILTER: "2026-04-02" }),
    );
    expect(summary).toMatchObject({ done: 2, skipped: 0, exitCode: EXIT.ok });
    const again = await getFullSnap({}, rig.deps({ QDRANT_SOURCE_HOSTS: `${a},${b}` }));
    expect(again).toMatchObject({ done: 2, skipped: 2, exitCode: EXIT.ok });
    const rows = (await rig.read("full_snapshots"))?.split("\n").filter((l) => l !== "") ?? [];
    expect(rows).toHaveLength(4);
    expect(new Set(rows).size).toBe(4);
    // Oldest first within the rows the second listing added for host A.
    const added = rows.slice(2).filter((r) => r.startsWith(`${a},`));
    expect(added).toEqual([
      `${a},full-snapshot-2026-04-01-02-00-00.snapshot`,
      `${a},full-snapshot-2026-04-03-02-00-00.snapshot`,
    ]);
    expect(rows.slice(0, 2).sort()).toEqual(
      [`${a},full-snapshot-2026-04-02-02-00-00.snapshot`, `${b},full-snapshot-2026-04-02-05-00-00.snapshot`].sort(),
    );
  });

  it("S3 storage: Qdrant lists every snapshot object under snapshots/; only full snapshots become rows", async () => {
    const rig = await startFullRig("full-get-s3", { nodes: 1, storage: "s3" });
    const [a = ""] = rig.urls;
    await seedSource(a);
    expect(await createFullSnap({}, rig.deps({ QDRANT_SOURCE_HOSTS: a }))).toMatchObject({ done: 1 });
    await rig.deps().state.reset({ bkp: false, now: new Date() });
    // The bucket holds the collections' snapshots too (S3 storage keeps them), and GET /snapshots shows them.
    expect((await rig.bucket.keys("snapshots/")).length).toBeGreaterThan(1);

    const deps = rig.deps({ QDRANT_SOURCE_HOSTS: a });
    const summary = await getFullSnap({}, deps);

    expect(summary).toMatchObject({ done: 1, failed: 0, exitCode: EXIT.ok });
    expect(await rig.read("full_snapshots")).toBe(csv([a, "full-snapshot-2026-04-01-02-00-00.snapshot"]));
    expect(deps.lines.some((l) => /Ignored [1-9]\d* listed objects that are not full snapshots/.test(l))).toBe(true);
  });

  it("transfer mode: the destination's copies are listed too (the node deleted its own)", async () => {
    const rig = await startFullRig("full-get-transfer", { nodes: 1, storage: "local" });
    const [a = ""] = rig.urls;
    await seedSource(a);
    const env = {
      QDRANT_SOURCE_HOSTS: a,
      QDRANT_BACKUP_DIR: rig.backupDir,
      QDRANT_SNAPSHOT_TRANSFER: "true",
      QDRANT_DELETE_AFTER_TRANSFER: "true",
    };
    expect(await createFullSnap({}, rig.deps(env))).toMatchObject({ done: 1 });
    await rig.deps().state.reset({ bkp: false, now: new Date() });

    expect(await getFullSnap({}, rig.deps({ QDRANT_SOURCE_HOSTS: a }))).toMatchObject({ done: 0 }); // the node has none
    expect(await getFullSnap({}, rig.deps(env))).toMatchObject({ done: 1, exitCode: EXIT.ok });
    expect(await rig.read("full_snapshots")).toBe(csv([a, "full-snapshot-2026-04-01-02-00-00.snapshot"]));
  });

  it("a host that cannot be listed is a failure (exit 3); the others are still recorded", async () => {
    const rig = await startFullRig("full-get-fail", { nodes: 2, storage: "local" });
    const [a = "", b = ""] = rig.urls;
    for (const url of rig.urls) await seedCollection(url, "c", { points: 2, dim: 2, apiKey: API_KEY });
    expect(await createFullSnap({}, rig.deps({ QDRANT_SOURCE_HOSTS: `${a},${b}` }))).toMatchObject({ done: 2 });
    await rig.deps().state.reset({ bkp: false, now: new Date() });
    rig.emu.faults.add({ node: 0, method: "GET", path: "/snapshots", status: 500 });

    const summary = await getFullSnap({}, rig.deps({ QDRANT_SOURCE_HOSTS: `${a},${b}` }));

    expect(summary).toMatchObject({ done: 1, failed: 1, exitCode: EXIT.partial });
    expect(await rig.read("full_snapshots")).toBe(csv([b, "full-snapshot-2026-04-01-02-00-00.snapshot"]));
  });
});
