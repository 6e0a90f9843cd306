// Transfer mode through the built CLI: `QDRANT_SNAPSHOT_TRANSFER=true create_snap` against emulator nodes that keep
// their snapshots on local disk, into the local S3 and into a directory; then get_snap_s3 lists what was stored.
// Nodes with S3 snapshot storage writing into the destination bucket, and the settings transfer mode refuses.
// Every run goes through the secret scan, the metadata objects included.
import { createHash } from "node:crypto";
import { readFile, readdir } from "node:fs/promises";
import path from "node:path";
import { GetObjectCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { runCli, type CliResult } from "../support/cli.js";
import { startEmulator, type Emulator } from "../support/emulator/index.js";
import { createAlias, seedCollection } from "../support/emulator/seed.js";
import { createTestBucket, createTestS3Client } from "../support/s3/client.js";
import { makeTempDir } from "../support/tmp.js";
import { expectExit, expectLogLines, plainLines, readStateText, s3Env, s3Storage, type Env } from "./harness.js";
import { randomApiKey } from "./rig.js";
import { assertNoSecrets } from "./secret-scan.js";

const s3 = inject("s3");
const apiKey = randomApiKey("transfer");
const secrets = { QDRANT_API_KEY: apiKey, QDRANT_S3_SECRET_ACCESS_KEY: s3.secretKey };
const client = createTestS3Client(s3, { maxAttempts: 1 });
const temps: (() => Promise<void>)[] = [];
let local: Emulator;

async function tempDir(label: string): Promise<string> {
  const t = await makeTempDir(label);
  temps.push(t.cleanup);
  return t.dir;
}

const sha256 = (b: Buffer): string => createHash("sha256").update(b).digest("hex");

/** Every key of a bucket, sorted. */
async function bucketKeys(bucket: string): Promise<string[]> {
  const page = await client.send(new ListObjectsV2Command({ Bucket: bucket }));
  return (page.Contents ?? []).map((o) => o.Key ?? "").sort();
}

async function bucketObject(bucket: string, key: string): Promise<Buffer> {
  const reply = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from((await reply.Body?.transformToByteArray()) ?? []);
}

/** Every file under `root` as a `/` key, sorted. */
async function dirKeys(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(root, path.join(e.parentPath, e.name)).split(path.sep).join("/"))
    .sort();
}

/** The snapshot as the node serves it, or its HTTP status when it does not. */
async function fromNode(url: string, collection: string, name: string): Promise<Buffer | number> {
  const res = await fetch(`${url}/collections/${collection}/snapshots/${name}`, { headers: { "api-key": apiKey } });
  return res.ok ? Buffer.from(await res.arrayBuffer()) : res.status;
}

/** Runs the CLI in `cwd` and scans its output, its state files and `metadata` texts for secrets. */
async function cli(
  args: string[],
  cwd: string,
  env: Env,
  metadata: { where: string; text: string }[] = [],
): Promise<CliResult> {
  const result = await runCli(args, { env, cwd });
  await assertNoSecrets({ stdout: result.stdout, stderr: result.stderr, stateDir: cwd, secrets, extra: metadata });
  return result;
}

function sourceEnv(emu: Emulator, extra: Env): Env {
  return {
    QDRANT_API_KEY: apiKey,
    QDRANT_SOURCE_HOSTS: emu.urls.join(","),
    QDRANT_SNAPSHOT_TRANSFER: "true",
    ...extra,
  };
}

beforeAll(async () => {
  local = await startEmulator({ nodes: 2, apiKey });
  const [a = "", b = ""] = local.urls;
  await seedCollection(a, "articles", { points: 120, dim: 8, apiKey });
  await seedCollection(a, "products", { points: 40, dim: 4, distance: "Dot", apiKey });
  await seedCollection(b, "users", { points: 60, dim: 4, apiKey });
  await createAlias(a, "articles", "articles-live", apiKey);
});

afterAll(async () => {
  await local?.stop();
  client.destroy();
  for (const cleanup of temps) await cleanup();
});

describe("nodes on local disk, QDRANT_SNAPSHOT_TRANSFER=true", () => {
  it("create_snap into the local S3: every snapshot stored byte for byte with its metadata; get_snap_s3 lists them", async () => {
    const bucket = await createTestBucket(s3, "e2e-transfer");
    const dir = await tempDir("transfer-s3");
    const env = sourceEnv(local, s3Env(s3, bucket));

    const r = await cli(["create_snap"], dir, env);

    expectExit(r, 0);
    expect(r.stdout).toBe(
      `[create_snap] Snapshots created: 3, accepted: 0, failed: 0, transferred to s3://${bucket}\n`,
    );
    expectLogLines(r.stderr);
    const rows = plainLines(await readStateText(dir, "snapshots")).map((l) => l.split(","));
    expect(rows.map((row) => row[1]).sort()).toEqual(["articles", "products", "users"]);
    const metadata: { where: string; text: string }[] = [];
    for (const [host = "", collection = "", name = ""] of rows) {
      expect(r.stderr).toContain(
        `Transferred ${name} of ${collection} from ${host} to s3://${bucket}/snapshots/${collection}/${name}`,
      );
      const stored = await bucketObject(bucket, `snapshots/${collection}/${name}`);
      const served = await fromNode(host, collection, name);
      expect(Buffer.isBuffer(served), "the node keeps its copy").toBe(true);
      expect(sha256(stored)).toBe(sha256(served as Buffer));
      const text = (await bucketObject(bucket, `backup_metadata/${collection}/${name}.json`)).toString("utf8");
      metadata.push({ where: `metadata of ${collection}`, text });
      expect(JSON.parse(text)).toMatchObject({
        snapshot: name,
        collection,
        sha256: sha256(stored),
        size: stored.length,
        source: { host },
      });
    }
    expect(JSON.parse(metadata.find((m) => m.where.endsWith("articles"))!.text)).toMatchObject({
      pointsCount: 120,
      aliases: ["articles-live"],
    });
    await assertNoSecrets({ stdout: "", stderr: "", secrets, extra: metadata });
    expect(await bucketKeys(bucket)).toEqual(
      rows.flatMap(([, c, n]) => [`backup_metadata/${c}/${n}.json`, `snapshots/${c}/${n}`]).sort(),
    );

    const listDir = await tempDir("transfer-s3-list");
    const listed = await cli(["get_snap_s3"], listDir, { ...s3Env(s3, bucket) });
    expectExit(listed, 0);
    expect(
      plainLines(await readStateText(listDir, "snapshots"))
        .map((l) => l.split(",").slice(1).join(","))
        .sort(),
    ).toEqual(rows.map(([, c, n]) => `${c},${n}`).sort());
  });

  it("create_snap into a directory with QDRANT_DELETE_AFTER_TRANSFER=true: stored with metadata, the nodes' copies deleted", async () => {
    const backups = await tempDir("transfer-backups");
    const dir = await tempDir("transfer-dir");
    // A second, fresh pair of nodes: the first test's snapshots stay where they are.
    const emu = await startEmulator({ nodes: 1, apiKey });
    temps.push(() => emu.stop());
    await seedCollection(emu.urls[0]!, "events", { points: 33, dim: 3, apiKey });
    const env = sourceEnv(emu, { QDRANT_BACKUP_DIR: backups, QDRANT_DELETE_AFTER_TRANSFER: "true" });

    const r = await cli(["--verbose", "create_snap"], dir, env);

    expectExit(r, 0);
    expect(r.stdout).toBe(`[create_snap] Snapshots created: 1, accepted: 0, failed: 0, transferred to ${backups}\n`);
    const [[host = "", collection = "", name = ""] = []] = plainLines(await readStateText(dir, "snapshots")).map((l) =>
      l.split(","),
    );
    expect(collection).toBe("events");
    expect(await dirKeys(backups)).toEqual([`backup_metadata/events/${name}.json`, `snapshots/events/${name}`]);
    const stored = await readFile(path.join(backups, "snapshots", "events", name));
    const text = await readFile(path.join(backups, "backup_metadata", "events", `${name}.json`), "utf8");
    await assertNoSecrets({ stdout: "", stderr: "", secrets, extra: [{ where: "metadata", text }] });
    expect(JSON.parse(text)).toMatchObject({ pointsCount: 33, sha256: sha256(stored), size: stored.length });
    expect(await fromNode(host, "events", name)).toBe(404);
    expect(r.stderr).toContain(`Deleted ${name} of events from ${host} (transferred and verified)`);

    const listDir = await tempDir("transfer-dir-list");
    const listed = await cli(["get_snap_s3"], listDir, { QDRANT_BACKUP_DIR: backups });
    expectExit(listed, 0);
    expect(plainLines(await readStateText(listDir, "snapshots"))).toEqual([`,events,${name}`]);
  });

  it.each([
    ["no destination", {}, /no backup destination: set QDRANT_S3_BUCKET_NAME \(S3\) or QDRANT_BACKUP_DIR/],
    [
      "QDRANT_WAIT_ON_TASK=false",
      { QDRANT_BACKUP_DIR: "backups", QDRANT_WAIT_ON_TASK: "false" },
      /QDRANT_SNAPSHOT_TRANSFER=true needs QDRANT_WAIT_ON_TASK=true/,
    ],
  ])("refuses %s: exit 2 before any request, no state file", async (_label, extra, message) => {
    const dir = await tempDir("transfer-refused");
    local.resetRequests();

    const r = await cli(["create_snap"], dir, sourceEnv(local, extra));

    expectExit(r, 2);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe("");
    expect(local.requests()).toEqual([]);
    expect(await readdir(dir)).toEqual([]);
  });
});

describe("nodes with S3 snapshot storage in the destination bucket, QDRANT_SNAPSHOT_TRANSFER=true", () => {
  it("stores nothing twice and deletes nothing: the snapshot Qdrant wrote is the backup, with its metadata", async () => {
    const bucket = await createTestBucket(s3, "e2e-transfer-same");
    const emu = await startEmulator({ nodes: 1, apiKey, storage: s3Storage(s3, bucket) });
    temps.push(() => emu.stop());
    await seedCollection(emu.urls[0]!, "shared", { points: 15, dim: 2, apiKey });
    const dir = await tempDir("transfer-same");

    const r = await cli(
      ["create_snap"],
      dir,
      sourceEnv(emu, { ...s3Env(s3, bucket), QDRANT_DELETE_AFTER_TRANSFER: "true" }),
    );

    expectExit(r, 0);
    expect(r.stderr).toMatch(
      /stores its snapshots in s3:\/\/\S+ itself: not copied; QDRANT_DELETE_AFTER_TRANSFER is ignored/,
    );
    const [[, , name = ""] = []] = plainLines(await readStateText(dir, "snapshots")).map((l) => l.split(","));
    expect(await bucketKeys(bucket)).toEqual([`backup_metadata/shared/${name}.json`, `snapshots/shared/${name}`]);
    expect(emu.requests().filter((q) => q.path.startsWith("/collections/shared/snapshots/"))).toEqual([]);
    const text = (await bucketObject(bucket, `backup_metadata/shared/${name}.json`)).toString("utf8");
    await assertNoSecrets({ stdout: "", stderr: "", secrets, extra: [{ where: "metadata", text }] });
    expect(JSON.parse(text)).toMatchObject({
      pointsCount: 15,
      size: (await bucketObject(bucket, `snapshots/shared/${name}`)).length,
    });
  });
});
