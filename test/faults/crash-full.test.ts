// Crash safety of the full-storage snapshot tasks through the built CLI. `create_full_snap` in transfer mode (into a
// directory and into the bucket) is SIGKILLed as the full snapshot is created, as its download starts, in the middle
// of the download and as the node's copy is deleted; the re-run exits 0, full_snapshots is whole rows, every row
// names a complete archive in the destination (metadata size and SHA-256 match), and no partial object or file is
// ever listed. `recover_full_snap` is SIGKILLed at the Nth collection upload and the Nth alias creation; the re-run
// exits 0, uploads no collection and creates no alias recorded done, and the targets end equal to the source.
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { GetObjectCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { runCli, startCli, type CliResult } from "../support/cli.js";
import { startEmulator, type Emulator } from "../support/emulator/index.js";
import { createAlias, listAliases, qdrantCall, readAllPoints, seedCollection } from "../support/emulator/seed.js";
import { createTestBucket, createTestS3Client } from "../support/s3/client.js";
import { makeTempDir } from "../support/tmp.js";
import { expectExit, s3Env, type Env } from "../e2e/harness.js";
import { randomApiKey } from "../e2e/rig.js";
import { assertNoSecrets } from "../e2e/secret-scan.js";
import {
  duplicates,
  filesUnder,
  partialFileAppears,
  planKills,
  readStateStrict,
  runKilledAt,
  sorted,
  type KillTarget,
} from "./crash-helpers.js";

const SEED = 6241;
const s3 = inject("s3");
const SOURCES = 2;
const TARGETS = 2;
const COLLECTIONS = ["c1", "c2", "c3"];
const ALIASES: readonly (readonly [string, string])[] = [
  ["c1", "a1"],
  ["c2", "a2"],
  ["c3", "a3"],
  ["c1", "a1-live"],
];
const FULL_FILE = /^\/snapshots\/[^/]+\.snapshot$/;
const UPLOAD = /^\/collections\/([^/]+)\/snapshots\/upload$/;
const CREATE_FULL: KillTarget = { label: "POST full snapshot", method: "POST", path: /^\/snapshots$/, total: SOURCES };
const DOWNLOAD: KillTarget = { label: "GET download", method: "GET", path: FULL_FILE, total: SOURCES };
const MID_DOWNLOAD: KillTarget = { ...DOWNLOAD, when: "mid-body" };
const DIR_KILLS = planKills(
  SEED,
  [
    CREATE_FULL,
    DOWNLOAD,
    MID_DOWNLOAD,
    { label: "DELETE node copy", method: "DELETE", path: FULL_FILE, total: SOURCES },
  ],
  4,
);
const S3_KILLS = planKills(SEED + 1, [MID_DOWNLOAD, CREATE_FULL, DOWNLOAD], 3);
const RESTORE_KILLS = planKills(
  SEED + 2,
  [
    { label: "POST upload", method: "POST", path: UPLOAD, total: COLLECTIONS.length * TARGETS },
    { label: "POST aliases", method: "POST", path: /^\/collections\/aliases$/, total: ALIASES.length * TARGETS },
  ],
  4,
);

const apiKey = randomApiKey("crash-full");
const secrets = { QDRANT_API_KEY: apiKey, QDRANT_S3_SECRET_ACCESS_KEY: s3.secretKey };
const client = createTestS3Client(s3, { maxAttempts: 1 });
const temps: (() => Promise<void>)[] = [];
/** Source nodes on local disk. Their clock stands still: every re-run names its full snapshots as the killed run did. */
let source: Emulator;
/** One node whose full snapshot the restore tests recover, and the restore hosts. */
let archiveNode: Emulator;
let targets: Emulator;
/** A QDRANT_BACKUP_DIR holding archiveNode's full snapshot. */
let archiveDir = "";

async function tempDir(label: string): Promise<string> {
  const t = await makeTempDir(label);
  temps.push(t.cleanup);
  return t.dir;
}

const sha256 = (b: Buffer): string => createHash("sha256").update(b).digest("hex");

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

/** A destination read independently of the tool: every key (temp files included) and an object's bytes. */
interface Dest {
  keys(): Promise<string[]>;
  read(key: string): Promise<Buffer | undefined>;
}

const dirDest = (root: string): Dest => ({
  keys: () => filesUnder(root),
  read: (key) => readFile(path.join(root, ...key.split("/"))).catch(() => undefined),
});

const s3Dest = (bucket: string): Dest => ({
  keys: async () => {
    const page = await client.send(new ListObjectsV2Command({ Bucket: bucket }));
    return sorted((page.Contents ?? []).map((o) => o.Key ?? ""));
  },
  read: async (key) => {
    const reply = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key })).catch(() => undefined);
    return reply ? Buffer.from((await reply.Body?.transformToByteArray()) ?? []) : undefined;
  },
});

/**
 * After the re-run: full_snapshots is whole rows, the rows written before the kill are kept, the re-run recorded one
 * per source host, every row names a complete archive in `dest` whose metadata (size, SHA-256) matches its bytes, and
 * every archive `dest` holds under `full_snapshots/` other than a `.partial-` temp file is whole.
 */
async function expectFullBackupComplete(dir: string, before: string[][], dest: Dest, label: string): Promise<void> {
  const rows = (await readStateStrict(dir)).full_snapshots;
  expect(rows.slice(0, before.length), `rows written before the kill are kept (${label})`).toEqual(before);
  expect(sorted(rows.slice(before.length).map((r) => r[0] ?? "")), `hosts recorded by the re-run (${label})`).toEqual(
    sorted(source.urls),
  );
  const recorded = new Set(rows.map(([host = "", name = ""]) => `full_snapshots/${new URL(host).host}/${name}`));
  const keys = await dest.keys();
  for (const key of recorded)
    expect(keys, `${key}, recorded in full_snapshots (${label}), is in the destination`).toContain(key);
  for (const key of keys.filter((k) => k.startsWith("full_snapshots/") && !k.includes(".partial-"))) {
    const bytes = await dest.read(key);
    const metaText = await dest.read(`backup_metadata/${key}.json`);
    expect(metaText, `metadata of ${key} (${label})`).toBeDefined();
    const meta = JSON.parse(metaText?.toString("utf8") ?? "{}") as Record<string, unknown>;
    expect({ size: bytes?.length, sha256: bytes && sha256(bytes) }, `${key} is whole (${label})`).toEqual({
      size: meta.size,
      sha256: meta.sha256,
    });
  }
}

/**
 * Right after the kill: every row the killed run wrote names an archive already whole in `dest` with its metadata (a
 * row is written only after its transfer; the re-run, naming its snapshots alike, would otherwise hide one written
 * before).
 */
async function expectRecordedWhole(rows: string[][], dest: Dest, label: string): Promise<void> {
  for (const [host = "", name = ""] of rows) {
    const key = `full_snapshots/${new URL(host).host}/${name}`;
    const bytes = await dest.read(key);
    const metaText = await dest.read(`backup_metadata/${key}.json`);
    expect(
      bytes && metaText,
      `${key}, recorded by the killed run (${label}), is stored with its metadata`,
    ).toBeTruthy();
    const meta = JSON.parse(metaText?.toString("utf8") ?? "{}") as Record<string, unknown>;
    expect({ size: bytes?.length, sha256: bytes && sha256(bytes) }, `${key} is whole (${label})`).toEqual({
      size: meta.size,
      sha256: meta.sha256,
    });
  }
}

/** get_full_snap in a fresh state directory: the destination's listing never names a temp file. */
async function expectNoPartialListed(env: Env, label: string): Promise<void> {
  const dir = await tempDir("crash-full-list");
  expectExit(await cli(["get_full_snap"], dir, env), 0);
  const names = (await readStateStrict(dir)).full_snapshots.map((r) => r[1] ?? "");
  expect(names.length, `full snapshots listed (${label})`).toBeGreaterThan(0);
  expect(
    names.filter((n) => !/^full-snapshot-[\d-]+\.snapshot$/.test(n)),
    `names listed (${label})`,
  ).toEqual([]);
}

async function wipeTargets(): Promise<void> {
  for (const url of targets.urls) {
    for (const a of await listAliases(url, apiKey)) {
      await qdrantCall(url, "POST", "/collections/aliases", apiKey, {
        actions: [{ delete_alias: { alias_name: a.alias_name } }],
      });
    }
    for (const c of COLLECTIONS) await qdrantCall(url, "DELETE", `/collections/${c}`, apiKey);
  }
}

beforeAll(async () => {
  const fixed = new Date("2026-11-20T03:00:00Z");
  source = await startEmulator({ nodes: SOURCES, apiKey, clock: () => fixed });
  archiveNode = await startEmulator({ nodes: 1, apiKey });
  targets = await startEmulator({ nodes: TARGETS, apiKey });
  for (const [i, c] of COLLECTIONS.entries()) {
    for (const url of [...source.urls, ...archiveNode.urls])
      await seedCollection(url, c, { points: 20 + 6 * i, dim: 4, apiKey });
  }
  for (const [c, a] of ALIASES) await createAlias(archiveNode.urls[0] ?? "", c, a, apiKey);
  archiveDir = await tempDir("crash-full-archive");
  const env = {
    QDRANT_API_KEY: apiKey,
    QDRANT_SOURCE_HOSTS: archiveNode.urls[0] ?? "",
    QDRANT_BACKUP_DIR: archiveDir,
    QDRANT_SNAPSHOT_TRANSFER: "true",
  };
  expectExit(await cli(["create_full_snap"], await tempDir("crash-full-archive-state"), env), 0);
});

afterAll(async () => {
  await source?.stop();
  await archiveNode?.stop();
  await targets?.stop();
  client.destroy();
  for (const cleanup of temps) await cleanup();
});

describe(`create_full_snap in transfer mode into a directory, SIGKILL at seeded points (seed ${SEED})`, () => {
  for (const point of DIR_KILLS) {
    it(`${point.title}: the re-run exits 0; full_snapshots is whole rows, each naming a whole archive; no temp file listed`, async () => {
      const dir = await tempDir("crash-full-dir");
      const backup = await tempDir("crash-full-dir-dest");
      const env: Env = {
        QDRANT_API_KEY: apiKey,
        QDRANT_SOURCE_HOSTS: source.urls.join(","),
        QDRANT_BACKUP_DIR: backup,
        QDRANT_SNAPSHOT_TRANSFER: "true",
        QDRANT_DELETE_AFTER_TRANSFER: "true",
      };
      await runKilledAt(source, point, () => startScanned(["create_full_snap"], dir, env), {
        midBody: () => partialFileAppears(backup),
      });
      const before = (await readStateStrict(dir)).full_snapshots;
      await expectRecordedWhole(before, dirDest(backup), `${point.title}, seed ${SEED}`);
      if (point.target.when === "mid-body")
        expect(
          (await filesUnder(backup)).filter((k) => k.includes(".partial-")),
          "the killed download left its temp file",
        ).not.toEqual([]);

      expectExit(await cli(["create_full_snap"], dir, env), 0);
      const label = `${point.title}, seed ${SEED}`;
      await expectFullBackupComplete(dir, before, dirDest(backup), label);
      await expectNoPartialListed(env, label);
    });
  }
});

describe(`create_full_snap in transfer mode into the bucket, SIGKILL at seeded points (seed ${SEED + 1})`, () => {
  for (const point of S3_KILLS) {
    it(`${point.title}: the re-run exits 0; full_snapshots is whole rows, each naming a whole object; no partial object`, async () => {
      const dir = await tempDir("crash-full-s3");
      const bucket = await createTestBucket(s3, "crash-full");
      const env: Env = {
        QDRANT_API_KEY: apiKey,
        QDRANT_SOURCE_HOSTS: source.urls.join(","),
        QDRANT_SNAPSHOT_TRANSFER: "true",
        ...s3Env(s3, bucket),
      };
      // Mid-body: the answer takes 1.5 s to send; the kill comes once a part of it is on its way.
      const midBody = () => new Promise<void>((resolve) => setTimeout(resolve, 300));
      await runKilledAt(source, point, () => startScanned(["create_full_snap"], dir, env), { midBody });
      const before = (await readStateStrict(dir)).full_snapshots;
      const label = `${point.title}, seed ${SEED + 1}`;
      await expectRecordedWhole(before, s3Dest(bucket), label);
      // Right after the kill: every archive the bucket shows is the node's whole snapshot, never a torn upload.
      for (const key of (await s3Dest(bucket).keys()).filter((k) => k.startsWith("full_snapshots/"))) {
        const [, hostPort = "", name = ""] = key.split("/");
        const url = source.urls.find((u) => new URL(u).host === hostPort) ?? "";
        const reply = await fetch(`${url}/snapshots/${name}`, { headers: { "api-key": apiKey } });
        expect(await s3Dest(bucket).read(key), `${key} left by the killed run is whole (${label})`).toEqual(
          Buffer.from(await reply.arrayBuffer()),
        );
      }
      expectExit(await cli(["create_full_snap"], dir, env), 0);
      await expectFullBackupComplete(dir, before, s3Dest(bucket), label);
      await expectNoPartialListed(env, label);
    });
  }
});

describe(`recover_full_snap killed with SIGKILL at seeded points (seed ${SEED + 2})`, () => {
  for (const point of RESTORE_KILLS) {
    it(`${point.title}: the re-run exits 0, uploads no collection and creates no alias recorded done; targets equal the source`, async () => {
      await wipeTargets();
      const dir = await tempDir("crash-full-recover");
      const env: Env = {
        QDRANT_API_KEY: apiKey,
        QDRANT_SOURCE_HOSTS: archiveNode.urls[0] ?? "",
        QDRANT_RESTORE_HOSTS: targets.urls.join(","),
        QDRANT_BACKUP_DIR: archiveDir,
        QDRANT_SNAPSHOT_TRANSFER: "true",
      };
      await runKilledAt(targets, point, () => startScanned(["recover_full_snap"], dir, env));
      const before = await readStateStrict(dir);
      expect(before.failed_snapshot_recovery, "a kill is no failure of a collection").toEqual([]);
      const doneBefore = before.snapshot_recovery_history
        .filter((r) => r[2] === "ok")
        .map(([host, snap]) => `${host}|${snap}`);
      const aliasesBefore = before.alias_recovery_history.map(([, alias, status]) => `${alias}|${status}`);

      targets.resetRequests();
      expectExit(await cli(["recover_full_snap"], dir, env), 0);
      const after = await readStateStrict(dir);
      const label = `${point.title}, seed ${SEED + 2}`;
      const uploads = targets.requests().filter((q) => q.method === "POST" && UPLOAD.test(q.path));
      // History rows name `host|{source host:port}/{archive}/{collection}`; an upload is `host|collection`.
      const redone = uploads
        .map((q) => ({ host: targets.urls[q.node] ?? "", collection: UPLOAD.exec(q.path)?.[1] ?? "?" }))
        .filter(({ host, collection }) =>
          doneBefore.some((d) => d.startsWith(`${host}|`) && d.endsWith(`/${collection}`)),
        );
      expect(redone, `uploads recorded done before the kill, done again (${label})`).toEqual([]);
      for (const [node, url] of targets.urls.entries()) {
        const created = targets
          .requests()
          .filter((q) => q.node === node && q.method === "POST" && q.path === "/collections/aliases").length;
        const recorded = aliasesBefore.filter((d) => d.endsWith(`|ok@${url}`)).length;
        expect(
          created,
          `alias creations on ${url} in the re-run (${recorded} recorded before the kill, ${label})`,
        ).toBe(ALIASES.length - recorded);
      }
      const okAfter = after.snapshot_recovery_history
        .filter((r) => r[2] === "ok")
        .map(([host, snap]) => `${host}|${snap}`);
      expect(duplicates(okAfter), "a (host, collection) recorded ok twice").toEqual([]);
      expect(
        after.snapshot_recovery_history.slice(0, before.snapshot_recovery_history.length),
        "rows written before the kill are kept",
      ).toEqual(before.snapshot_recovery_history);
      const aliasesAfter = after.alias_recovery_history.map(([, alias, status]) => `${alias}|${status}`);
      expect(sorted(aliasesAfter)).toEqual(sorted(targets.urls.flatMap((u) => ALIASES.map(([, a]) => `${a}|ok@${u}`))));
      expect(after.failed_snapshot_recovery).toEqual([]);
      const src = archiveNode.urls[0] ?? "";
      for (const url of targets.urls) {
        for (const c of COLLECTIONS)
          expect(await readAllPoints(url, c, apiKey), `${c} on ${url} (${label})`).toEqual(
            await readAllPoints(src, c, apiKey),
          );
        expect(await listAliases(url, apiKey), `aliases on ${url} (${label})`).toEqual(await listAliases(src, apiKey));
      }
    });
  }
});
