// The built CLI with full-storage snapshots: create_full_snap, get_full_snap and recover_full_snap against emulator
// nodes with local snapshot storage (transfer into a directory, state lost before the restore) and with S3 snapshot
// storage (listing filtered, restore from the node and from the bucket); broken archives and usage errors.
import { readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, describe, expect, inject, it } from "vitest";
import { startEmulator, type Emulator } from "../support/emulator/index.js";
import { createAlias, listAliases, readAllPoints, seedCollection } from "../support/emulator/seed.js";
import { runCli, type CliResult } from "../support/cli.js";
import { createTestBucket } from "../support/s3/client.js";
import { makeTempDir } from "../support/tmp.js";
import {
  expectExit,
  expectLogLines,
  parseJsonSummary,
  plainLines,
  readStateText,
  s3Env,
  s3Storage,
  type Env,
} from "./harness.js";
import { randomApiKey } from "./rig.js";
import { assertNoSecrets } from "./secret-scan.js";

const s3 = inject("s3");
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

async function tempDir(label: string): Promise<string> {
  const t = await makeTempDir(label);
  cleanups.push(t.cleanup);
  return t.dir;
}

/** A source node (two collections, one with dashes and digits in its name, three aliases) and a target node. */
async function startNodes(label: string, storage: "local" | "s3") {
  const apiKey = randomApiKey(label);
  const bucket = await createTestBucket(s3, label);
  const opts = { nodes: 1, apiKey, ...(storage === "s3" ? { storage: s3Storage(s3, bucket) } : {}) };
  const source: Emulator = await startEmulator(opts);
  const target: Emulator = await startEmulator(opts);
  cleanups.push(
    () => source.stop(),
    () => target.stop(),
  );
  const src = source.urls[0] ?? "";
  const dst = target.urls[0] ?? "";
  await seedCollection(src, "orders-2026-1", { points: 120, dim: 6, apiKey });
  await seedCollection(src, "faq", { points: 30, dim: 3, distance: "Euclid", shards: 2, apiKey });
  await createAlias(src, "orders-2026-1", "orders", apiKey);
  await createAlias(src, "orders-2026-1", "orders-v1", apiKey);
  await createAlias(src, "faq", "faq-live", apiKey);
  const secrets = { QDRANT_API_KEY: apiKey, QDRANT_S3_SECRET_ACCESS_KEY: s3.secretKey };
  const env = (extra: Env = {}): Env => ({
    QDRANT_API_KEY: apiKey,
    QDRANT_SOURCE_HOSTS: src,
    QDRANT_RESTORE_HOSTS: dst,
    ...extra,
  });
  const run = async (args: readonly string[], cwd: string, e: Env): Promise<CliResult> => {
    const r = await runCli(args, { env: e, cwd });
    await assertNoSecrets({ stdout: r.stdout, stderr: r.stderr, stateDir: cwd, secrets });
    return r;
  };
  const expectRestored = async () => {
    for (const c of ["orders-2026-1", "faq"]) {
      const want = await readAllPoints(src, c, apiKey);
      expect(want.length).toBeGreaterThan(0);
      expect(await readAllPoints(dst, c, apiKey)).toEqual(want);
    }
    expect(await listAliases(dst, apiKey)).toEqual(await listAliases(src, apiKey));
    expect(await listAliases(dst, apiKey)).toHaveLength(3);
  };
  return { source, target, src, dst, bucket, apiKey, env, run, expectRestored };
}

describe("full snapshots, local snapshot storage, transfer into a directory", () => {
  it("create_full_snap stores the archive and its metadata; after the state is lost recover_full_snap restores it", async () => {
    const n = await startNodes("full-e2e-dir", "local");
    const backupDir = await tempDir("full-e2e-backups");
    const night = await tempDir("full-e2e-night");
    const transfer = {
      QDRANT_BACKUP_DIR: backupDir,
      QDRANT_SNAPSHOT_TRANSFER: "true",
      QDRANT_DELETE_AFTER_TRANSFER: "true",
    };

    const created = await n.run(["create_full_snap"], night, n.env(transfer));
    expectExit(created, 0);
    expect(created.stdout).toBe("[create_full_snap] Full snapshots created: 1, accepted: 0, failed: 0\n");
    expectLogLines(created.stderr);
    const [row = ""] = plainLines(await readStateText(night, "full_snapshots"));
    const name = row.slice(n.src.length + 1);
    expect(row).toBe(`${n.src},${name}`);
    expect(name).toMatch(/^full-snapshot-\d{4}(-\d\d){5}\.snapshot$/);
    const hostDir = new URL(n.src).host;
    expect(await readdir(path.join(backupDir, "full_snapshots", hostDir))).toEqual([name]);
    const meta = JSON.parse(
      await readFile(path.join(backupDir, "backup_metadata", "full_snapshots", hostDir, `${name}.json`), "utf8"),
    ) as Record<string, unknown>;
    expect(meta).toMatchObject({
      kind: "full",
      snapshot: name,
      aliases: ["faq-live -> faq", "orders -> orders-2026-1", "orders-v1 -> orders-2026-1"],
    });
    expect(n.source.requests().some((r) => r.method === "DELETE" && r.path === `/snapshots/${name}`)).toBe(true);

    // A restore from another machine: no state, the directory holds the backup, the node nothing.
    const restore = await tempDir("full-e2e-restore");
    const r = await n.run(["recover_full_snap", "--json"], restore, n.env(transfer));
    expectExit(r, 0);
    const summary = parseJsonSummary(r.stdout);
    expect(summary.tasks[0]).toMatchObject({ task: "recover_full_snap", done: 5, failed: 0, exitCode: 0 });
    expect(r.stderr).toMatch(/full_snapshots is empty; listing the source hosts first/);
    expect(r.stderr).toContain(`Restoring ${name} from ${backupDir}/full_snapshots/${hostDir}/${name}`);
    await n.expectRestored();
    expect(plainLines(await readStateText(restore, "snapshot_recovery_history"))).toContain(
      `${n.dst},${hostDir}/${name},ok`,
    );

    const again = await n.run(["recover_full_snap"], restore, n.env(transfer));
    expectExit(again, 0);
    expect(again.stdout).toBe(
      `[recover_full_snap] Full snapshot ${name}: collections recovered: 0, accepted: 0, aliases created: 0, already restored: 1, failed: 0\n`,
    );
  });

  it("a truncated --file fails with exit 3 and one error line, claims no alias; the whole file then completes the restore", async () => {
    const n = await startNodes("full-e2e-cut", "local");
    const dir = await tempDir("full-e2e-cut");
    const created = await n.run(["create_full_snap"], dir, n.env());
    expectExit(created, 0);
    const [row = ""] = plainLines(await readStateText(dir, "full_snapshots"));
    const name = row.slice(n.src.length + 1);
    const file = path.join(dir, "archive.snapshot");
    const bytes = await fetchFull(n.src, name, n.apiKey);
    await writeFile(file, bytes.subarray(0, Math.floor(bytes.length * 0.6)));

    const cut = await n.run(["recover_full_snap", "--file", file], dir, n.env());
    expectExit(cut, 3);
    expectLogLines(cut.stderr);
    expect(cut.stderr).toMatch(
      /ERROR: Restoring archive\.snapshot on .* stopped: .*archive\.snapshot: cannot read the archive/,
    );
    expect(await listAliases(n.dst, n.apiKey)).toEqual([]);
    expect(await readStateText(dir, "alias_recovery_history")).toBeUndefined();
    expect(plainLines(await readStateText(dir, "failed_snapshot_recovery"))).toEqual([
      `${n.dst},archive.snapshot,archive_unreadable`,
    ]);

    await writeFile(file, bytes);
    const whole = await n.run(["recover_full_snap", "--file", file], dir, n.env());
    expectExit(whole, 0);
    await n.expectRestored();
  });
});

describe("full snapshots, S3 snapshot storage", () => {
  it("create_full_snap get_full_snap keep only full snapshots; recover_full_snap restores from the node, then from the bucket", async () => {
    const n = await startNodes("full-e2e-s3", "s3");
    const dir = await tempDir("full-e2e-s3");
    const bucketEnv = s3Env(s3, n.bucket);

    const created = await n.run(["create_full_snap"], dir, n.env());
    expectExit(created, 0);
    const rows = plainLines(await readStateText(dir, "full_snapshots"));
    expect(rows).toHaveLength(1);
    const listed = await n.run(["get_full_snap"], dir, n.env());
    expectExit(listed, 0);
    // GET /snapshots on S3 storage shows the collections' snapshots too; none becomes a row, nothing is repeated.
    expect(listed.stdout).toBe("[get_full_snap] Full snapshots found: 0 new, 1 already recorded, failed: 0\n");
    expect(listed.stderr).toMatch(/Ignored [1-9]\d* listed objects that are not full snapshots/);
    expect(plainLines(await readStateText(dir, "full_snapshots"))).toEqual(rows);

    const fromNode = await n.run(["recover_full_snap"], dir, n.env());
    expectExit(fromNode, 0);
    expect(fromNode.stderr).toContain(`/snapshots/full-snapshot-`);
    await n.expectRestored();

    // Transfer mode into the bucket, restored on a fresh target from the bucket's copy.
    const transferDir = await tempDir("full-e2e-s3-transfer");
    const later = await n.run(
      ["create_full_snap"],
      transferDir,
      n.env({ ...bucketEnv, QDRANT_SNAPSHOT_TRANSFER: "true" }),
    );
    expectExit(later, 0);
    const target2 = await startEmulator({ nodes: 1, apiKey: n.apiKey, storage: s3Storage(s3, n.bucket) });
    cleanups.push(() => target2.stop());
    const r = await n.run(
      ["recover_full_snap"],
      transferDir,
      n.env({ ...bucketEnv, QDRANT_RESTORE_HOSTS: target2.urls[0] ?? "" }),
    );
    expectExit(r, 0);
    expect(r.stderr).toMatch(new RegExp(`from s3://${n.bucket}/full_snapshots/`));
    for (const c of ["orders-2026-1", "faq"])
      expect(await readAllPoints(target2.urls[0] ?? "", c, n.apiKey)).toEqual(await readAllPoints(n.src, c, n.apiKey));
    expect(await listAliases(target2.urls[0] ?? "", n.apiKey)).toEqual(await listAliases(n.src, n.apiKey));
  });

  it("full snapshots of two source hosts and no --host: exit 2 before any restore request", async () => {
    const n = await startNodes("full-e2e-two", "local");
    const dir = await tempDir("full-e2e-two");
    const other = await startEmulator({ nodes: 1, apiKey: n.apiKey });
    cleanups.push(() => other.stop());
    await seedCollection(other.urls[0] ?? "", "x", { points: 2, dim: 2, apiKey: n.apiKey });
    const both = n.env({ QDRANT_SOURCE_HOSTS: `${n.src},${other.urls[0] ?? ""}` });
    expectExit(await n.run(["create_full_snap"], dir, both), 0);
    n.target.resetRequests();

    const r = await n.run(["recover_full_snap"], dir, both);
    expectExit(r, 2);
    expect(r.stderr).toMatch(/full snapshots of 2 source hosts .*--host/);
    expect(n.target.requests()).toEqual([]);

    const one = await n.run(["recover_full_snap", "--host", n.src], dir, both);
    expectExit(one, 0);
    await n.expectRestored();
  });
});

/** GET /snapshots/{name} straight from the node, as curl would. */
async function fetchFull(url: string, name: string, apiKey: string): Promise<Buffer> {
  const res = await fetch(`${url}/snapshots/${name}`, { headers: { "api-key": apiKey } });
  expect(res.status).toBe(200);
  return Buffer.from(await res.arrayBuffer());
}
