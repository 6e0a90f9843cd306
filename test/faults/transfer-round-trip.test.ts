// The fault suite, transfer mode: nodes keep their snapshots on local disk; `QDRANT_SNAPSHOT_TRANSFER=true create_snap
// get_colla` streams each one into the local S3 (or a QDRANT_BACKUP_DIR) with its metadata, then `recover_snap
// recover_colla` streams each one into the restore hosts' upload endpoint with its checksum and checks every
// recovered collection. All through the built CLI, while every route of every node answers ~5% 503s, ~5% connection
// resets and ~10% slow bodies, and the bucket ~5% 500/SlowDown, seeded. Both runs exit 0, the targets end up identical
// to the sources, and nothing leaks a secret (output, state files, metadata).
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { GetObjectCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { runCli } from "../support/cli.js";
import { startEmulator, type Emulator } from "../support/emulator/index.js";
import { createAlias, seedCollection } from "../support/emulator/seed.js";
import { createTestBucket, createTestS3Client } from "../support/s3/client.js";
import { makeTempDir } from "../support/tmp.js";
import { expectExit, plainLines, readStateText, s3Env, type Env } from "../e2e/harness.js";
import { randomApiKey } from "../e2e/rig.js";
import { assertNoSecrets } from "../e2e/secret-scan.js";
import {
  clearBucketFaults,
  expectTargetsEqualSources,
  faulted,
  injectQdrantFaults,
  injectS3Faults,
  reportRetries,
} from "./helpers/fault-mix.js";

const s3 = inject("s3");
const apiKey = randomApiKey("faults-transfer");
const secrets = { QDRANT_API_KEY: apiKey, QDRANT_S3_SECRET_ACCESS_KEY: s3.secretKey };
const HOME: Record<string, 0 | 1> = { articles: 0, products: 0, events: 1, users: 1, orders: 1 };
const ALIASES: readonly (readonly [string, string])[] = [
  ["articles", "articles-live"],
  ["events", "events-current"],
  ["orders", "orders-live"],
];
const cleanups: (() => Promise<void>)[] = [];
let source: Emulator;

async function tempDir(label: string): Promise<string> {
  const t = await makeTempDir(label);
  cleanups.push(t.cleanup);
  return t.dir;
}

beforeAll(async () => {
  source = await startEmulator({ nodes: 2, apiKey });
  cleanups.push(() => source.stop());
  for (const [i, [collection, node]] of Object.entries(HOME).entries()) {
    await seedCollection(source.urls[node]!, collection, { points: 35 + 20 * i, dim: 3 + (i % 4), apiKey });
  }
  for (const [collection, alias] of ALIASES)
    await createAlias(source.urls[HOME[collection]!]!, collection, alias, apiKey);
});

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

/** Backs up through transfer mode and restores by upload under the fault mix; returns what the runs said. */
async function roundTrip(
  label: string,
  destination: Env,
  seed: number,
  bucket?: string,
): Promise<{ target: Emulator; dir: string; stderr: string }> {
  const target = await startEmulator({ nodes: 2, apiKey });
  cleanups.push(() => target.stop());
  const dir = await tempDir(label);
  const env: Env = {
    QDRANT_API_KEY: apiKey,
    QDRANT_SOURCE_HOSTS: source.urls.join(","),
    QDRANT_RESTORE_HOSTS: target.urls.join(","),
    QDRANT_SNAPSHOT_TRANSFER: "true",
    QDRANT_RECOVER_VIA: "upload",
    QDRANT_RETRIES: "6",
    // A create or upload whose answer is lost (a reset, a 503) is resolved by looking: this bounds each look.
    QDRANT_VERIFY_TIMEOUT: "10",
    ...destination,
  };
  source.resetRequests();
  const removers = [injectQdrantFaults(source, seed), injectQdrantFaults(target, seed + 10)];
  if (bucket) await injectS3Faults(s3.endpoint, bucket, seed + 20);
  let stderr = "";
  try {
    for (const tasks of [
      ["create_snap", "get_colla"],
      ["recover_snap", "recover_colla"],
    ]) {
      const r = await runCli(tasks, { env, cwd: dir });
      stderr += r.stderr;
      await assertNoSecrets({ stdout: r.stdout, stderr: r.stderr, stateDir: dir, secrets });
      expectExit(r, 0);
    }
    for (const emu of [source, target]) {
      const hit = faulted(emu.requests());
      expect(hit.status503 + hit.reset, "the fault mix fired").toBeGreaterThan(0);
    }
  } finally {
    removers.forEach((remove) => remove());
    if (bucket) await clearBucketFaults(s3.endpoint, bucket);
  }
  expect(plainLines(await readStateText(dir, "snapshots"))).toHaveLength(Object.keys(HOME).length);
  expect(await readStateText(dir, "failed_snapshot_recovery")).toBeUndefined();
  const home = Object.fromEntries(Object.entries(HOME).map(([c, n]) => [c, source.urls[n]!]));
  await expectTargetsEqualSources(source.urls, target.urls, home, apiKey);
  return { target, dir, stderr };
}

/** Faults cost no part of the metadata: each names the Qdrant version (GET /, retried) and has the SHA-256 and count. */
function expectCompleteMetadata(texts: readonly string[]): void {
  for (const text of texts) {
    expect(JSON.parse(text)).toMatchObject({
      qdrantVersion: "1.19.0",
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      pointsCount: expect.any(Number),
    });
  }
}

describe("transfer mode and restore by upload under 503s, resets, slow bodies and S3 500/SlowDown", () => {
  it(
    "into the local S3: both runs exit 0, the targets equal the sources, no secret in the output, state or metadata",
    { timeout: 180_000 },
    async () => {
      const bucket = await createTestBucket(s3, "faults-transfer");
      const { stderr } = await roundTrip("faults-transfer-s3", { ...s3Env(s3, bucket) }, 6101, bucket);
      reportRetries("transfer-s3", stderr);

      const client = createTestS3Client(s3);
      try {
        const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: "backup_metadata/" }));
        const keys = (listed.Contents ?? []).map((o) => o.Key ?? "");
        expect(keys).toHaveLength(Object.keys(HOME).length);
        const extra = await Promise.all(
          keys.map(async (key) => {
            const reply = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
            return { where: key, text: (await reply.Body?.transformToString("utf8")) ?? "" };
          }),
        );
        await assertNoSecrets({ stdout: "", stderr: "", secrets, extra });
        expectCompleteMetadata(extra.map((m) => m.text));
      } finally {
        client.destroy();
      }
    },
  );

  it(
    "into a QDRANT_BACKUP_DIR: both runs exit 0, the targets equal the sources, no secret in the output, state or metadata",
    { timeout: 180_000 },
    async () => {
      const backups = await tempDir("faults-transfer-backups");
      const { stderr } = await roundTrip("faults-transfer-dir", { QDRANT_BACKUP_DIR: backups }, 6201);
      reportRetries("transfer-dir", stderr);
      const metadata = await readdir(path.join(backups, "backup_metadata"), { recursive: true, withFileTypes: true });
      const files = metadata.filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
      expect(files).toHaveLength(Object.keys(HOME).length);
      const extra = await Promise.all(files.map(async (file) => ({ where: file, text: await readFile(file, "utf8") })));
      await assertNoSecrets({ stdout: "", stderr: "", secrets, extra });
      expectCompleteMetadata(extra.map((m) => m.text));
    },
  );
});
