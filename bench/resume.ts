/**
 * Scenario c)'s resume figure: recover_snap over a state whose history says every snapshot is already recovered on
 * every restore host, so the run is the state reading and the skip path alone; against a 1-row state as its floor.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { expectCounts, runCli, summaryCounts, type CliRun } from "./cli.js";
import { fmtS, SOURCE_NODES, startRig } from "./overhead-rig.js";
import { median, type ScenarioContext } from "./report.js";

/** Resume: snapshot rows in the state (collections × snapshots each), every one recorded `ok` on every restore host. */
export const RESUME_COLLECTIONS = 2_000;
export const RESUME_SNAPSHOTS_EACH = 50;
const RESUME_RUNS = 3;

/** Writes the resume state: RESUME_COLLECTIONS × RESUME_SNAPSHOTS_EACH snapshot rows, each `ok` on every restore host. */
async function writeResumeState(
  dir: string,
  restoreHosts: readonly string[],
  collections: number,
  each: number,
): Promise<number> {
  const snapshots: string[] = [];
  const history: string[] = [];
  const base = Date.UTC(2026, 0, 1);
  for (let c = 0; c < collections; c++) {
    const collection = `c${String(c).padStart(6, "0")}`;
    const source = `http://source-${c % SOURCE_NODES}:6333`;
    for (let s = 0; s < each; s++) {
      // Qdrant's names: {collection}-{peer id}-{YYYY-MM-DD-HH-MM-SS}.snapshot, one nightly snapshot per day.
      const stamp = new Date(base + s * 86_400_000).toISOString().slice(0, 19).replace(/[T:]/g, "-");
      const name = `${collection}-${1_000 + (c % SOURCE_NODES)}-${stamp}.snapshot`;
      snapshots.push(`${source},${collection},${name}\n`);
      for (const host of restoreHosts) history.push(`${host},${name},ok\n`);
    }
  }
  await writeFile(path.join(dir, "snapshots"), snapshots.join(""));
  await writeFile(path.join(dir, "snapshot_recovery_history"), history.join(""));
  return snapshots.length;
}

export interface ResumeResult {
  rows: number;
  historyRows: number;
  seconds: number;
  floorSeconds: number;
  cpuSeconds: number;
  peakRssMiB: number;
  requests: string[];
}

/** recover_snap over a state whose history says everything is done: the median of a few runs, and of a 1-row floor. */
export async function measureResume(ctx: ScenarioContext): Promise<ResumeResult> {
  const rig = await startRig("ovh-resume");
  const floorDir = await mkdtemp(path.join(os.tmpdir(), "bench-resume-floor-"));
  try {
    const rows = await writeResumeState(rig.work, rig.restore.urls, RESUME_COLLECTIONS, RESUME_SNAPSHOTS_EACH);
    await writeResumeState(floorDir, rig.restore.urls, 1, 1);
    const historyRows = rows * rig.restore.urls.length;
    const expect = (run: CliRun, done: number): void => {
      const counts = summaryCounts(
        "recover_snap",
        run.stdout,
        /Snapshots recovered: (\d+), accepted: (\d+), already recovered: (\d+), failed: (\d+)/,
      );
      expectCounts("recover_snap (resume)", counts, [0, 0, done, 0], run.stdout.trim().split("\n").at(-1) ?? "");
    };
    const full: CliRun[] = [];
    const floor: CliRun[] = [];
    rig.restore.resetRequests();
    for (let i = 0; i < RESUME_RUNS; i++) {
      const f = await runCli(ctx, ["recover_snap"], rig.env, floorDir);
      expect(f, rig.restore.urls.length);
      floor.push(f);
      const r = await runCli(ctx, ["recover_snap"], rig.env, rig.work);
      expect(r, historyRows);
      full.push(r);
    }
    const requests = rig.restore.requests().map((e) => `${e.method} ${e.path} → ${e.status}`);
    const seconds = median(full.map((r) => r.seconds));
    ctx.progress(
      `  resume over ${rows} snapshots × ${rig.restore.urls.length} hosts: ${fmtS(seconds)} (1-row floor ${fmtS(median(floor.map((r) => r.seconds)))}), ${requests.length} Qdrant requests`,
    );
    return {
      rows,
      historyRows,
      seconds,
      floorSeconds: median(floor.map((r) => r.seconds)),
      cpuSeconds: median(full.map((r) => r.cpuSeconds)),
      peakRssMiB: Math.max(...full.map((r) => r.peakRssMiB)),
      requests,
    };
  } finally {
    await rig.stop();
    await rm(floorDir, { recursive: true, force: true });
  }
}
