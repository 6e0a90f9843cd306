// Secret hygiene of the built CLI (bash defect 8): the API key, the S3 secret and presigned-URL credentials never
// reach stdout, stderr or the state files, on success with --verbose and on failures whose error bodies carry them.
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from "vitest";
import { seedCollection } from "../support/emulator/seed.js";
import { makeTempDir } from "../support/tmp.js";
import { expectExit, expectLogLines, parseJsonSummary, plainLines, readStateText } from "./harness.js";
import { startRig, type Rig } from "./rig.js";
import { assertNoSecrets } from "./secret-scan.js";

const s3 = inject("s3");
const RECOVER = /^\/collections\/[^/]+\/snapshots\/recover$/;
let rig: Rig;
let backupDir = "";
const temps: (() => Promise<void>)[] = [];

async function tempDir(label: string): Promise<string> {
  const t = await makeTempDir(label);
  temps.push(t.cleanup);
  return t.dir;
}

/** A restore directory holding the backup's `snapshots` file. */
async function restoreDir(label: string): Promise<string> {
  const dir = await tempDir(label);
  await writeFile(path.join(dir, "snapshots"), (await readStateText(backupDir, "snapshots")) ?? "");
  return dir;
}

beforeAll(async () => {
  rig = await startRig(s3, { label: "secrets", sourceNodes: 1, targetNodes: 1 });
  for (const c of ["alpha", "beta"])
    await seedCollection(rig.source.urls[0] ?? "", c, { points: 10, dim: 3, apiKey: rig.apiKey });
  backupDir = await tempDir("secrets-backup");
  expectExit(await rig.run(["create_snap"], backupDir), 0);
});

afterAll(async () => {
  await rig?.stop();
  for (const cleanup of temps) await cleanup();
});

beforeEach(() => {
  rig.source.faults.clear();
  rig.target.faults.clear();
});

describe("the secret scanner", () => {
  it("finds a leaked secret and a presigned signature, naming where without echoing them", async () => {
    const dir = await tempDir("secrets-self-test");
    await writeFile(path.join(dir, "snapshot_recovery_history"), "http://x,s.snapshot,ok\n");
    await writeFile(
      path.join(dir, "failed_snapshot_recovery"),
      "http://x/b/k?X-Amz-Credential=AKIA%2F20260101&X-Amz-Signature=abc123,s,failed\n",
    );
    const leak = assertNoSecrets({
      stdout: "",
      stderr: `[t] key ${rig.apiKey}\n`,
      stateDir: dir,
      secrets: { QDRANT_API_KEY: rig.apiKey },
    });
    await expect(leak).rejects.toThrow(/stderr line 1 contains QDRANT_API_KEY/);
    await expect(leak).rejects.toThrow(
      /state file failed_snapshot_recovery line 1 contains a presigned X-Amz-Signature value/,
    );
    await expect(leak).rejects.not.toThrow(rig.apiKey);
    await expect(
      assertNoSecrets({ stdout: "x?X-Amz-Signature=<redacted>", stderr: "", secrets: [rig.apiKey] }),
    ).resolves.toBeUndefined();
  });
});

describe("no secret in the output or the state files", () => {
  it("a full backup and restore with --verbose: Qdrant and S3 requests traced, no secret", async () => {
    const dir = await tempDir("secrets-verbose");
    const r = await rig.run(["create_snap", "get_colla", "recover_snap", "recover_colla", "--verbose"], dir);
    expectExit(r, 0);
    expectLogLines(r.stderr);
    // --verbose traces every request, so the scan saw them.
    expect(r.stderr).toMatch(/DEBUG: PUT http:\/\/127\.0\.0\.1:\d+\/collections\/alpha\/snapshots\/recover/);
    // S3 requests too (the metadata written and read back): method, endpoint, bucket and key, status, duration.
    expect(r.stderr).toMatch(/DEBUG: S3 PUT https?:\/\/[^ ]+\/[^ /]+\/backup_metadata\/alpha\/[^ ?]+\.json 200 \d+ ms/);
    expect(r.stderr).toMatch(/DEBUG: S3 GET https?:\/\/[^ ]+\/[^ /]+\/backup_metadata\/alpha\/[^ ?]+\.json 200 \d+ ms/);
    // One recovery per target, each recorded `ok` and, checked, `verified`.
    expect(plainLines(await readStateText(dir, "snapshot_recovery_history"))).toHaveLength(4);
  });

  it("a recovery whose presigned link expired before the target fetched it: Qdrant's error quotes the URL", async () => {
    const dir = await restoreDir("secrets-expired");
    // The link lives 1 s; the target starts downloading 2.5 s after the request.
    rig.target.faults.add({ method: "PUT", path: RECOVER, latencyMs: 2_500 });
    const env = rig.env({
      QDRANT_S3_LINK_EXPIRY_DURATION: "1",
      QDRANT_CONCURRENCY: "2",
      QDRANT_PER_HOST_CONCURRENCY: "2",
    });
    const r = await rig.run(["recover_snap", "--verbose", "--json", "--items"], dir, env);
    expectExit(r, 3);
    expectLogLines(r.stderr);
    expect(r.stderr).toMatch(
      /Failed to download tar from http:\/\/127\.0\.0\.1:\d+\/[^ ]*\?X-Amz-Algorithm=<redacted>&/,
    );
    const summary = parseJsonSummary(r.stdout);
    expect(summary.tasks[0]).toMatchObject({ task: "recover_snap", failed: 2, done: 0 });
    expect(JSON.stringify(summary.tasks[0]?.items)).toContain("X-Amz-Signature=<redacted>");
    expect(plainLines(await readStateText(dir, "failed_snapshot_recovery")).map((l) => l.split(",")[2])).toEqual([
      "http-400",
      "http-400",
    ]);
  });

  it("Qdrant error bodies that echo the API key, the S3 secret and a presigned URL", async () => {
    const dir = await restoreDir("secrets-echo");
    const echo =
      `Wrong input: api-key ${rig.apiKey} refused; s3 secret ${s3.secretKey}; ` +
      "location https://bucket.s3.amazonaws.com/snapshots/a/b.snapshot?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAEXAMPLE%2F20260129%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Signature=0123456789abcdef";
    rig.target.faults.add({ method: "PUT", path: RECOVER, status: 400, error: echo });
    const r = await rig.run(["recover_snap", "recover_colla", "--verbose"], dir);
    expectExit(r, 3);
    expect(r.stderr).toContain("refused");
    expect(r.stderr).not.toContain("AKIAEXAMPLE");

    const refused = await tempDir("secrets-echo-401");
    rig.source.faults.add({ method: "GET", path: "/collections", status: 403, error: echo });
    const denied = await rig.run(["get_coll", "--json"], refused);
    expectExit(denied, 4);
    expect(denied.stderr).toContain("refused");
  });

  it("a wrong S3 secret and a wrong API key", async () => {
    const wrongSecret = `${s3.secretKey}-but-wrong-0123456789`;
    const dir = await tempDir("secrets-wrong");
    const r = await rig.run(["get_snap_s3", "--verbose"], dir, rig.env({ QDRANT_S3_SECRET_ACCESS_KEY: wrongSecret }));
    expectExit(r, 4);
    await assertNoSecrets({ stdout: r.stdout, stderr: r.stderr, stateDir: dir, secrets: [wrongSecret] });
    const wrongKey = `${rig.apiKey}-wrong`;
    const k = await rig.run(["create_snap", "--verbose"], dir, rig.env({ QDRANT_API_KEY: wrongKey }));
    expectExit(k, 4);
    await assertNoSecrets({ stdout: k.stdout, stderr: k.stderr, stateDir: dir, secrets: [wrongKey] });
  });
});
