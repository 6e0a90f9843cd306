// status through the built CLI, after a real create_snap and create_snap_shards: the table on stdout, --json valid
// against schemas/summary.schema.json, exit 3 for a collection of the source without a backup, exit 4 with one line
// for a bucket it cannot read; it runs beside a run holding the lock, and changes no file of the state directory.
import { readFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, inject, it, onTestFinished } from "vitest";
import { LOCK_FILE_NAME, acquireLocalLock, parseHolder } from "../../src/state/lock.js";
import { runCli } from "../support/cli.js";
import { startEmulator } from "../support/emulator/index.js";
import { seedCollection } from "../support/emulator/seed.js";
import { createTestBucket } from "../support/s3/client.js";
import { makeTempDir } from "../support/tmp.js";
import {
  expectExit,
  expectLogLines,
  expectNoStack,
  parseJsonSummary,
  s3Env,
  s3Storage,
  snapshotDir,
} from "./harness.js";
import { randomApiKey } from "./rig.js";
import { assertNoSecrets } from "./secret-scan.js";

const s3 = inject("s3");

describe("status (built CLI)", () => {
  it("reports the legacy snapshot and the set of each collection beside a run holding the lock, changes nothing, and --json follows the schema", async () => {
    const apiKey = randomApiKey("e2e-status");
    const bucket = await createTestBucket(s3, "e2e-status");
    const emu = await startEmulator({ nodes: 1, apiKey, storage: s3Storage(s3, bucket) });
    const cwd = await makeTempDir("e2e-status");
    onTestFinished(async () => {
      await emu.stop();
      await cwd.cleanup();
    });
    const url = emu.urls[0]!;
    const env = { ...s3Env(s3, bucket), QDRANT_SOURCE_HOSTS: url, QDRANT_API_KEY: apiKey, HOSTNAME: "pod-e2e" };
    await seedCollection(url, "docs", { points: 5, dim: 4, apiKey });
    expectExit(await runCli(["create_snap", "create_snap_shards"], { env, cwd: cwd.dir }), 0);

    // Another run's lock: status must neither wait for it nor take it.
    const lock = await acquireLocalLock({
      dir: cwd.dir,
      tasks: ["create_snap"],
      breakLock: false,
      ttlMs: 600_000,
      log: { warn: () => undefined },
    });
    onTestFinished(() => lock.release());
    const before = await snapshotDir(cwd.dir);

    const text = await runCli(["status"], { env, cwd: cwd.dir });

    expectExit(text, 0);
    expectLogLines(text.stderr);
    const lines = text.stdout.trimEnd().split("\n");
    expect(lines[0]).toBe(`destination s3://${bucket}`);
    expect(lines[1]).toMatch(/^COLLECTION +KIND +NEWEST +AGE +SIZE +SOURCE +QDRANT +POINTS +KEPT$/);
    expect(lines[2]).toMatch(
      /^docs +legacy +docs-\d+-\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d\.snapshot +\d+ s +[\d.]+ KiB +http:\/\/127\.0\.0\.1:\d+ \(peer \d+\); 1 peer\(s\) +1\.19\.0 +5 +1$/,
    );
    expect(lines[3]).toMatch(
      /^docs +set +\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ-pod-e2e +\d+ s +[\d.]+ KiB +peer \d+; 1 shard\(s\) +1\.19\.0 +5 +1$/,
    );
    expect(lines.at(-1)).toBe(
      `[status] 1 collections in s3://${bucket}: 1 with legacy snapshots, 1 with backup sets; 0 stale (no backup newer than 24 h); 0 restore hosts in the state files; 0 warnings`,
    );

    const json = await runCli(["--json", "--items", "status"], { env, cwd: cwd.dir });
    expectExit(json, 0);
    const summary = parseJsonSummary(json.stdout);
    expect(summary.tasks[0]?.items).toEqual([
      expect.objectContaining({
        outcome: "done",
        record: "collection",
        collection: "docs",
        stale: "false",
        legacy_points: "5",
        set_points: "5",
        set_shards: "1",
      }),
    ]);

    expect(await snapshotDir(cwd.dir)).toEqual(before);
    expect(parseHolder(await readFile(path.join(cwd.dir, LOCK_FILE_NAME)))?.pid).toBe(process.pid);
    await assertNoSecrets({ ...text, stateDir: cwd.dir, secrets: { apiKey, s3: s3.secretKey } });

    // A collection of the source with no backup: exit 3, and its warning.
    await seedCollection(url, "newer", { points: 1, dim: 4, apiKey });
    const stale = await runCli(["--json", "--items", "status"], { env, cwd: cwd.dir });
    expectExit(stale, 3);
    const staleSummary = parseJsonSummary(stale.stdout);
    expect(staleSummary.tasks[0]?.items).toContainEqual(
      expect.objectContaining({ outcome: "failed", collection: "newer", stale: "true" }),
    );
  });

  it("a bucket it cannot read: exit 4 with one line naming it, no stack, nothing written", async () => {
    const cwd = await makeTempDir("e2e-status-nobucket");
    onTestFinished(() => cwd.cleanup());
    const env = s3Env(s3, "no-such-bucket-e2e-status");

    const result = await runCli(["status"], { env, cwd: cwd.dir });

    expectExit(result, 4);
    expect(result.stdout).toBe("");
    const lines = result.stderr.trimEnd().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/no-such-bucket-e2e-status/);
    expectNoStack(result.stderr);
    expect(await snapshotDir(cwd.dir)).toEqual({});
  });
});
