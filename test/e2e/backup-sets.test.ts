// Backup sets through the built CLI, on a 3-peer emulated cluster keeping its snapshots in the bucket:
// `create_snap_shards` writes one manifest per collection; `--dry-run` changes nothing; a run SIGKILLed in the middle
// of a set leaves no manifest for the collection it was writing, and the next run completes a new set.
import { GetObjectCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { parseManifest } from "../../src/backup/sets/manifest.js";
import { startCli } from "../support/cli.js";
import { startEmulator, type Emulator } from "../support/emulator/index.js";
import { seedCollection } from "../support/emulator/seed.js";
import { createTestBucket, createTestS3Client } from "../support/s3/client.js";
import { makeTempDir } from "../support/tmp.js";
import { expectExit, parseJsonSummary, s3Env, s3Storage, type Env } from "./harness.js";
import { randomApiKey } from "./rig.js";
import { assertNoSecrets } from "./secret-scan.js";

const s3 = inject("s3");
const SHARD_CREATE = /^\/collections\/([^/]+)\/shards\/\d+\/snapshots$/;
const apiKey = randomApiKey("sets");
const client = createTestS3Client(s3, { maxAttempts: 1 });
let emu: Emulator;
let bucket: string;
const temps: (() => Promise<void>)[] = [];

beforeAll(async () => {
  bucket = await createTestBucket(s3, "e2e-sets");
  emu = await startEmulator({
    cluster: { peers: 3, shards: 3, replicationFactor: 2 },
    apiKey,
    storage: s3Storage(s3, bucket),
  });
  await seedCollection(emu.urls[0]!, "three", { points: 25, dim: 4, shards: 3, rf: 2, apiKey });
  await seedCollection(emu.urls[0]!, "four", { points: 33, dim: 4, shards: 4, rf: 2, apiKey });
});

afterAll(async () => {
  await emu?.stop();
  for (const t of temps) await t();
  client.destroy();
});

function env(hostname: string): Env {
  return {
    QDRANT_API_KEY: apiKey,
    QDRANT_SOURCE_HOSTS: emu.urls[0]!,
    QDRANT_HTTP_PORT: String(emu.nodes[0]!.port),
    HOSTNAME: hostname,
    ...s3Env(s3, bucket),
  };
}

async function keys(prefix: string): Promise<string[]> {
  const out: string[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
    );
    for (const o of page.Contents ?? []) if (o.Key) out.push(o.Key);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return out.sort();
}

async function cli(args: string[], hostname: string) {
  const dir = await makeTempDir("e2e-sets-state");
  temps.push(dir.cleanup);
  const run = startCli(args, { env: env(hostname), cwd: dir.dir });
  return { run, dir: dir.dir };
}

describe("create_snap_shards through the CLI", () => {
  it("writes a set per collection; --dry-run changes nothing; a run killed mid-set leaves no manifest for it and the next run completes a new set", async () => {
    // 1. A complete set.
    const first = await cli(["create_snap_shards", "--json"], "run-one");
    const done = await first.run.done;
    expectExit(done, 0);
    await assertNoSecrets({
      stdout: done.stdout,
      stderr: done.stderr,
      stateDir: first.dir,
      secrets: { QDRANT_API_KEY: apiKey, QDRANT_S3_SECRET_ACCESS_KEY: s3.secretKey },
    });
    const summary = parseJsonSummary(done.stdout);
    expect(summary.tasks[0]).toMatchObject({ task: "create_snap_shards", done: 2, failed: 0 });
    const manifests = await keys("backup_manifests/");
    expect(manifests).toHaveLength(2);
    expect(manifests.every((k) => k.endsWith("-run-one.json"))).toBe(true);

    // 2. --dry-run: the plan on stderr, nothing created or written.
    const objects = await keys("");
    emu.resetRequests();
    const dry = await cli(["create_snap_shards", "--dry-run"], "run-dry");
    const planned = await dry.run.done;
    expectExit(planned, 0);
    expect(planned.stderr).toMatch(/\[dry run\] four: shard 3 → peer \d+ http/);
    expect(emu.requests().filter((r) => r.method !== "GET" && !r.path.endsWith("/points/count"))).toEqual([]);
    expect(await keys("")).toEqual(objects);

    // 3. Killed (SIGKILL) as the 5th shard snapshot of the run is being created.
    let killedCollection: string | undefined;
    const current: { child?: ReturnType<typeof startCli> } = {};
    const remove = emu.faults.add({
      method: "POST",
      path: SHARD_CREATE,
      onMatch: ({ path, count }) => {
        const child = current.child;
        if (count !== 5 || !child) return;
        killedCollection = decodeURIComponent(SHARD_CREATE.exec(path)![1]!);
        process.kill(child.pid, "SIGKILL");
      },
    });
    const killed = await cli(["create_snap_shards"], "run-killed");
    current.child = killed.run;
    const result = await killed.run.done;
    remove();
    expect(result.signal).toBe("SIGKILL");
    expect(killedCollection).toBeDefined();
    const afterKill = await keys("backup_manifests/");
    expect(
      afterKill.filter((k) => k.startsWith(`backup_manifests/${killedCollection}/`) && k.endsWith("-run-killed.json")),
    ).toEqual([]);
    // A set the killed run did finish (another collection) is whole: every object its manifest names exists.
    const objectsNow = new Set(await keys("snapshots/"));
    for (const key of afterKill.filter((k) => k.endsWith("-run-killed.json"))) {
      const body = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      const m = parseManifest(await body.Body!.transformToByteArray());
      for (const shard of m.shards) expect(objectsNow.has(shard.s3_key), shard.s3_key).toBe(true);
    }

    // 4. The next run completes a new set of every collection.
    const next = await cli(["create_snap_shards"], "run-three");
    expectExit(await next.run.done, 0);
    const final = await keys("backup_manifests/");
    for (const c of ["three", "four"]) {
      const ofRun = final.filter((k) => k.startsWith(`backup_manifests/${c}/`) && k.endsWith("-run-three.json"));
      expect(ofRun, c).toHaveLength(1);
    }
  });
});
