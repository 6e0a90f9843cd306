// A full disk through the built CLI: the state directory, a QDRANT_BACKUP_DIR destination or download_snap's
// target on a small volume that fills up during the run (helpers/small-volume.ts: a tmpfs as root, a file-size
// limit otherwise). Each run stops with the table's exit code and one line naming the file, the reason and the cure;
// every state file is made of whole rows; after space is freed the same command completes without losing or redoing
// recorded work. A tmpfs gives space in 4 KiB pages (the size limit counts bytes per file): a state file is filled with
// earlier whole rows up to near 4 KiB, and one page is left free for the lock, so the run's rows cross the boundary.
import { copyFile, readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import type { CliResult } from "../support/cli.js";
import { startEmulator, type Emulator } from "../support/emulator/index.js";
import { createAlias, qdrantCall, seedCollection } from "../support/emulator/seed.js";
import { makeTempDir } from "../support/tmp.js";
import { expectNoStack, type Env } from "../e2e/harness.js";
import { startRig, type Rig } from "../e2e/rig.js";
import { filesUnder, readStateStrict } from "./crash-helpers.js";
import { mountSmallVolume, type SmallVolume } from "./helpers/small-volume.js";

const s3 = inject("s3");
const COLLECTIONS = Array.from({ length: 14 }, (_, i) => `collection-${String(i).padStart(2, "0")}`);
const RECOVER = /^\/collections\/([^/]+)\/snapshots\/recover$/;
const ALIASES = COLLECTIONS.map(
  (c, i) =>
    [c, `alias-${String(i).padStart(2, "0")}-of-${c}-for-the-full-disk-test-of-get-colla-on-a-small-volume`] as const,
);
let rig: Rig;
/** One node with local snapshot storage, for transfers into a directory and download_snap. */
let local: Emulator;
let backupSnapshots = "";
const volumes: SmallVolume[] = [];
const temps: (() => Promise<void>)[] = [];

async function volume(label: string, size = 96 * 1024): Promise<SmallVolume> {
  const v = await mountSmallVolume(label, size);
  volumes.push(v);
  return v;
}

async function tempDir(label: string): Promise<string> {
  const t = await makeTempDir(label);
  temps.push(t.cleanup);
  return t.dir;
}

const PAGE = 4096;

/** The one error line of a run stopped by the full volume: names `file`, the system error and the cure. */
function expectFullDiskError(result: CliResult, v: SmallVolume, file: string | RegExp, code: number): void {
  expect(result.code, result.stderr).toBe(code);
  expectNoStack(result.stderr);
  const names = (l: string): boolean => (typeof file === "string" ? l.includes(file) : file.test(l));
  const line = result.stderr.split("\n").find((l) => names(l) && l.includes(`(${v.code})`));
  expect(line, `an error line naming ${file} and ${v.code} in:\n${result.stderr}`).toBeDefined();
  expect(line).toMatch(/free space on the volume/);
}

/** Whole rows of `make(i)` appended to `file` until it is near `bytes` long (earlier runs' records). */
async function prefill(file: string, bytes: number, make: (i: number) => string): Promise<string> {
  let text = "";
  for (let i = 0; text.length + make(i).length + 1 <= bytes; i++) text += `${make(i)}\n`;
  await writeFile(file, text);
  return text;
}

beforeAll(async () => {
  rig = await startRig(s3, { label: "full-disk", sourceNodes: 1, targetNodes: 1 });
  const source = rig.source.urls[0] ?? "";
  for (const [i, c] of COLLECTIONS.entries())
    await seedCollection(source, c, { points: 10 + i, dim: 4, apiKey: rig.apiKey });
  // More than 1 KiB of alias rows, so that one write of them meets the limit in either kind of small volume.
  for (const a of ALIASES) await createAlias(source, a[0], a[1], rig.apiKey);
  local = await startEmulator({ nodes: 1, apiKey: rig.apiKey });
  for (const c of COLLECTIONS.slice(0, 3))
    await seedCollection(local.urls[0] ?? "", c, { points: 120, dim: 4, apiKey: rig.apiKey });
  // A complete backup's `snapshots` file, for the restores.
  const dir = await tempDir("full-disk-backup");
  const backup = await rig.run(["create_snap"], dir);
  expect(backup.code, backup.stderr).toBe(0);
  backupSnapshots = path.join(dir, "snapshots");
});

afterAll(async () => {
  for (const v of volumes) await v.cleanup();
  await local?.stop();
  await rig?.stop();
  for (const cleanup of temps) await cleanup();
});

afterEach(async () => {
  for (const v of volumes.splice(0)) await v.cleanup();
});

describe("the state directory fills up", () => {
  it("create_snap stops with exit 2 naming snapshots; whole rows only; the re-run after freeing space keeps them and records every collection", async () => {
    const v = await volume("full-create");
    const env = rig.env({ QDRANT_STATE_DIR: v.dir, QDRANT_CONCURRENCY: "1" });
    const listed = await v.runCli(["get_coll"], { env, cwd: v.dir });
    expect(listed.code, listed.stderr).toBe(0);
    const host = rig.source.urls[0] ?? "";
    await prefill(
      path.join(v.dir, "snapshots"),
      PAGE - 300,
      (i) => `${host},${COLLECTIONS[i % COLLECTIONS.length]},earlier-${i}.snapshot`,
    );
    await v.fill(PAGE);
    const full = await v.runCli(["create_snap"], { env, cwd: v.dir });
    expectFullDiskError(full, v, path.join(v.dir, "snapshots"), 2);
    const first = (await readStateStrict(v.dir, (f) => f === ".filler")).snapshots;
    const made = first.filter((r) => !(r[2] ?? "").startsWith("earlier-"));
    expect(made.length).toBeGreaterThan(0);
    expect(made.length).toBeLessThan(COLLECTIONS.length);
    await v.free();
    const again = await v.runCli(["create_snap"], { env, cwd: v.dir });
    expect(again.code, again.stderr).toBe(0);
    const rows = (await readStateStrict(v.dir)).snapshots;
    expect(rows.slice(0, first.length)).toEqual(first);
    expect(
      rows
        .slice(first.length)
        .map((r) => r[1])
        .sort(),
    ).toEqual(COLLECTIONS);
  });

  it("recover_snap stops with exit 2 naming the history; after freeing space the re-run recovers only what is not recorded", async () => {
    const v = await volume("full-recover");
    await copyFile(backupSnapshots, path.join(v.dir, "snapshots"));
    const env = rig.env({ QDRANT_STATE_DIR: v.dir, QDRANT_CONCURRENCY: "1" });
    const target = rig.target.urls[0] ?? "";
    const earlier = await prefill(
      path.join(v.dir, "snapshot_recovery_history"),
      PAGE - 400,
      (i) => `${target},earlier-${i}.snapshot,ok`,
    );
    await v.fill(PAGE);
    const before = rig.target.requests().length;
    const full = await v.runCli(["recover_snap"], { env, cwd: v.dir });
    expectFullDiskError(full, v, path.join(v.dir, "snapshot_recovery_history"), 2);
    const all = (await readStateStrict(v.dir, (f) => f === ".filler")).snapshot_recovery_history;
    const recorded = all.slice(earlier.split("\n").length - 1);
    // Each recovery is recorded ok, then verified by its health check: the first run got part of the way.
    const recordedOk = recorded.filter((r) => r[2] === "ok");
    expect(recordedOk.length).toBeGreaterThan(0);
    expect(recordedOk.length).toBeLessThan(COLLECTIONS.length);
    await v.free();
    const mark = rig.target.requests().length;
    expect(mark).toBeGreaterThan(before);
    const again = await v.runCli(["recover_snap"], { env, cwd: v.dir });
    expect(again.code, again.stderr).toBe(0);
    const history = (await readStateStrict(v.dir)).snapshot_recovery_history.slice(all.length - recorded.length);
    expect(history.slice(0, recorded.length)).toEqual(recorded);
    expect(
      history
        .filter((r) => r[2] === "ok")
        .map((r) => r[1])
        .sort(),
    ).toEqual(
      (await readFile(backupSnapshots, "utf8"))
        .trim()
        .split("\n")
        .map((l) => l.split(",")[2])
        .sort(),
    );
    // Nothing recorded by the first run was recovered again.
    const recoveredAgain = rig.target
      .requests()
      .slice(mark)
      .filter((q) => q.method === "PUT" && RECOVER.test(q.path))
      .map((q) => decodeURIComponent(RECOVER.exec(q.path)?.[1] ?? ""));
    const recordedCollections = recorded.map((r) => COLLECTIONS.find((c) => (r[1] ?? "").startsWith(`${c}-`)));
    expect(recoveredAgain.filter((c) => recordedCollections.includes(c))).toEqual([]);
    expect(recoveredAgain.length).toBe(COLLECTIONS.length - recordedOk.length);
  });

  it("get_colla stops with exit 2 and writes no alias row; after freeing space it records them all", async () => {
    const v = await volume("full-colla");
    const env = rig.env({ QDRANT_STATE_DIR: v.dir });
    const listed = await v.runCli(["get_coll"], { env, cwd: v.dir });
    expect(listed.code, listed.stderr).toBe(0);
    await v.fill(1024);
    const full = await v.runCli(["get_colla"], { env, cwd: v.dir });
    expectFullDiskError(full, v, path.join(v.dir, "collection_aliases"), 2);
    expect((await readStateStrict(v.dir, (f) => f === ".filler")).collection_aliases).toEqual([]);
    await v.free();
    const again = await v.runCli(["get_colla"], { env, cwd: v.dir });
    expect(again.code, again.stderr).toBe(0);
    expect((await readStateStrict(v.dir)).collection_aliases.sort()).toEqual(ALIASES.map((a) => [...a]));
  });

  it("reset --bkp true on a full volume renames every file whole (no space needed) and exits 0", async () => {
    const v = await volume("full-reset");
    await copyFile(backupSnapshots, path.join(v.dir, "snapshots"));
    const bytes = await readFile(path.join(v.dir, "snapshots"));
    await v.fill(PAGE);
    const reset = await v.runCli(["reset", "--bkp", "true"], { env: rig.env({ QDRANT_STATE_DIR: v.dir }), cwd: v.dir });
    expect(reset.code, reset.stderr).toBe(0);
    const names = await readdir(v.dir);
    const bkp = names.filter((n) => /^snapshots-\d{4}-\d\d-\d\d_\d\d-\d\d-\d\d\.bkp$/.test(n));
    expect(bkp).toHaveLength(1);
    expect(await readFile(path.join(v.dir, bkp[0]!))).toEqual(bytes);
    expect(names).not.toContain("snapshots");
  });

  it("the state mirror's download into a full state directory stops with exit 2, leaves no file, and works once space is freed", async () => {
    const prefix = `full-disk-state-${Date.now()}/`;
    const seeding = await tempDir("full-mirror-seed");
    await copyFile(backupSnapshots, path.join(seeding, "snapshots"));
    const seed = await rig.run(["get_coll"], seeding, rig.env({ QDRANT_STATE_S3_PREFIX: prefix }));
    expect(seed.code, seed.stderr).toBe(0);
    const v = await volume("full-mirror");
    const env = rig.env({ QDRANT_STATE_DIR: v.dir, QDRANT_STATE_S3_PREFIX: prefix });
    await v.fill(1024);
    const full = await v.runCli(["get_coll"], { env, cwd: v.dir });
    expectFullDiskError(full, v, /state file .*(snapshots|collections)\b/, 2);
    const rows = await readStateStrict(v.dir, (f) => f === ".filler");
    expect(rows.snapshots).toEqual([]);
    expect((await readdir(v.dir)).filter((n) => n.includes(".tmp"))).toEqual([]);
    await v.free();
    const again = await v.runCli(["get_coll"], { env, cwd: v.dir });
    expect(again.code, again.stderr).toBe(0);
    expect(await readFile(path.join(v.dir, "snapshots"))).toEqual(await readFile(backupSnapshots));
  });
});

describe("the destination fills up", () => {
  it("transfer mode into a full QDRANT_BACKUP_DIR stops with exit 4, leaves no partial file or row; the re-run transfers every collection", async () => {
    const v = await volume("full-backup-dir", 256 * 1024);
    const stateDir = await tempDir("full-backup-dir-state");
    const env: Env = {
      ...rig.env({ QDRANT_STATE_DIR: stateDir }),
      QDRANT_SOURCE_HOSTS: local.urls[0] ?? "",
      QDRANT_BACKUP_DIR: v.dir,
      QDRANT_SNAPSHOT_TRANSFER: "true",
      QDRANT_CONCURRENCY: "1",
    };
    delete env["QDRANT_S3_BUCKET_NAME"];
    const listed = await v.runCli(["get_coll"], { env, cwd: stateDir });
    expect(listed.code, listed.stderr).toBe(0);
    await v.fill(2 * PAGE);
    const full = await v.runCli(["create_snap"], { env, cwd: stateDir });
    expectFullDiskError(full, v, v.dir, 4);
    expect((await filesUnder(v.dir)).filter((f) => f.includes(".partial-"))).toEqual([]);
    const first = (await readStateStrict(stateDir)).snapshots;
    for (const [, c, name] of first) expect(await filesUnder(v.dir)).toContain(`snapshots/${c}/${name}`);
    await v.free();
    const again = await v.runCli(["create_snap"], { env, cwd: stateDir });
    expect(again.code, again.stderr).toBe(0);
    const rows = (await readStateStrict(stateDir)).snapshots;
    expect(rows.slice(0, first.length)).toEqual(first);
    const stored = await filesUnder(v.dir);
    for (const [i, [, c, name]] of rows.entries()) {
      expect(stored).toContain(`snapshots/${c}/${name}`);
      // The first run's last snapshot may have met the full disk with its metadata (written after its row): then
      // there is none (recover_snap checks it by status only), never a torn one.
      const meta = path.join(v.dir, "backup_metadata", c ?? "", `${name}.json`);
      if (i < first.length && !stored.includes(`backup_metadata/${c}/${name}.json`)) continue;
      expect(JSON.parse(await readFile(meta, "utf8"))).toMatchObject({ snapshot: name });
    }
    expect(
      rows
        .slice(first.length)
        .map((r) => r[1])
        .sort(),
    ).toEqual(COLLECTIONS.slice(0, 3));
    expect(stored.filter((f) => f.includes(".partial"))).toEqual([]);
  });

  it("download_snap into a full volume exits 3, keeps the torn download out of the final name, and resumes from it once space is freed", async () => {
    const v = await volume("full-download");
    const created = await qdrantCall(
      local.urls[0] ?? "",
      "POST",
      `/collections/${COLLECTIONS[0]}/snapshots?wait=true`,
      rig.apiKey,
    );
    const name =
      typeof created === "object" && created !== null && !Array.isArray(created) && typeof created["name"] === "string"
        ? created["name"]
        : "";
    const env: Env = { QDRANT_API_KEY: rig.apiKey, QDRANT_SOURCE_HOSTS: local.urls[0] ?? "" };
    await v.fill(3 * PAGE);
    const full = await v.runCli(["download_snap", "--collection", COLLECTIONS[0]!, "--snapshot", name], {
      env,
      cwd: v.dir,
    });
    expect(full.code, full.stderr).toBe(3);
    expect(full.stderr).toContain(`(${v.code})`);
    const names = await readdir(v.dir);
    expect(names).not.toContain(name);
    expect(names.filter((n) => n.startsWith(name) && n.includes(".partial"))).toHaveLength(1);
    await v.free();
    const again = await v.runCli(["download_snap", "--collection", COLLECTIONS[0]!, "--snapshot", name], {
      env,
      cwd: v.dir,
    });
    expect(again.code, again.stderr).toBe(0);
    expect(await readdir(v.dir)).toContain(name);
    expect((await readdir(v.dir)).filter((n) => n.includes(".partial"))).toEqual([]);
  });
});

describe("a torn last row written by hand", () => {
  it("recover_snap reports it, sets it aside in snapshots.torn-<time>, and never recovers it", async () => {
    const dir = await tempDir("torn-row");
    const whole = await readFile(backupSnapshots, "utf8");
    const lines = whole.trim().split("\n");
    // The last row cut in the middle of its snapshot name, as a full disk left it before this fix.
    const kept = `${lines.slice(0, 2).join("\n")}\n`;
    const torn = (lines[2] ?? "").slice(0, -12);
    await writeFile(path.join(dir, "snapshots"), `${kept}${torn}`);
    const mark = rig.target.requests().length;
    const result = await rig.run(["recover_snap"], dir, rig.env({ QDRANT_CONCURRENCY: "1" }));
    expect(result.code, result.stderr).toBe(0);
    const warning = result.stderr.split("\n").find((l) => l.includes("WARN") && l.includes("is not a whole row"));
    expect(warning, result.stderr).toContain(path.join(dir, "snapshots"));
    expect(warning).toContain(JSON.stringify(torn));
    const copies = (await readdir(dir)).filter((n) => /^snapshots\.torn-\d{4}-\d\d-\d\d_\d\d-\d\d-\d\d$/.test(n));
    expect(copies).toHaveLength(1);
    expect(await readFile(path.join(dir, copies[0]!), "utf8")).toBe(`${kept}${torn}`);
    expect(await readFile(path.join(dir, "snapshots"), "utf8")).toBe(kept);
    const recovered = rig.target
      .requests()
      .slice(mark)
      .filter((q) => q.method === "PUT" && RECOVER.test(q.path))
      .map((q) => decodeURIComponent(RECOVER.exec(q.path)?.[1] ?? ""));
    expect(recovered.sort()).toEqual(
      lines
        .slice(0, 2)
        .map((l) => l.split(",")[1])
        .sort(),
    );
    const history = (await readStateStrict(dir, (f) => f.startsWith("snapshots.torn-"))).snapshot_recovery_history;
    expect(history.filter((r) => r[2] === "ok")).toHaveLength(2);
    expect(history.filter((r) => r[2] === "verified")).toHaveLength(2);
  });
});
