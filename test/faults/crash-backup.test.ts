// Crash safety of the backup through the built CLI: `create_snap` is SIGKILLed at seeded points of its request
// sequence, with nodes storing their snapshots in the bucket (the legacy layout), and in transfer mode from nodes on
// local disk into a directory and into the bucket (killed as the snapshot is created, as its download starts, in
// the middle of the download, and as the node's copy is deleted). The same command then runs to completion: exit 0,
// every state file parses strictly, every collection has a snapshot recorded by the re-run, every recorded snapshot
// is complete in the destination and matches its metadata, the killed run's temp files are never listed, and what
// the destination holds restores to data equal to the source.
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { GetObjectCommand, NoSuchKey } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { runCli, startCli, type CliResult } from "../support/cli.js";
import { startEmulator, type Emulator } from "../support/emulator/index.js";
import { qdrantCall, readAllPoints, seedCollection } from "../support/emulator/seed.js";
import { createTestBucket, createTestS3Client } from "../support/s3/client.js";
import { makeTempDir } from "../support/tmp.js";
import { expectExit, s3Env, type Env } from "../e2e/harness.js";
import { randomApiKey, startRig, type Rig } from "../e2e/rig.js";
import { assertNoSecrets } from "../e2e/secret-scan.js";
import {
  filesUnder,
  partialFileAppears,
  planKills,
  readStateStrict,
  type KillTarget,
  runKilledAt,
} from "./crash-helpers.js";

const SEED = 6201;
const s3 = inject("s3");
const COLLECTIONS = ["c1", "c2", "c3"];
const CREATE = /^\/collections\/[^/]+\/snapshots$/;
const SNAPSHOT_FILE = /^\/collections\/[^/]+\/snapshots\/[^/]+\.snapshot$/;
const n = COLLECTIONS.length;
const LEGACY_TARGETS: KillTarget[] = [
  { label: "POST snapshot", method: "POST", path: CREATE, total: n },
  // The status check and the facts read each collection before its snapshot.
  { label: "GET collection", method: "GET", path: /^\/collections\/[^/]+$/, total: n },
];
const DIR_TARGETS: KillTarget[] = [
  { label: "POST snapshot", method: "POST", path: CREATE, total: n },
  { label: "GET download", method: "GET", path: SNAPSHOT_FILE, total: n },
  { label: "GET download", method: "GET", path: SNAPSHOT_FILE, total: n, when: "mid-body" },
  { label: "DELETE node copy", method: "DELETE", path: SNAPSHOT_FILE, total: n },
];
const S3_TARGETS: KillTarget[] = [
  { label: "GET download", method: "GET", path: SNAPSHOT_FILE, total: n },
  { label: "GET download", method: "GET", path: SNAPSHOT_FILE, total: n, when: "mid-body" },
  { label: "POST snapshot", method: "POST", path: CREATE, total: n },
];
const LEGACY_KILLS = planKills(SEED, LEGACY_TARGETS, 4);
const DIR_KILLS = planKills(SEED + 1, DIR_TARGETS, 5);
const S3_KILLS = planKills(SEED + 2, S3_TARGETS, 4);

const apiKey = randomApiKey("crash-backup");
const secrets = { QDRANT_API_KEY: apiKey, QDRANT_S3_SECRET_ACCESS_KEY: s3.secretKey };
const client = createTestS3Client(s3, { maxAttempts: 1 });
const temps: (() => Promise<void>)[] = [];
let rig: Rig;
/** Nodes on local disk. Their clock stands still: every re-run names its snapshots as the killed run did. */
let local: Emulator;
let target: Emulator;

async function tempDir(label: string): Promise<string> {
  const t = await makeTempDir(label);
  temps.push(t.cleanup);
  return t.dir;
}

const sha256 = (b: Buffer): string => createHash("sha256").update(b).digest("hex");

/** Where snapshots are stored: a directory or a bucket, read independently of the tool. */
type Dest = { kind: "dir"; root: string } | { kind: "s3"; bucket: string };

async function readObject(dest: Dest, key: string): Promise<Buffer | undefined> {
  if (dest.kind === "dir") return readFile(path.join(dest.root, ...key.split("/"))).catch(() => undefined);
  try {
    const reply = await client.send(new GetObjectCommand({ Bucket: dest.bucket, Key: key }));
    return Buffer.from((await reply.Body?.transformToByteArray()) ?? []);
  } catch (err) {
    if (err instanceof NoSuchKey) return undefined;
    throw err;
  }
}

/** Runs the CLI and scans its output and state directory for secrets. */
async function cli(args: string[], cwd: string, env: Env): Promise<CliResult> {
  const result = await runCli(args, { env, cwd });
  await assertNoSecrets({ stdout: result.stdout, stderr: result.stderr, stateDir: cwd, secrets });
  return result;
}

function startScanned(args: string[], cwd: string, env: Env) {
  const child = startCli(args, { env, cwd });
  return {
    ...child,
    finish: async () => {
      const result = await child.done;
      await assertNoSecrets({ stdout: result.stdout, stderr: result.stderr, stateDir: cwd, secrets });
      return result;
    },
  };
}

/**
 * The backup checks after the re-run: every collection got a row from the re-run; every row (the killed run's too)
 * names a complete snapshot in `dest`; its metadata, when written, describes exactly those bytes; the re-run's rows
 * all have metadata.
 */
async function expectBackupComplete(dir: string, rowsBefore: number, dest: Dest, label: string): Promise<void> {
  const rows = (await readStateStrict(dir)).snapshots;
  const rerun = rows.slice(rowsBefore);
  expect(rerun.map((r) => r[1]).sort(), `collections snapshotted by the re-run (${label})`).toEqual(COLLECTIONS);
  for (const [i, [, collection = "", name = ""]] of rows.entries()) {
    const key = `snapshots/${collection}/${name}`;
    const bytes = await readObject(dest, key);
    expect(bytes, `${key}, recorded in snapshots row ${i + 1} (${label}), is in the destination`).toBeDefined();
    const metaText = await readObject(dest, `backup_metadata/${collection}/${name}.json`);
    if (i >= rowsBefore) expect(metaText, `metadata of ${key} (${label})`).toBeDefined();
    if (bytes && metaText) {
      const meta: unknown = JSON.parse(metaText.toString("utf8"));
      if (typeof meta !== "object" || meta === null) throw new Error(`metadata of ${key} is not an object`);
      expect(Reflect.get(meta, "size"), `size in the metadata of ${key} (${label})`).toBe(bytes.length);
      const recorded: unknown = Reflect.get(meta, "sha256");
      if (recorded !== undefined) expect(recorded, `SHA-256 in the metadata of ${key} (${label})`).toBe(sha256(bytes));
    }
  }
}

/** Restores everything the destination lists onto the (wiped) target and compares it with the source. */
async function expectRestorable(destEnv: Env, label: string): Promise<string[]> {
  const targetUrl = target.urls[0] ?? "";
  for (const c of COLLECTIONS) await qdrantCall(targetUrl, "DELETE", `/collections/${c}`, apiKey);
  const dir = await tempDir("crash-backup-restore");
  const r = await cli(["recover_snap"], dir, { QDRANT_API_KEY: apiKey, QDRANT_RESTORE_HOSTS: targetUrl, ...destEnv });
  expectExit(r, 0);
  const listed = (await readStateStrict(dir)).snapshots.map((row) => row[2] ?? "");
  expect(
    listed.filter((name) => !name.endsWith(".snapshot")),
    `names listed from the destination (${label})`,
  ).toEqual([]);
  for (const c of COLLECTIONS) {
    expect(await readAllPoints(targetUrl, c, apiKey), `${c} restored from the backup (${label})`).toEqual(
      await readAllPoints(local.urls[0] ?? "", c, apiKey),
    );
  }
  return listed;
}

beforeAll(async () => {
  rig = await startRig(s3, { label: "crash-backup", sourceNodes: 1, targetNodes: 1, apiKey });
  const fixed = new Date("2026-11-20T02:00:00Z");
  local = await startEmulator({ nodes: 1, apiKey, clock: () => fixed });
  target = await startEmulator({ nodes: 1, apiKey });
  for (const [i, c] of COLLECTIONS.entries()) {
    await seedCollection(rig.source.urls[0] ?? "", c, { points: 25 + 5 * i, dim: 4, apiKey });
    await seedCollection(local.urls[0] ?? "", c, { points: 25 + 5 * i, dim: 4, apiKey });
  }
});

afterAll(async () => {
  await rig?.stop();
  await local?.stop();
  await target?.stop();
  client.destroy();
  for (const cleanup of temps) await cleanup();
});

describe(`create_snap, nodes storing snapshots in the bucket, SIGKILL at seeded points (seed ${SEED})`, () => {
  for (const point of LEGACY_KILLS) {
    it(`${point.title}: the re-run exits 0; every collection has a snapshot recorded and stored with its metadata`, async () => {
      const dir = await tempDir("crash-create");
      await runKilledAt(rig.source, point, () => rig.start(["create_snap"], dir));
      const before = await readStateStrict(dir);
      expectExit(await rig.run(["create_snap"], dir), 0);
      await expectBackupComplete(
        dir,
        before.snapshots.length,
        { kind: "s3", bucket: rig.bucket },
        `${point.title}, seed ${SEED}`,
      );
    });
  }
});

describe(`create_snap in transfer mode into a directory, SIGKILL at seeded points (seed ${SEED + 1})`, () => {
  for (const point of DIR_KILLS) {
    it(`${point.title}: the re-run exits 0; every recorded snapshot is complete; temp files are never listed or restored`, async () => {
      const dir = await tempDir("crash-transfer-dir");
      const backup = await tempDir("crash-transfer-dir-dest");
      const env: Env = {
        QDRANT_API_KEY: apiKey,
        QDRANT_SOURCE_HOSTS: local.urls[0] ?? "",
        QDRANT_BACKUP_DIR: backup,
        QDRANT_SNAPSHOT_TRANSFER: "true",
        QDRANT_DELETE_AFTER_TRANSFER: "true",
      };
      await runKilledAt(local, point, () => startScanned(["create_snap"], dir, env), {
        midBody: () => partialFileAppears(backup),
      });
      const before = await readStateStrict(dir);
      const leftovers = (await filesUnder(backup)).filter((k) => k.includes(".partial-"));
      if (point.target.when === "mid-body") expect(leftovers, "the killed download left its temp file").not.toEqual([]);

      expectExit(await cli(["create_snap"], dir, env), 0);
      const label = `${point.title}, seed ${SEED + 1}`;
      await expectBackupComplete(dir, before.snapshots.length, { kind: "dir", root: backup }, label);
      const listed = await expectRestorable({ QDRANT_BACKUP_DIR: backup }, label);
      // A killed run's temp file is removed by the next put of its key (a re-run in the same second writes the same
      // snapshot name again); any other stays until prune, and no listing shows one.
      const remaining = await filesUnder(backup);
      for (const temp of leftovers) {
        const key = temp.slice(0, temp.lastIndexOf(".partial-"));
        if (remaining.includes(key)) expect(remaining, label).not.toContain(temp);
      }
      expect(
        listed.filter((name) => name.includes(".partial-")),
        label,
      ).toEqual([]);
    });
  }
});

describe(`create_snap in transfer mode into the bucket, SIGKILL at seeded points (seed ${SEED + 2})`, () => {
  for (const point of S3_KILLS) {
    it(`${point.title}: the re-run exits 0; every recorded snapshot is complete in the bucket and restores`, async () => {
      const dir = await tempDir("crash-transfer-s3");
      const bucket = await createTestBucket(s3, "crash-transfer");
      const env: Env = {
        QDRANT_API_KEY: apiKey,
        QDRANT_SOURCE_HOSTS: local.urls[0] ?? "",
        QDRANT_SNAPSHOT_TRANSFER: "true",
        ...s3Env(s3, bucket),
      };
      // Mid-body: the answer takes 1.5 s to send; the kill comes once a part of it is on its way.
      const midBody = () => new Promise<void>((resolve) => setTimeout(resolve, 300));
      await runKilledAt(local, point, () => startScanned(["create_snap"], dir, env), { midBody });
      const before = await readStateStrict(dir);

      expectExit(await cli(["create_snap"], dir, env), 0);
      const label = `${point.title}, seed ${SEED + 2}`;
      await expectBackupComplete(dir, before.snapshots.length, { kind: "s3", bucket }, label);
      await expectRestorable(s3Env(s3, bucket), label);
    });
  }
});
