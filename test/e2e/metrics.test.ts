// The built CLI with --metrics-file and QDRANT_PUSHGATEWAY_URL: a real backup's counts in the file and in the push,
// then a failed run (its source unreachable) that records exit 4 and keeps the last success; no secret anywhere.
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { METRICS } from "../../src/metrics/names.js";
import { runCli } from "../support/cli.js";
import { seedCollection } from "../support/emulator/seed.js";
import { parseExposition, valueOf } from "../support/metrics/exposition.js";
import { startFakePushgateway, type FakePushgateway } from "../support/metrics/pushgateway.js";
import { makeTempDir } from "../support/tmp.js";
import { closedPort, expectExit } from "./harness.js";
import { startRig, type Rig } from "./rig.js";

const s3 = inject("s3");
let rig: Rig;
let gateway: FakePushgateway;
let dir = "";
let cleanup: () => Promise<void> = async () => {};

beforeAll(async () => {
  rig = await startRig(s3, { label: "metrics", sourceNodes: 1, targetNodes: 1 });
  gateway = await startFakePushgateway();
  for (const name of ["articles", "users"])
    await seedCollection(rig.source.urls[0]!, name, { points: 20, dim: 4, apiKey: rig.apiKey });
  ({ dir, cleanup } = await makeTempDir("metrics-e2e"));
});

afterAll(async () => {
  await rig?.stop();
  await gateway?.stop();
  await cleanup();
});

const task = { task: "create_snap" };

describe("metrics of real runs", () => {
  let firstSuccess = 0;

  it("create_snap: the file and the push hold its two snapshots done, exit 0 and its last success", async () => {
    const r = await rig.run(
      ["--metrics-file", "qbr.prom", "create_snap"],
      dir,
      rig.env({ QDRANT_PUSHGATEWAY_URL: gateway.url }),
    );
    expectExit(r, 0);
    const families = parseExposition(await readFile(path.join(dir, "qbr.prom"), "utf8"));
    expect(valueOf(families, METRICS.items.name, { ...task, outcome: "done" })).toBe(2);
    expect(valueOf(families, METRICS.items.name, { ...task, outcome: "failed" })).toBe(0);
    expect(valueOf(families, METRICS.exitCode.name, task)).toBe(0);
    firstSuccess = valueOf(families, METRICS.lastSuccess.name, task) ?? 0;
    expect(firstSuccess).toBe(valueOf(families, METRICS.end.name, task));
    expect(gateway.pushes.map((p) => [p.method, p.path, p.status])).toEqual([
      ["POST", "/metrics/job/qdrant_backup_restore/task/create_snap", 200],
    ]);
    expect(parseExposition(gateway.pushes[0]!.body)).toEqual(families);
  });

  it("a run whose source is unreachable records exit 4 and keeps the last success, in the file and on the gateway", async () => {
    const source = `http://127.0.0.1:${await closedPort()}`;
    const r = await rig.run(
      // A fresh state: get_coll must list the collections, from the unreachable host.
      ["--metrics-file", "qbr.prom", "--state-dir", "fresh", "get_coll", "create_snap"],
      dir,
      rig.env({ QDRANT_SOURCE_HOSTS: source, QDRANT_PUSHGATEWAY_URL: gateway.url }),
    );
    expectExit(r, 4);
    const families = parseExposition(await readFile(path.join(dir, "qbr.prom"), "utf8"));
    expect(valueOf(families, METRICS.exitCode.name, { task: "get_coll" })).toBe(4);
    expect(valueOf(families, METRICS.lastSuccess.name, { task: "get_coll" })).toBeUndefined();
    // create_snap never started: its series are the first run's.
    expect(valueOf(families, METRICS.exitCode.name, task)).toBe(0);
    expect(valueOf(families, METRICS.lastSuccess.name, task)).toBe(firstSuccess);
    expect(gateway.pushes.at(-1)?.path).toBe("/metrics/job/qdrant_backup_restore/task/get_coll");
    const group = gateway.groups.get("job=qdrant_backup_restore,task=create_snap");
    expect(valueOf([...(group?.values() ?? [])], METRICS.lastSuccess.name, task)).toBe(firstSuccess);
  });
});

describe("prom-client stays unloaded until metrics are asked for", () => {
  // A preload hook records every module the bundle requires from Node (the bundle's require is createRequire's, so
  // Module._load sees it): prom-client's code requires `v8` and `perf_hooks` as it is evaluated, nothing else does.
  const HOOK = [
    'const Module = require("node:module");',
    'const fs = require("node:fs");',
    "const load = Module._load;",
    "Module._load = function (request, ...rest) {",
    '  fs.appendFileSync(process.env.QBR_LOADS_FILE, request + "\\n");',
    "  return load.call(this, request, ...rest);",
    "};",
  ].join("\n");

  async function loads(args: string[], cwd: string): Promise<string[]> {
    const hook = path.join(cwd, "hook.cjs");
    const file = path.join(cwd, `loads-${args.length}`);
    await writeFile(hook, HOOK);
    await writeFile(file, "");
    const r = await runCli(args, { cwd, env: { NODE_OPTIONS: `--require ${hook}`, QBR_LOADS_FILE: file } });
    expectExit(r, 0);
    return (await readFile(file, "utf8")).split("\n").map((l) => l.replace(/^node:/, ""));
  }

  it("--help does not evaluate it; a run with --metrics-file does", async () => {
    const help = await loads(["--help"], dir);
    expect(help.length).toBeGreaterThan(3);
    expect(help).not.toContain("v8");
    expect(help).not.toContain("perf_hooks");
    const run = await loads(["--metrics-file", "lazy.prom", "--state-dir", "lazy", "reset"], dir);
    expect(run).toContain("v8");
    expect(run).toContain("perf_hooks");
  });
});
