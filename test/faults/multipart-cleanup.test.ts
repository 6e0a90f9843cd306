// Transfer mode into S3 with snapshots above the multipart part size (8 MiB), through the built CLI, while the local
// S3 server fails parts or completes: the run ends with a code of the table, the multipart upload aborted, the lock
// file gone and the state closed; the next run, with S3 healthy again, stores the snapshot whole.
import { existsSync } from "node:fs";
import path from "node:path";
import { GetObjectCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { EXIT } from "../../src/errors.js";
import { LOCK_FILE_NAME } from "../../src/state/lock.js";
import { startCli } from "../support/cli.js";
import { startEmulator, type Emulator } from "../support/emulator/index.js";
import { seedCollection } from "../support/emulator/seed.js";
import { clearS3Faults, setS3Faults } from "../support/s3/fault-admin.js";
import { createTestBucket, createTestS3Client, s3Env } from "../support/s3/client.js";
import { makeTempDir } from "../support/tmp.js";
import { expectExit, expectLogLines, plainLines, readStateText } from "../e2e/harness.js";

const s3 = inject("s3");
/** Well above lib-storage's 8 MiB part (three parts): the source is still sending when a part fails. */
const PADDING = 20 * 1024 * 1024;
const TABLE: readonly number[] = Object.values(EXIT);
const apiKey = "multipart-cleanup-key";
// SDK retries on: a keep-alive socket the server closed between two checks must not fail the test.
const client = createTestS3Client(s3);
const temps: (() => Promise<void>)[] = [];
let emu: Emulator;

beforeAll(async () => {
  emu = await startEmulator({ nodes: 1, apiKey, segmentPaddingBytes: PADDING });
  await seedCollection(emu.urls[0] ?? "", "big", { points: 10, dim: 4, apiKey });
});

afterAll(async () => {
  await emu?.stop();
  client.destroy();
  for (const cleanup of temps) await cleanup();
});

async function keys(bucket: string): Promise<string[]> {
  const page = await client.send(new ListObjectsV2Command({ Bucket: bucket }));
  return (page.Contents ?? []).map((o) => o.Key ?? "").sort();
}

/** Runs create_snap in transfer mode; a run still going after `limitMs` is killed (and fails the test). */
async function transfer(bucket: string, limitMs = 40_000) {
  const t = await makeTempDir("multipart-cleanup");
  temps.push(t.cleanup);
  const env = {
    QDRANT_API_KEY: apiKey,
    QDRANT_SOURCE_HOSTS: emu.urls.join(","),
    QDRANT_SNAPSHOT_TRANSFER: "true",
    CURL_TIMEOUT: "10",
    ...s3Env(s3, bucket),
  };
  const run = startCli(["create_snap"], { env, cwd: t.dir });
  const killer = setTimeout(() => run.kill("SIGKILL"), limitMs);
  const result = await run.done.finally(() => clearTimeout(killer));
  return { ...result, dir: t.dir };
}

describe("multipart transfers that fail end cleanly", () => {
  it.each([
    ["every UploadPart fails", "UploadPart"],
    ["CompleteMultipartUpload fails", "CompleteMultipartUpload"],
  ])("%s: exit 4, nothing stored, no lock file; the next run stores it", async (_label, operation) => {
    const bucket = await createTestBucket(s3, `mp-${operation}`);
    await setS3Faults(s3.endpoint, { rate: 1, statuses: [500], operations: [operation], bucket });
    const r = await transfer(bucket);
    expect(r.signal, `killed: the run hung\n${r.stderr}`).toBeNull();
    expect(TABLE).toContain(r.code);
    expectExit(r, 4);
    expectLogLines(r.stderr);
    expect(existsSync(path.join(r.dir, LOCK_FILE_NAME)), "lock file left").toBe(false);
    expect(await keys(bucket), "nothing stored").toEqual([]);
    expect(plainLines(await readStateText(r.dir, "snapshots"))).toEqual([]);

    await clearS3Faults(s3.endpoint, bucket);
    const again = await transfer(bucket);
    expectExit(again, 0);
    const [row = ""] = plainLines(await readStateText(again.dir, "snapshots"));
    const name = row.split(",")[2] ?? "";
    const stored = await client.send(new GetObjectCommand({ Bucket: bucket, Key: `snapshots/big/${name}` }));
    expect(stored.ContentLength).toBeGreaterThan(PADDING);
    expect(stored.ETag, "a multipart object").toMatch(/-[2-9]"$/);
    await stored.Body?.transformToByteArray();
  });
});
