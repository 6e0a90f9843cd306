// QDRANT_PUSHGATEWAY_URL: the run's metrics pushed to a local stand-in that checks what a Pushgateway checks; an
// unreachable or silent gateway costs a bounded time, is logged and leaves the run's exit code alone.
import { readFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { METRICS } from "../../src/metrics/names.js";
import { pushAll } from "../../src/metrics/push.js";
import { render } from "../../src/metrics/render.js";
import { samplesOf } from "../../src/metrics/samples.js";
import { parseExposition, valueOf } from "../support/metrics/exposition.js";
import { startFakePushgateway, type FakePushgateway } from "../support/metrics/pushgateway.js";
import { closedPort } from "../support/net.js";
import { makeTempDir } from "../support/tmp.js";
import { runMain } from "../support/run-main.js";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function gateway(opts: { hang?: boolean } = {}): Promise<FakePushgateway> {
  const g = await startFakePushgateway(opts);
  cleanups.push(g.stop);
  return g;
}

async function tempDir(): Promise<string> {
  const t = await makeTempDir("pushgateway");
  cleanups.push(t.cleanup);
  return t.dir;
}

const ENV = { QDRANT_S3_ACCESS_KEY_ID: "AKIA-A", QDRANT_S3_SECRET_ACCESS_KEY: "pushgateway-test-secret-77" };

const run = (task: string, exitCode: number) => ({
  task,
  start: new Date(1_000_000),
  end: new Date(1_030_000),
  exitCode,
  items: { done: 2, failed: exitCode === 3 ? 1 : 0, skipped: 0, accepted: 0 },
});

describe("the Pushgateway push", () => {
  it("POSTs each task's metrics to /metrics/job/qdrant_backup_restore/task/<task> as text/plain; version=0.0.4", async () => {
    const g = await gateway();
    const pushes = await Promise.all(
      [run("create_snap", 0), run("prune_snap", 3)].map(async (r) => ({
        task: r.task,
        body: await render(samplesOf(r, undefined)),
      })),
    );
    expect(await pushAll(g.url, pushes)).toEqual([]);
    expect(g.pushes.map((p) => [p.method, p.path, p.status])).toEqual([
      ["POST", "/metrics/job/qdrant_backup_restore/task/create_snap", 200],
      ["POST", "/metrics/job/qdrant_backup_restore/task/prune_snap", 200],
    ]);
    const prune = [...g.groups.get("job=qdrant_backup_restore,task=prune_snap")!.values()];
    expect(valueOf(prune, METRICS.exitCode.name, { task: "prune_snap" })).toBe(3);
    expect(valueOf(prune, METRICS.items.name, { task: "prune_snap", outcome: "failed" })).toBe(1);
    // A failed task whose last success the tool does not know leaves the one the gateway has.
    expect(g.groups.get("job=qdrant_backup_restore,task=prune_snap")!.has(METRICS.lastSuccess.name)).toBe(false);
  });

  it("the stand-in refuses what a Pushgateway refuses: a wrong method, path or content type, duplicate series", async () => {
    const g = await gateway();
    const good = "# HELP a_b x\n# TYPE a_b gauge\na_b 1\n";
    const send = (method: string, p: string, body: string, ct = "text/plain; version=0.0.4; charset=utf-8") =>
      fetch(`${g.url}${p}`, { method, body, headers: { "content-type": ct } }).then((r) => r.status);
    expect(await send("POST", "/metrics/job/j", good)).toBe(200);
    expect(await send("PATCH", "/metrics/job/j", good)).toBe(405);
    expect(await send("POST", "/metrics/j", good)).toBe(404);
    expect(await send("POST", "/metrics/job/j", good, "application/json")).toBe(415);
    expect(await send("POST", "/metrics/job/j", `${good}a_b 2\n`)).toBe(400);
    expect(await send("POST", "/metrics/job/j/task/x", '# TYPE c gauge\nc{task="y"} 1\n')).toBe(400);
  });

  it("an unreachable gateway: one line per task naming the URL and the variable, at once", async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const problems = await pushAll(url, [
      { task: "create_snap", body: await render(samplesOf(run("create_snap", 0), undefined)) },
    ]);
    expect(problems).toEqual([
      `metrics: push to the Pushgateway failed: ${url}/metrics/job/qdrant_backup_restore/task/create_snap: ECONNREFUSED; check QDRANT_PUSHGATEWAY_URL`,
    ]);
  });

  it("a gateway that never answers: every push of the run ends within the one time limit", async () => {
    const g = await gateway({ hang: true });
    const body = await render(samplesOf(run("create_snap", 0), undefined));
    const started = Date.now();
    const problems = await pushAll(
      g.url,
      [
        { task: "create_snap", body },
        { task: "prune_snap", body },
      ],
      400,
    );
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(problems).toHaveLength(2);
    for (const p of problems) expect(p).toMatch(/no answer within 0\.4 s; check QDRANT_PUSHGATEWAY_URL$/);
  });
});

describe("QDRANT_PUSHGATEWAY_URL through main()", () => {
  it("a run's push carries the same series as its --metrics-file, and no secret", async () => {
    const g = await gateway();
    const dir = await tempDir();
    const r = await runMain(
      ["--metrics-file", "m.prom", "--state-dir", dir, "reset"],
      { ...ENV, QDRANT_PUSHGATEWAY_URL: `${g.url}/` },
      dir,
    );
    expect(r.code, r.stderr).toBe(0);
    expect(g.pushes.map((p) => [p.path, p.status])).toEqual([["/metrics/job/qdrant_backup_restore/task/reset", 200]]);
    expect(parseExposition(g.pushes[0]!.body)).toEqual(
      parseExposition(await readFile(path.join(dir, "m.prom"), "utf8")),
    );
    expect(g.pushes[0]!.body).not.toContain(ENV.QDRANT_S3_SECRET_ACCESS_KEY);
  });

  it("an unreachable gateway is logged as a warning and a successful run still exits 0", async () => {
    const dir = await tempDir();
    const url = `http://127.0.0.1:${await closedPort()}`;
    const r = await runMain(["--state-dir", dir, "reset"], { ...ENV, QDRANT_PUSHGATEWAY_URL: url }, dir);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(
      /WARNING: metrics: push to the Pushgateway failed: .*ECONNREFUSED; check QDRANT_PUSHGATEWAY_URL \(the exit code is unchanged\)/,
    );
  });

  it("a run that fails on its configuration (exit 2) is still pushed, with that exit code", async () => {
    const g = await gateway();
    const dir = await tempDir();
    const r = await runMain(["create_snap"], { ...ENV, QDRANT_PUSHGATEWAY_URL: g.url }, dir);
    expect(r.code).toBe(2);
    const families = parseExposition(g.pushes[0]!.body);
    expect(valueOf(families, METRICS.exitCode.name, { task: "create_snap" })).toBe(2);
  });
});
