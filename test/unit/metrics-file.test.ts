// --metrics-file: the Prometheus text file of a run, read back with an independent parser; what it carries over from
// the previous file; the atomic replacement; and the file written after an error exit, with no secret in it.
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { TaskSummary } from "../../src/backup/task/deps.js";
import { Redactor } from "../../src/lib/redact.js";
import { createLogger } from "../../src/log.js";
import { METRICS } from "../../src/metrics/names.js";
import { reportMetrics } from "../../src/metrics/report.js";
import { RunTimer, type TaskRun } from "../../src/metrics/task-runs.js";
import { parseExposition, valueOf } from "../support/metrics/exposition.js";
import { makeTempDir } from "../support/tmp.js";
import { runMain } from "../support/run-main.js";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function tempDir(): Promise<string> {
  const t = await makeTempDir("metrics");
  cleanups.push(t.cleanup);
  return t.dir;
}

function logger(): { lines: string[]; log: ReturnType<typeof createLogger> } {
  const lines: string[] = [];
  return { lines, log: createLogger({ level: "normal", sink: (l) => lines.push(l), redactor: new Redactor() }) };
}

const at = (s: number) => new Date(s * 1000);
const run = (task: string, start: number, end: number, exitCode: number, items?: TaskRun["items"]): TaskRun => ({
  task,
  start: at(start),
  end: at(end),
  exitCode,
  items,
});
const ITEMS = { done: 3, failed: 0, skipped: 1, accepted: 2 };

describe("the metrics file", () => {
  it("holds per task the start, end, duration, exit code, items by outcome and last success, as Prometheus text", async () => {
    const file = path.join(await tempDir(), "qbr.prom");
    await reportMetrics({ file }, [run("create_snap", 1000, 1060.5, 0, ITEMS)], logger().log);
    const families = parseExposition(await readFile(file, "utf8"));
    expect(families.map((f) => f.name).sort()).toEqual(
      Object.values(METRICS)
        .map((m) => m.name)
        .sort(),
    );
    for (const f of families) expect(f.type, f.name).toBe("GAUGE");
    const task = { task: "create_snap" };
    expect(valueOf(families, METRICS.start.name, task)).toBe(1000);
    expect(valueOf(families, METRICS.end.name, task)).toBe(1060.5);
    expect(valueOf(families, METRICS.duration.name, task)).toBe(60.5);
    expect(valueOf(families, METRICS.exitCode.name, task)).toBe(0);
    expect(valueOf(families, METRICS.lastSuccess.name, task)).toBe(1060.5);
    for (const [outcome, n] of Object.entries(ITEMS))
      expect(valueOf(families, METRICS.items.name, { ...task, outcome }), outcome).toBe(n);
  });

  it("a failed run keeps the last success of the previous file, and the other tasks' series it did not run", async () => {
    const file = path.join(await tempDir(), "qbr.prom");
    const { log } = logger();
    await reportMetrics(
      { file },
      [run("create_snap", 1000, 1010, 0, ITEMS), run("prune_snap", 1010, 1020, 0, ITEMS)],
      log,
    );
    await reportMetrics({ file }, [run("create_snap", 2000, 2030, 4)], log);
    const families = parseExposition(await readFile(file, "utf8"));
    expect(valueOf(families, METRICS.exitCode.name, { task: "create_snap" })).toBe(4);
    expect(valueOf(families, METRICS.start.name, { task: "create_snap" })).toBe(2000);
    expect(valueOf(families, METRICS.lastSuccess.name, { task: "create_snap" })).toBe(1010);
    // An error ended the task before its summary: no item counts rather than stale ones.
    expect(valueOf(families, METRICS.items.name, { task: "create_snap", outcome: "done" })).toBeUndefined();
    expect(valueOf(families, METRICS.lastSuccess.name, { task: "prune_snap" })).toBe(1020);
    expect(valueOf(families, METRICS.items.name, { task: "prune_snap", outcome: "accepted" })).toBe(2);
    // The next success moves it on.
    await reportMetrics({ file }, [run("create_snap", 3000, 3005, 0, ITEMS)], log);
    expect(
      valueOf(parseExposition(await readFile(file, "utf8")), METRICS.lastSuccess.name, { task: "create_snap" }),
    ).toBe(3005);
  });

  it("is replaced atomically: a write that fails leaves the previous file whole and no temporary file, and is logged", async () => {
    const dir = await tempDir();
    const file = path.join(dir, "qbr.prom");
    await reportMetrics({ file }, [run("create_snap", 1000, 1010, 0, ITEMS)], logger().log);
    const before = await readFile(file, "utf8");
    // A directory where the temporary file must go: the write fails before the rename.
    await mkdir(`${file}.tmp-${process.pid}`);
    await writeFile(path.join(`${file}.tmp-${process.pid}`, "x"), "");
    const { lines, log } = logger();
    await reportMetrics({ file }, [run("create_snap", 2000, 2010, 3, ITEMS)], log);
    expect(await readFile(file, "utf8")).toBe(before);
    expect(lines.join("\n")).toMatch(
      /ERROR: metrics: state file .*qbr\.prom: cannot write: .*the exit code is unchanged/,
    );
    expect((await readdir(dir)).filter((n) => n.endsWith(".prom"))).toEqual(["qbr.prom"]);
  });

  it("drops lines of the previous file it did not write rather than failing the run", async () => {
    const file = path.join(await tempDir(), "qbr.prom");
    await writeFile(file, 'garbage\nqdrant_backup_restore_last_success_timestamp_seconds{task="get_coll",x="y"} 5\n');
    await reportMetrics({ file }, [run("create_snap", 1, 2, 0, ITEMS)], logger().log);
    const families = parseExposition(await readFile(file, "utf8"));
    expect(valueOf(families, METRICS.lastSuccess.name, { task: "get_coll", x: "y" })).toBeUndefined();
    expect(valueOf(families, METRICS.lastSuccess.name, { task: "create_snap" })).toBe(2);
  });
});

describe("RunTimer: what the metrics say of each task of a run", () => {
  const summary = (task: string, exitCode: 0 | 3): TaskSummary => ({
    task,
    done: 1,
    skipped: 0,
    failed: exitCode === 3 ? 1 : 0,
    accepted: 0,
    message: "",
    items: [],
    exitCode,
  });
  function timer(): { t: RunTimer; tick: (s: number) => void } {
    let now = 100;
    return { t: new RunTimer(() => at(now)), tick: (s) => (now = s) };
  }

  it("each task starts when the one before it ended; a task never started is left out", () => {
    const { t, tick } = timer();
    tick(110);
    t.taskEnded(summary("get_coll", 0));
    tick(130);
    t.taskEnded(summary("create_snap", 3));
    const runs = t.runs(["get_coll", "create_snap", "prune_snap"], 3);
    expect(runs.map((r) => [r.task, r.start.getTime() / 1000, r.end.getTime() / 1000, r.exitCode])).toEqual([
      ["get_coll", 100, 110, 0],
      ["create_snap", 110, 130, 3],
    ]);
  });

  it("an error in a task gives that task the run's exit code; a failure after the last summary gives it to the last task", () => {
    const a = timer();
    a.tick(120);
    a.t.taskEnded(summary("get_coll", 0));
    a.tick(150);
    const failed = a.t.runs(["get_coll", "create_snap"], 4).at(-1);
    expect(failed).toMatchObject({ task: "create_snap", exitCode: 4 });
    expect(failed?.start.getTime()).toBe(120_000);
    expect(failed?.items).toBeUndefined();
    const b = timer();
    b.tick(120);
    b.t.taskEnded(summary("create_snap", 0));
    expect(b.t.runs(["create_snap"], 4)).toMatchObject([{ task: "create_snap", exitCode: 4 }]);
    expect(timer().t.runs(["create_snap"], 2)).toMatchObject([{ task: "create_snap", exitCode: 2 }]);
  });
});

describe("--metrics-file through main()", () => {
  const SECRETS = {
    QDRANT_API_KEY: "metrics-test-api-key-4f1c",
    QDRANT_S3_SECRET_ACCESS_KEY: "metrics-test-s3-secret-9b2e",
  };

  it("is written after an error exit too (exit 2, a variable missing), with that exit code and no secret in it", async () => {
    const dir = await tempDir();
    const r = await runMain(
      ["--metrics-file", "m.prom", "create_snap"],
      { ...SECRETS, QDRANT_S3_BUCKET_NAME: "bucket-a", QDRANT_S3_ACCESS_KEY_ID: "AKIA-A" },
      dir,
    );
    expect(r.code).toBe(2);
    const text = await readFile(path.join(dir, "m.prom"), "utf8");
    const families = parseExposition(text);
    expect(valueOf(families, METRICS.exitCode.name, { task: "create_snap" })).toBe(2);
    expect(valueOf(families, METRICS.lastSuccess.name, { task: "create_snap" })).toBeUndefined();
    for (const secret of Object.values(SECRETS)) expect(text).not.toContain(secret);
  });

  it("a run that succeeds (reset on an empty state directory) records its last success", async () => {
    const dir = await tempDir();
    const before = Date.now() / 1000;
    const r = await runMain(
      ["--metrics-file", path.join(dir, "m.prom"), "--state-dir", dir, "reset"],
      { ...SECRETS, QDRANT_S3_ACCESS_KEY_ID: "AKIA-A" },
      dir,
    );
    expect(r.code, r.stderr).toBe(0);
    const families = parseExposition(await readFile(path.join(dir, "m.prom"), "utf8"));
    expect(valueOf(families, METRICS.exitCode.name, { task: "reset" })).toBe(0);
    expect(valueOf(families, METRICS.lastSuccess.name, { task: "reset" })).toBeGreaterThanOrEqual(Math.floor(before));
  });
});
