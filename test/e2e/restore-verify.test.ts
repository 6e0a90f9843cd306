// Restore with health checks through the built CLI: create_snap, backup metadata, recover_snap by presigned URL
// (with checksum) and by upload from QDRANT_BACKUP_DIR, each recovered collection checked (grey → optimizers
// triggered → green; exact count, vectors config, payload scroll); a failed check exits 3 and a re-run checks again.
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { METADATA_FORMAT, readMetadata, writeMetadata, type BackupMetadata } from "../../src/backup/metadata.js";
import { createSnapshotStore } from "../../src/store/s3.js";
import { collectionSnapshotKey } from "../../src/core/keys.js";
import { createDirStore } from "../../src/store/dir.js";
import type { SnapshotStore } from "../../src/store/types.js";
import { runCli } from "../support/cli.js";
import { startEmulator, type Emulator } from "../support/emulator/index.js";
import { isObject } from "../support/emulator/json.js";
import { qdrantCall, readAllPoints, seedCollection } from "../support/emulator/seed.js";
import { createTestBucket, createTestS3Client } from "../support/s3/client.js";
import { makeTempDir } from "../support/tmp.js";
import { expectExit, expectLogLines, parseJsonSummary, plainLines, readStateText, s3Env } from "./harness.js";
import { randomApiKey, startRig, type Rig } from "./rig.js";
import { assertNoSecrets } from "./secret-scan.js";
import { digestOf } from "../integration/helpers/restore.js";

const s3 = inject("s3");
const COLLECTIONS = { books: { points: 40, dim: 8 }, films: { points: 25, dim: 4 } } as const;
type Name = keyof typeof COLLECTIONS;
const NAMES = Object.keys(COLLECTIONS) as Name[];
const temps: (() => Promise<void>)[] = [];
const s3client = createTestS3Client(s3);

async function tempDir(label: string): Promise<string> {
  const t = await makeTempDir(label);
  temps.push(t.cleanup);
  return t.dir;
}

afterAll(async () => {
  s3client.destroy();
  for (const cleanup of temps) await cleanup();
});

/** The metadata a backup writes for `snapshot` of `collection` on `host`, measured from the source and the store. */
async function measureMetadata(
  store: SnapshotStore,
  host: string,
  apiKey: string,
  collection: string,
  snapshot: string,
): Promise<BackupMetadata> {
  const info = await qdrantCall(host, "GET", `/collections/${collection}`, apiKey);
  const count = await qdrantCall(host, "POST", `/collections/${collection}/points/count`, apiKey, { exact: true });
  if (!isObject(info) || !isObject(info["config"]) || !isObject(count) || typeof count["count"] !== "number")
    throw new Error("bad answer");
  return {
    format: METADATA_FORMAT,
    kind: "collection",
    snapshot,
    collection,
    source: { host },
    pointsCount: count["count"],
    collectionConfig: info["config"],
    aliases: [],
    ...(await digestOf(store, collectionSnapshotKey(collection, snapshot))),
    createdAt: new Date().toISOString(),
  };
}

/** The snapshots rows as `collection → snapshot name`. */
async function snapshotNames(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const line of plainLines(await readStateText(dir, "snapshots"))) {
    const [, collection = "", name = ""] = line.split(",");
    out[collection] = name;
  }
  return out;
}

describe("S3 destination: create_snap, then recover_snap by URL with checksum and checks", () => {
  let rig: Rig;
  let store: SnapshotStore;
  let backupDir = "";
  const names: Record<string, string> = {};
  const metadata: Partial<Record<Name, BackupMetadata>> = {};
  const controller = new AbortController();

  beforeAll(async () => {
    rig = await startRig(s3, { label: "restore-verify", sourceNodes: 1, targetNodes: 2 });
    for (const name of NAMES)
      await seedCollection(rig.source.urls[0] ?? "", name, { ...COLLECTIONS[name], apiKey: rig.apiKey });
    store = createSnapshotStore(s3client, rig.bucket, controller.signal);
    backupDir = await tempDir("restore-verify-backup");
    const r = await rig.run(["create_snap"], backupDir);
    expectExit(r, 0);
    Object.assign(names, await snapshotNames(backupDir));
    expect(Object.keys(names).sort()).toEqual(NAMES);
    for (const name of NAMES) {
      const key = collectionSnapshotKey(name, names[name] ?? "");
      // create_snap writes the metadata (the last describe pins that). With Qdrant's own S3 storage it has no
      // SHA-256 (Qdrant gives none there); add the one a transfer-mode backup records, so the URL carries a checksum.
      const existing = await readMetadata(store, key);
      const meta =
        existing ?? (await measureMetadata(store, rig.source.urls[0] ?? "", rig.apiKey, name, names[name] ?? ""));
      metadata[name] = meta.sha256 ? meta : { ...meta, ...(await digestOf(store, key)) };
      await writeMetadata(store, key, metadata[name]);
    }
  });
  afterAll(async () => {
    await rig?.stop();
  });

  it("recovers on both targets, triggers the optimizers of grey collections, checks each one: exit 0", async () => {
    const dir = await tempDir("restore-verify-ok");
    rig.target.faults.afterRecover({ grey: true, yellowPolls: 1 });
    try {
      const r = await rig.run(
        ["get_snap_s3", "recover_snap", "--json", "--items"],
        dir,
        rig.env({ QDRANT_SOURCE_HOSTS: "" }),
      );
      expectExit(r, 0);
      expectLogLines(r.stderr);
      const summary = parseJsonSummary(r.stdout);
      expect(summary.tasks[1]).toMatchObject({ task: "recover_snap", done: 4, failed: 0, exitCode: 0 });
      expect(summary.tasks[1]?.items.map((i) => i["verified"])).toEqual(["full", "full", "full", "full"]);
      expect(r.stderr.match(/checksum verified by Qdrant/g)).toHaveLength(4);
      expect(r.stderr.match(/is grey \(optimizations pending\); triggered its optimizers/g)).toHaveLength(4);
      expect(r.stderr).toMatch(
        /Verified books on .*: green, 40 points, vectors config as backed up, payloads readable/,
      );
      const patches = rig.target.requests().filter((q) => q.method === "PATCH");
      expect(patches.map((q) => `${q.node} ${q.path} ${q.status}`).sort()).toEqual(
        [0, 1].flatMap((n) => NAMES.map((c) => `${n} /collections/${c} 200`)).sort(),
      );
      for (const t of rig.target.urls)
        for (const c of NAMES)
          expect(await readAllPoints(t, c, rig.apiKey)).toEqual(
            await readAllPoints(rig.source.urls[0] ?? "", c, rig.apiKey),
          );
      expect(await readStateText(dir, "failed_snapshot_recovery")).toBeUndefined();
    } finally {
      rig.target.faults.afterRecover({});
    }
  });

  it("a failed check exits 3, is recorded as verify-count; a re-run checks it again without recovering again", async () => {
    const dir = await tempDir("restore-verify-fail");
    const key = collectionSnapshotKey("films", names["films"] ?? "");
    const right = metadata.films;
    if (!right) throw new Error("no metadata");
    await writeMetadata(store, key, {
      ...right,
      pointsCount: right.pointsCount! + 1,
      pointsCountAfter: right.pointsCount! + 1,
    });
    const [t1 = "", t2 = ""] = rig.target.urls;
    try {
      const first = await rig.run(["get_snap_s3", "recover_snap"], dir, rig.env({ QDRANT_SOURCE_HOSTS: "" }));
      expectExit(first, 3);
      expect(first.stdout).toBe(
        "[get_snap_s3] Snapshots found in S3: 2 new, 0 already listed, in 2 collections\n" +
          "[recover_snap] Snapshots recovered: 2, accepted: 0, already recovered: 0, failed: 2 (2 failed verification after recovery)\n",
      );
      expect(first.stderr).toMatch(
        /ERROR: Verification of films-.* on .* failed: films on .* holds 25 points; the backup metadata of films-.* says 26/,
      );
      expect([...plainLines(await readStateText(dir, "failed_snapshot_recovery"))].sort()).toEqual(
        [`${t1},${names["films"]},verify-count`, `${t2},${names["films"]},verify-count`].sort(),
      );
      // 4 recoveries; the 2 of books passed their checks (`verified`).
      expect(plainLines(await readStateText(dir, "snapshot_recovery_history"))).toHaveLength(6);
    } finally {
      await writeMetadata(store, key, right);
    }
    rig.target.resetRequests();
    const again = await rig.run(["recover_snap"], dir, rig.env({ QDRANT_SOURCE_HOSTS: "" }));
    expectExit(again, 0);
    expect(again.stdout).toBe(
      "[recover_snap] Snapshots recovered: 0, accepted: 0, already recovered: 2, failed: 0 (2 verified again)\n",
    );
    expect(
      rig.target.requests().filter((q) => q.method === "PUT" || (q.method === "POST" && q.path.endsWith("/upload"))),
    ).toEqual([]);
    const history = plainLines(await readStateText(dir, "snapshot_recovery_history"));
    expect(history.slice(6).sort()).toEqual(
      [`${t1},${names["films"]},verified`, `${t2},${names["films"]},verified`].sort(),
    );
  });
});

describe("QDRANT_BACKUP_DIR destination: recover_snap by upload, checked", () => {
  let source: Emulator;
  let target: Emulator;
  let apiKey = "";
  let backups = "";
  const names: Record<string, string> = {};

  beforeAll(async () => {
    apiKey = randomApiKey("restore-dir");
    source = await startEmulator({ apiKey });
    target = await startEmulator({ nodes: 2, apiKey });
    for (const name of NAMES) await seedCollection(source.urls[0] ?? "", name, { ...COLLECTIONS[name], apiKey });
    backups = path.join(await tempDir("restore-dir"), "backups");
    await mkdir(backups);
    const store = createDirStore(backups);
    const src = source.urls[0] ?? "";
    // Until create_snap transfers snapshots into the directory (QDRANT_SNAPSHOT_TRANSFER), copy them over HTTP here.
    for (const name of NAMES) {
      const created = await qdrantCall(src, "POST", `/collections/${name}/snapshots?wait=true`, apiKey);
      if (!isObject(created) || typeof created["name"] !== "string") throw new Error("no snapshot");
      const snapshot = created["name"];
      names[name] = snapshot;
      const res = await fetch(`${src}/collections/${name}/snapshots/${snapshot}`, { headers: { "api-key": apiKey } });
      if (!res.ok || !res.body) throw new Error(`download ${res.status}`);
      const web: WebReadableStream<Uint8Array> = res.body;
      await store.put(collectionSnapshotKey(name, snapshot), Readable.fromWeb(web));
      await writeMetadata(
        store,
        collectionSnapshotKey(name, snapshot),
        await measureMetadata(store, src, apiKey, name, snapshot),
      );
    }
  });
  afterAll(async () => {
    await Promise.all([source?.stop(), target?.stop()]);
  });

  const env = () => ({
    QDRANT_API_KEY: apiKey,
    QDRANT_RESTORE_HOSTS: target.urls.join(","),
    QDRANT_BACKUP_DIR: backups,
  });

  it("lists the directory, uploads each snapshot to both targets and checks it: exit 0", async () => {
    const dir = await tempDir("restore-dir-ok");
    const r = await runCli(["recover_snap", "--json", "--items"], { env: env(), cwd: dir });
    await assertNoSecrets({ stdout: r.stdout, stderr: r.stderr, stateDir: dir, secrets: { QDRANT_API_KEY: apiKey } });
    expectExit(r, 0);
    expectLogLines(r.stderr);
    const summary = parseJsonSummary(r.stdout);
    expect(summary.tasks[0]).toMatchObject({ task: "recover_snap", done: 4, failed: 0 });
    expect(summary.tasks[0]?.items.map((i) => i["verified"])).toEqual(["full", "full", "full", "full"]);
    expect(r.stderr.match(/\(by upload, checksum verified by Qdrant\)/g)).toHaveLength(4);
    const uploads = target.requests().filter((q) => q.method === "POST" && q.path.endsWith("/snapshots/upload"));
    expect(uploads).toHaveLength(4);
    expect(target.requests().filter((q) => q.path.endsWith("/snapshots/recover"))).toEqual([]);
    for (const t of target.urls)
      for (const c of NAMES)
        expect(await readAllPoints(t, c, apiKey)).toEqual(await readAllPoints(source.urls[0] ?? "", c, apiKey));
  });

  it("a collection that stays red after recovery exits 3 with verify-status", async () => {
    const dir = await tempDir("restore-dir-red");
    target.faults.afterRecover({ error: "Service internal error: No space left on device" });
    try {
      const r = await runCli(["recover_snap"], {
        env: { ...env(), QDRANT_RESTORE_HOSTS: target.urls[0] ?? "" },
        cwd: dir,
      });
      await assertNoSecrets({ stdout: r.stdout, stderr: r.stderr, stateDir: dir, secrets: { QDRANT_API_KEY: apiKey } });
      expectExit(r, 3);
      expect(r.stdout).toBe(
        "[recover_snap] Snapshots recovered: 0, accepted: 0, already recovered: 0, failed: 2 (2 failed verification after recovery)\n",
      );
      expect(plainLines(await readStateText(dir, "failed_snapshot_recovery")).map((l) => l.split(",")[2])).toEqual([
        "verify-status",
        "verify-status",
      ]);
    } finally {
      target.faults.afterRecover({});
    }
  });
});

describe("create_snap writes the backup metadata that recover_snap checks against", () => {
  // Relies on create_snap writing backup_metadata/… for each snapshot (issue 5 item 6); nothing is written by hand.
  it("Qdrant's S3 storage: every snapshot gets metadata (no SHA-256 there), and every recovery a full check", async () => {
    const rig = await startRig(s3, { label: "restore-verify-meta", sourceNodes: 1, targetNodes: 1 });
    try {
      for (const name of NAMES)
        await seedCollection(rig.source.urls[0] ?? "", name, { ...COLLECTIONS[name], apiKey: rig.apiKey });
      const dir = await tempDir("restore-verify-meta");
      expectExit(await rig.run(["create_snap"], dir), 0);
      const store = createSnapshotStore(s3client, rig.bucket, new AbortController().signal);
      for (const [collection, snapshot] of Object.entries(await snapshotNames(dir))) {
        const meta = await readMetadata(store, collectionSnapshotKey(collection, snapshot));
        expect(meta, `metadata of ${snapshot}`).toMatchObject({
          kind: "collection",
          snapshot,
          collection,
          pointsCount: COLLECTIONS[collection as Name].points,
        });
      }
      const r = await rig.run(["recover_snap", "--json", "--items"], dir);
      expectExit(r, 0);
      expect(parseJsonSummary(r.stdout).tasks[0]?.items.map((i) => i["verified"])).toEqual(["full", "full"]);
      expect(r.stderr).not.toMatch(/No backup metadata/);
    } finally {
      await rig.stop();
    }
  });

  it.each(["s3", "dir"] as const)(
    "transfer mode (nodes on local disk) into the %s destination: restored with a checksum, checked",
    async (dest) => {
      const apiKey = randomApiKey(`restore-transfer-${dest}`);
      const source = await startEmulator({ apiKey });
      const target = await startEmulator({ apiKey });
      try {
        for (const name of NAMES) await seedCollection(source.urls[0] ?? "", name, { ...COLLECTIONS[name], apiKey });
        const dir = await tempDir(`restore-transfer-${dest}`);
        const destination: Record<string, string> =
          dest === "dir"
            ? { QDRANT_BACKUP_DIR: path.join(dir, "backups") }
            : { ...s3Env(s3, await createTestBucket(s3, `restore-transfer`)) };
        const env = {
          QDRANT_API_KEY: apiKey,
          QDRANT_SOURCE_HOSTS: source.urls[0] ?? "",
          QDRANT_RESTORE_HOSTS: target.urls[0] ?? "",
          ...destination,
        };
        const secrets = { QDRANT_API_KEY: apiKey, QDRANT_S3_SECRET_ACCESS_KEY: s3.secretKey };
        const backup = await runCli(["create_snap"], { env: { ...env, QDRANT_SNAPSHOT_TRANSFER: "true" }, cwd: dir });
        await assertNoSecrets({ stdout: backup.stdout, stderr: backup.stderr, stateDir: dir, secrets });
        expectExit(backup, 0);
        const restore = await runCli(["recover_snap", "--json", "--items"], { env, cwd: dir });
        await assertNoSecrets({ stdout: restore.stdout, stderr: restore.stderr, stateDir: dir, secrets });
        expectExit(restore, 0);
        expect(parseJsonSummary(restore.stdout).tasks[0]?.items.map((i) => i["verified"])).toEqual(["full", "full"]);
        const via = dest === "dir" ? "by upload" : "by URL";
        expect(restore.stderr.match(new RegExp(`\\(${via}, checksum verified by Qdrant\\)`, "g"))).toHaveLength(2);
        for (const c of NAMES)
          expect(await readAllPoints(target.urls[0] ?? "", c, apiKey)).toEqual(
            await readAllPoints(source.urls[0] ?? "", c, apiKey),
          );
      } finally {
        await Promise.all([source.stop(), target.stop()]);
      }
    },
  );
});
