// Resuming through the built CLI: a run that fails part-way (injected Qdrant errors) or is stopped by SIGTERM records
// what it finished; running it again does the rest and never repeats a recovery the history marks done.
import { copyFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from "vitest";
import type { RequestLogEntry } from "../support/emulator/index.js";
import { readAllPoints, seedCollection } from "../support/emulator/seed.js";
import { makeTempDir } from "../support/tmp.js";
import { expectExit, expectLogLines, plainLines, readStateText, waitFor } from "./harness.js";
import { startRig, type Rig } from "./rig.js";

const s3 = inject("s3");
const COLLECTIONS = ["c1", "c2", "c3", "c4"];
const RECOVER = /^\/collections\/([^/]+)\/snapshots\/recover$/;
let rig: Rig;
let backupDir = "";
/** Snapshot name → collection, from the backup's `snapshots` file. */
const collectionOf = new Map<string, string>();
const temps: (() => Promise<void>)[] = [];

async function restoreDir(label: string): Promise<string> {
  const t = await makeTempDir(label);
  temps.push(t.cleanup);
  await copyFile(path.join(backupDir, "snapshots"), path.join(t.dir, "snapshots"));
  return t.dir;
}

/** `target-url|collection` for each recovery call the targets answered (any status). */
function recoveries(log: RequestLogEntry[], status?: number): string[] {
  return log
    .filter((q) => q.method === "PUT" && RECOVER.test(q.path) && (status === undefined || q.status === status))
    .map((q) => `${rig.target.urls[q.node]}|${decodeURIComponent(RECOVER.exec(q.path)?.[1] ?? "")}`)
    .sort();
}

/**
 * History or failure rows (`host,snapshot,status`) as `host|collection`, checking every row's shape. The `verified`
 * rows of passing checks are left out: they record checks, not recoveries.
 */
async function rowsOf(
  dir: string,
  file: "snapshot_recovery_history" | "failed_snapshot_recovery",
  status: RegExp,
): Promise<string[]> {
  return plainLines(await readStateText(dir, file))
    .filter((line) => !line.endsWith(",verified"))
    .map((line) => {
      const [host, snapshot, st, ...rest] = line.split(",");
      expect(rest, line).toEqual([]);
      expect(rig.target.urls, line).toContain(host);
      expect(st, line).toMatch(status);
      const collection = collectionOf.get(snapshot ?? "");
      expect(collection, line).toBeDefined();
      return `${host}|${collection}`;
    })
    .sort();
}

const allPairs = (): string[] => rig.target.urls.flatMap((t) => COLLECTIONS.map((c) => `${t}|${c}`)).sort();

beforeAll(async () => {
  rig = await startRig(s3, { label: "resume", sourceNodes: 1, targetNodes: 2 });
  for (const [i, c] of COLLECTIONS.entries())
    await seedCollection(rig.source.urls[0] ?? "", c, { points: 20 + i, dim: 4, apiKey: rig.apiKey });
  const t = await makeTempDir("resume-backup");
  temps.push(t.cleanup);
  backupDir = t.dir;
  expectExit(await rig.run(["create_snap"], backupDir), 0);
  for (const line of plainLines(await readStateText(backupDir, "snapshots"))) {
    const [, collection, name] = line.split(",");
    collectionOf.set(name ?? "", collection ?? "");
  }
  expect(collectionOf.size).toBe(COLLECTIONS.length);
});

afterAll(async () => {
  await rig?.stop();
  for (const cleanup of temps) await cleanup();
});

beforeEach(() => {
  rig.target.faults.clear();
  rig.target.resetRequests();
});

describe("resume after failures", () => {
  it("one target fails two recoveries: exit 3, failures recorded; the re-run redoes only those", async () => {
    const dir = await restoreDir("resume-fail");
    rig.target.faults.add({ node: 1, method: "PUT", path: RECOVER, status: 500, times: 2 });
    const first = await rig.run(["recover_snap"], dir);
    expectExit(first, 3);
    expect(first.stdout).toBe("[recover_snap] Snapshots recovered: 6, accepted: 0, already recovered: 0, failed: 2\n");
    expectLogLines(first.stderr);
    const t2 = rig.target.urls[1];
    const failed = await rowsOf(dir, "failed_snapshot_recovery", /^http-500$/);
    expect(failed).toHaveLength(2);
    expect(failed.every((p) => p.startsWith(`${t2}|`))).toBe(true);
    expect(failed).toEqual(recoveries(rig.target.requests(), 500));
    const done = await rowsOf(dir, "snapshot_recovery_history", /^ok$/);
    expect([...done, ...failed].sort()).toEqual(allPairs());

    rig.target.faults.clear();
    rig.target.resetRequests();
    const second = await rig.run(["recover_snap"], dir);
    expectExit(second, 0);
    expect(second.stdout).toBe("[recover_snap] Snapshots recovered: 2, accepted: 0, already recovered: 6, failed: 0\n");
    expect(recoveries(rig.target.requests())).toEqual(failed);
    expect(await rowsOf(dir, "snapshot_recovery_history", /^ok$/)).toEqual(allPairs());
  });

  it("seeded random failures on both targets: every (target, snapshot) ends recovered exactly once", async () => {
    const dir = await restoreDir("resume-rate");
    rig.target.faults.add({ method: "PUT", path: RECOVER, status: 500, rate: 0.5, seed: 7 });
    const first = await rig.run(["recover_snap", "--json"], dir);
    expectExit(first, 3);
    const failed = await rowsOf(dir, "failed_snapshot_recovery", /^http-500$/);
    expect(failed.length).toBeGreaterThan(0);
    expect(failed.length).toBeLessThan(8);
    expect(failed).toEqual(recoveries(rig.target.requests(), 500));
    const okBefore = await rowsOf(dir, "snapshot_recovery_history", /^ok$/);
    expect(okBefore).toEqual(recoveries(rig.target.requests(), 200));

    rig.target.faults.clear();
    rig.target.resetRequests();
    expectExit(await rig.run(["recover_snap"], dir), 0);
    const redone = recoveries(rig.target.requests());
    expect(redone).toEqual(failed);
    expect(redone.filter((p) => okBefore.includes(p))).toEqual([]);
    expect(await rowsOf(dir, "snapshot_recovery_history", /^ok$/)).toEqual(allPairs());

    rig.target.resetRequests();
    const third = await rig.run(["recover_snap"], dir);
    expectExit(third, 0);
    expect(third.stdout).toBe("[recover_snap] Snapshots recovered: 0, accepted: 0, already recovered: 8, failed: 0\n");
    expect(recoveries(rig.target.requests())).toEqual([]);
  });
});

describe("resume after SIGTERM", () => {
  it("exits 130 with every finished recovery recorded intact; the re-run completes without redoing them", async () => {
    const dir = await restoreDir("resume-sigterm");
    rig.target.faults.add({ method: "PUT", path: RECOVER, latencyMs: 400 });
    const run = rig.start(["recover_snap"], dir, rig.env({ QDRANT_CONCURRENCY: "1" }));
    await waitFor(
      async () => (plainLines(await readStateText(dir, "snapshot_recovery_history")).length > 0 ? true : undefined),
      "a history row",
    );
    run.kill("SIGTERM");
    const r = await run.finish();
    expectExit(r, 130, { soft: true });
    expect(r.signal).toBeNull();
    expectLogLines(r.stderr);
    expect.soft(r.stderr).toMatch(/interrupted/i);

    const recorded = await rowsOf(dir, "snapshot_recovery_history", /^ok$/);
    expect(recorded.length).toBeGreaterThan(0);
    expect(recorded.length).toBeLessThan(8);
    expect(new Set(recorded).size).toBe(recorded.length);
    // An interrupted call is not a failure of the snapshot: nothing to report in failed_snapshot_recovery.
    expect(await readStateText(dir, "failed_snapshot_recovery")).toBeUndefined();

    rig.target.faults.clear();
    rig.target.resetRequests();
    const again = await rig.run(["recover_snap"], dir);
    expectExit(again, 0);
    const redone = recoveries(rig.target.requests());
    expect(redone.filter((p) => recorded.includes(p))).toEqual([]);
    expect([...redone, ...recorded].sort()).toEqual(allPairs());
    expect(await rowsOf(dir, "snapshot_recovery_history", /^ok$/)).toEqual(allPairs());
    for (const target of rig.target.urls) {
      for (const c of COLLECTIONS) {
        expect(await readAllPoints(target, c, rig.apiKey)).toEqual(
          await readAllPoints(rig.source.urls[0] ?? "", c, rig.apiKey),
        );
      }
    }
  });
});
