// SIGINT and SIGTERM through the built CLI, sent at an exact point (the Nth recovery call, snapshot create or
// download arriving at the emulator, held there so the CLI is waiting on it): no new work starts, the in-flight item
// is abandoned cleanly (neither recorded as done nor as failed, no temp file left), everything finished before is
// recorded, the exit code is 130 with a one-line log and no stack, and a re-run finishes the rest without redoing it.
// (test/e2e/resume.test.ts covers SIGTERM during recover_snap with two restore hosts in parallel.)
import { createHash } from "node:crypto";
import { copyFile, readFile } from "node:fs/promises";
import path from "node:path";
import { HeadObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { runCli, startCli } from "../support/cli.js";
import { startEmulator, type Emulator } from "../support/emulator/index.js";
import { readAllPoints, seedCollection } from "../support/emulator/seed.js";
import { createTestS3Client } from "../support/s3/client.js";
import { makeTempDir } from "../support/tmp.js";
import { expectExit, expectLogLines, type Env } from "../e2e/harness.js";
import { startRig, type Rig } from "../e2e/rig.js";
import { assertNoSecrets } from "../e2e/secret-scan.js";
import {
  filesUnder,
  partialFileAppears,
  readStateStrict,
  runKilledAt,
  sorted,
  type KillPoint,
} from "./crash-helpers.js";

const s3 = inject("s3");
const COLLECTIONS = ["c1", "c2", "c3", "c4"];
const RECOVER = /^\/collections\/([^/]+)\/snapshots\/recover$/;
const CREATE = /^\/collections\/([^/]+)\/snapshots$/;
const SNAPSHOT_FILE = /^\/collections\/([^/]+)\/snapshots\/[^/]+\.snapshot$/;
/** Long enough that the CLI, waiting on the held request, handles the signal first; then answered 503, undone. */
const HOLD_MS = 5_000;
const ONE_AT_A_TIME: Env = { QDRANT_CONCURRENCY: "1" };
const temps: (() => Promise<void>)[] = [];
let rig: Rig;
let local: Emulator;
let backupDir = "";

async function tempDir(label: string): Promise<string> {
  const t = await makeTempDir(label);
  temps.push(t.cleanup);
  return t.dir;
}

const point = (label: string, method: string, pathRe: RegExp, index: number, when?: "mid-body"): KillPoint => ({
  target: { label, method, path: pathRe, total: COLLECTIONS.length, ...(when ? { when } : {}) },
  index,
  title: `${label} #${index}`,
});

/** Collections named by the matching requests of `emu`'s log, in order, with their statuses. */
const calls = (emu: Emulator, method: string, re: RegExp) =>
  emu
    .requests()
    .filter((q) => q.method === method && re.test(q.path))
    .map((q) => `${re.exec(q.path)?.[1] ?? "?"} ${q.status}`);

beforeAll(async () => {
  rig = await startRig(s3, { label: "crash-signals", sourceNodes: 1, targetNodes: 1 });
  local = await startEmulator({ nodes: 1, apiKey: rig.apiKey });
  for (const [i, c] of COLLECTIONS.entries()) {
    await seedCollection(rig.source.urls[0] ?? "", c, { points: 20 + i, dim: 4, apiKey: rig.apiKey });
    await seedCollection(local.urls[0] ?? "", c, { points: 20 + i, dim: 4, apiKey: rig.apiKey });
  }
  backupDir = await tempDir("crash-signals-backup");
  expectExit(await rig.run(["create_snap"], backupDir), 0);
});

afterAll(async () => {
  await rig?.stop();
  await local?.stop();
  for (const cleanup of temps) await cleanup();
});

describe("SIGINT and SIGTERM stop new work, abandon the in-flight item cleanly, record what finished, exit 130", () => {
  it("recover_snap, SIGINT while the 3rd recovery call is in flight: 2 recorded, the 3rd abandoned, none started after; the re-run does only the rest", async () => {
    const dir = await tempDir("crash-sigint-recover");
    const rows = (await readStateStrict(backupDir)).snapshots;
    await copyFile(path.join(backupDir, "snapshots"), path.join(dir, "snapshots"));
    const snapshotOf = new Map(rows.map(([, c = "", name = ""]) => [c, name]));
    rig.target.resetRequests();
    const { result, arrivals } = await runKilledAt(
      rig.target,
      point("PUT recover", "PUT", RECOVER, 3),
      () => rig.start(["recover_snap"], dir, rig.env(ONE_AT_A_TIME)),
      {
        signal: "SIGINT",
        holdMs: HOLD_MS,
      },
    );
    expectExit(result, 130);
    expect(result.signal).toBeNull();
    expectLogLines(result.stderr);
    expect(result.stderr).toMatch(/interrupted; everything finished before the signal is recorded/);
    expect(arrivals, "recovery calls started, the signalled one included").toBe(3);
    const answered = calls(rig.target, "PUT", RECOVER)
      .filter((c) => c.endsWith(" 200"))
      .map((c) => c.split(" ")[0] ?? "");
    expect(answered).toHaveLength(2);
    const state = await readStateStrict(dir);
    const target = rig.target.urls[0] ?? "";
    // A finished recovery's check polls outside the host's slot: it may pass (`verified`) before the signal or not.
    const history = state.snapshot_recovery_history.map((r) => r.join(","));
    expect(sorted(history.filter((r) => !r.endsWith(",verified")))).toEqual(
      sorted(answered.map((c) => `${target},${snapshotOf.get(c)},ok`)),
    );
    for (const row of history.filter((r) => r.endsWith(",verified")))
      expect(answered.map((c) => `${target},${snapshotOf.get(c)},verified`)).toContain(row);
    expect(state.failed_snapshot_recovery, "an abandoned recovery is not a failure").toEqual([]);

    rig.target.resetRequests();
    expectExit(await rig.run(["recover_snap"], dir), 0);
    const redone = calls(rig.target, "PUT", RECOVER)
      .filter((c) => c.endsWith(" 200"))
      .map((c) => c.split(" ")[0] ?? "");
    expect(sorted(redone)).toEqual(sorted(COLLECTIONS.filter((c) => !answered.includes(c))));
    for (const c of COLLECTIONS)
      expect(await readAllPoints(target, c, rig.apiKey), c).toEqual(
        await readAllPoints(rig.source.urls[0] ?? "", c, rig.apiKey),
      );
  });

  it("create_snap, SIGINT while the 2nd snapshot is being created: the 1st recorded with its metadata, none created after; the re-run snapshots every collection", async () => {
    const dir = await tempDir("crash-sigint-create");
    rig.source.resetRequests();
    const { result, arrivals } = await runKilledAt(
      rig.source,
      point("POST snapshot", "POST", CREATE, 2),
      () => rig.start(["create_snap"], dir, rig.env(ONE_AT_A_TIME)),
      {
        signal: "SIGINT",
        holdMs: HOLD_MS,
      },
    );
    expectExit(result, 130);
    expectLogLines(result.stderr);
    expect(result.stderr).toMatch(/interrupted; everything finished before the signal is recorded/);
    expect(arrivals).toBe(2);
    const created = calls(rig.source, "POST", CREATE)
      .filter((c) => c.endsWith(" 200"))
      .map((c) => c.split(" ")[0] ?? "");
    expect(created).toHaveLength(1);
    const rows = (await readStateStrict(dir)).snapshots;
    expect(rows.map((r) => r[1])).toEqual(created);
    const [, collection = "", name = ""] = rows[0] ?? [];
    const client = createTestS3Client(s3, { maxAttempts: 1 });
    try {
      for (const Key of [`snapshots/${collection}/${name}`, `backup_metadata/${collection}/${name}.json`]) {
        await expect(client.send(new HeadObjectCommand({ Bucket: rig.bucket, Key })), Key).resolves.toBeDefined();
      }
    } finally {
      client.destroy();
    }
    expect(result.stdout, "no summary claims the run finished").not.toMatch(
      /Snapshots created: \d+, accepted: 0, failed: 0\n$/,
    );

    expectExit(await rig.run(["create_snap"], dir), 0);
    const after = (await readStateStrict(dir)).snapshots;
    expect(after.slice(0, rows.length)).toEqual(rows);
    expect(sorted(after.slice(rows.length).map((r) => r[1] ?? ""))).toEqual(COLLECTIONS);
  });

  it("create_snap in transfer mode, SIGTERM in the middle of the 2nd download: the 1st stored and recorded, no temp file left, nothing started after", async () => {
    const dir = await tempDir("crash-sigterm-transfer");
    const backup = await tempDir("crash-sigterm-transfer-dest");
    const env: Env = {
      QDRANT_API_KEY: rig.apiKey,
      QDRANT_SOURCE_HOSTS: local.urls[0] ?? "",
      QDRANT_BACKUP_DIR: backup,
      QDRANT_SNAPSHOT_TRANSFER: "true",
      ...ONE_AT_A_TIME,
    };
    const secrets = [rig.apiKey, s3.secretKey];
    local.resetRequests();
    const { result, arrivals } = await runKilledAt(
      local,
      point("GET download", "GET", SNAPSHOT_FILE, 2, "mid-body"),
      () => {
        const child = startCli(["create_snap"], { env, cwd: dir });
        return {
          ...child,
          finish: async () => {
            const r = await child.done;
            await assertNoSecrets({ stdout: r.stdout, stderr: r.stderr, stateDir: dir, secrets });
            return r;
          },
        };
      },
      { signal: "SIGTERM", slowBodyMs: 3_000, midBody: () => partialFileAppears(backup) },
    );
    expectExit(result, 130);
    expectLogLines(result.stderr);
    expect(result.stderr).toMatch(/interrupted; everything finished before the signal is recorded/);
    expect(arrivals).toBe(2);
    expect(calls(local, "POST", CREATE), "snapshots created: the signal came during the 2nd").toHaveLength(2);
    const files = await filesUnder(backup);
    expect(
      files.filter((f) => f.includes(".partial-")),
      "the abandoned download's temp file is removed",
    ).toEqual([]);
    const rows = (await readStateStrict(dir)).snapshots;
    expect(rows).toHaveLength(1);
    const [, collection = "", name = ""] = rows[0] ?? [];
    const key = `snapshots/${collection}/${name}`;
    expect(files).toEqual(sorted([key, `backup_metadata/${collection}/${name}.json`]));
    const meta: unknown = JSON.parse(
      await readFile(path.join(backup, "backup_metadata", collection, `${name}.json`), "utf8"),
    );
    const bytes = await readFile(path.join(backup, ...key.split("/")));
    expect(meta).toMatchObject({ size: bytes.length, sha256: createHash("sha256").update(bytes).digest("hex") });

    const again = await runCli(["create_snap"], { env, cwd: dir });
    await assertNoSecrets({ stdout: again.stdout, stderr: again.stderr, stateDir: dir, secrets });
    expectExit(again, 0);
    expect(sorted((await readStateStrict(dir)).snapshots.slice(1).map((r) => r[1] ?? ""))).toEqual(COLLECTIONS);
  });
});
