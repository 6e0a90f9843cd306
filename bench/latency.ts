/**
 * Scenario a) "latency": a backup and a restore dominated by waiting on Qdrant. Three independent source nodes hold
 * the collections (split evenly), three restore nodes receive every snapshot. The emulator adds LATENCY_MS to every
 * call and SNAPSHOT_MS more to every snapshot create or recover. create_snap and recover_snap run at the defaults
 * and at QDRANT_CONCURRENCY=1 (one call at a time, as the bash tool works).
 *
 * The lower bound of a run is read off the emulator's request log of that run: on each host, the calls the tool makes
 * inside that host's slot (QDRANT_PER_HOST_CONCURRENCY of them at a time) take, from arrival to the end of the answer,
 * at least this long one after the other; the busiest host's sum divided by the slots is a time no schedule can beat.
 */
import { cp, mkdir, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { startEmulator, type Emulator, type RequestLogEntry } from "../test/support/emulator/index.js";
import { seedCollection } from "../test/support/emulator/seed.js";
import { createTestBucket, s3Env, s3Storage } from "../test/support/s3/client.js";
import { startS3Server } from "../test/support/s3/launcher.js";
import { expectCounts, runCli, summaryCounts, type CliRun } from "./cli.js";
import { IN_SLOT, slotLowerBound } from "./lower-bound.js";
import { judged, type Figure, type Scenario, type ScenarioContext, type ScenarioResult } from "./report.js";

const LATENCY_MS = 20;
const SNAPSHOT_MS = 200;
const HOSTS = 3;
/** QDRANT_PER_HOST_CONCURRENCY's default (src/variables.ts); the lower bound divides by it. */
const PER_HOST = 1;
const COLLECTIONS = { full: 300, ci: 30 } as const;
const API_KEY = "bench-latency-key";

/** Snapshot create (POST …/snapshots), recover by URL (PUT …/snapshots/recover) and by upload (POST …/snapshots/upload). */
const SNAPSHOT_WORK = [
  { method: "POST", path: /^\/collections\/[^/]+\/snapshots(\/upload)?$/ },
  { method: "PUT", path: /^\/collections\/[^/]+\/snapshots\/recover$/ },
];

/** Injected latency of one logged request, in ms, as the rules of slowDown() inject it. */
function latencyOf(e: RequestLogEntry): number {
  return LATENCY_MS + (SNAPSHOT_WORK.some((w) => w.method === e.method && w.path.test(e.path)) ? SNAPSHOT_MS : 0);
}

function slowDown(emulator: Emulator): void {
  emulator.faults.add({ latencyMs: LATENCY_MS });
  for (const w of SNAPSHOT_WORK) emulator.faults.add({ ...w, latencyMs: SNAPSHOT_MS });
}

interface Measured {
  run: CliRun;
  /** The busiest host's serial time, in seconds. */
  idealSeconds: number;
  /** The busiest host's in-slot calls, their measured times summed, divided by its slots: a lower bound of the wall time. */
  boundSeconds: number;
  /** In-slot calls on that host. */
  boundCalls: number;
  calls: number;
  busiestCalls: number;
  /** The busiest host's own handling time beyond the injected latency (the emulator's work: archives, S3 writes). */
  busiestOwnSeconds: number;
  /** The ideal with each host's own handling time (measured per request) added to its injected latency. */
  busyIdealSeconds: number;
  /** TCP connections the nodes accepted during the run: far fewer than calls when keep-alive reuses them. */
  connections: number;
}

/**
 * Runs one task against `emulator` and reads its ideal and its lower bound off the emulator's request log: with `serial` (concurrency 1)
 * the sum over all hosts, else the busiest host's share divided by `perHost`.
 */
async function measure(
  ctx: ScenarioContext,
  emulator: Emulator,
  task: string,
  env: Record<string, string>,
  cwd: string,
  perHost: number,
  serial = false,
): Promise<Measured> {
  emulator.resetRequests();
  const connectionsBefore = emulator.connections();
  const run = await runCli(ctx, [task], env, cwd);
  const connections = emulator.connections() - connectionsBefore;
  const log = emulator.requests();
  const perNode = new Map<number, { ms: number; calls: number; ownMs: number }>();
  for (const e of log) {
    const n = perNode.get(e.node) ?? { ms: 0, calls: 0, ownMs: 0 };
    n.ms += latencyOf(e);
    n.ownMs += Math.max(0, e.ms - latencyOf(e));
    n.calls++;
    perNode.set(e.node, n);
  }
  const bound = slotLowerBound(log, IN_SLOT[task] ?? [], perHost);
  // Holds by construction while IN_SLOT matches the task's slot; a run under it means the patterns went stale.
  if (bound.calls === 0 || run.seconds < bound.seconds) {
    throw new Error(
      `${task}: the lower bound (${bound.seconds.toFixed(1)} s over ${bound.calls} in-slot calls) does not hold against the wall time (${run.seconds.toFixed(1)} s): update IN_SLOT in bench/lower-bound.ts`,
    );
  }
  const nodes = [...perNode.values()];
  const busiest = nodes.reduce((a, b) => (b.ms > a.ms ? b : a), { ms: 0, calls: 0, ownMs: 0 });
  const idealMs = serial ? nodes.reduce((sum, n) => sum + n.ms, 0) : busiest.ms / perHost;
  const busyMs = serial
    ? nodes.reduce((sum, n) => sum + n.ms + n.ownMs, 0)
    : Math.max(...nodes.map((n) => n.ms + n.ownMs)) / perHost;
  return {
    run,
    idealSeconds: idealMs / 1000,
    busyIdealSeconds: busyMs / 1000,
    calls: log.length,
    boundSeconds: bound.seconds,
    boundCalls: bound.calls,
    busiestCalls: busiest.calls,
    busiestOwnSeconds: busiest.ownMs / 1000,
    connections,
  };
}

const CREATED = /Snapshots created: (\d+), accepted: (\d+), failed: (\d+)/;
const RECOVERED = /Snapshots recovered: (\d+), accepted: (\d+), already recovered: (\d+), failed: (\d+)/;

/** The task's summary line must report every item done (`want`, in the pattern's order). */
function expectSummary(task: string, run: CliRun, pattern: RegExp, want: number[]): void {
  expectCounts(task, summaryCounts(task, run.stdout, pattern), want, run.stdout.trim().split("\n").at(-1) ?? "");
}

async function run(ctx: ScenarioContext): Promise<ScenarioResult> {
  const collections = COLLECTIONS[ctx.profile];
  const snapshots = collections; // one per collection: each lives on one source host
  const recoveries = snapshots * HOSTS;
  const s3 = await startS3Server();
  const work = await mkdtemp(path.join(os.tmpdir(), "bench-latency-"));
  let source: Emulator | undefined;
  let target: Emulator | undefined;
  try {
    const bucket = await createTestBucket(s3, "bench-latency");
    const storage = s3Storage(s3, bucket);
    source = await startEmulator({ nodes: HOSTS, apiKey: API_KEY, storage });
    target = await startEmulator({ nodes: HOSTS, apiKey: API_KEY });
    ctx.progress(`  seeding ${collections} collections on ${HOSTS} source nodes`);
    const seed = async (from: number): Promise<void> => {
      for (let i = from; i < collections; i += HOSTS * 4) {
        await seedCollection(source!.urls[i % HOSTS]!, `c${String(i).padStart(4, "0")}`, {
          points: 2,
          dim: 4,
          apiKey: API_KEY,
        });
      }
    };
    await Promise.all(Array.from({ length: HOSTS * 4 }, (_, from) => seed(from)));
    slowDown(source);
    slowDown(target);
    const env = {
      QDRANT_API_KEY: API_KEY,
      QDRANT_SOURCE_HOSTS: source.urls.join(","),
      QDRANT_RESTORE_HOSTS: target.urls.join(","),
      ...s3Env(s3, bucket),
    };
    const serialEnv = { ...env, QDRANT_CONCURRENCY: "1", QDRANT_PER_HOST_CONCURRENCY: "1" };
    const dirs = { defaults: path.join(work, "defaults"), serial: path.join(work, "serial") };

    await mkdir(dirs.defaults);
    await runCli(ctx, ["get_coll"], env, dirs.defaults);
    await cp(dirs.defaults, dirs.serial, { recursive: true });

    ctx.progress(`  create_snap at the defaults (${snapshots} snapshots)`);
    const create = await measure(ctx, source, "create_snap", env, dirs.defaults, PER_HOST);
    expectSummary("create_snap", create.run, CREATED, [snapshots, 0, 0]);
    ctx.progress("  recover_snap at the defaults");
    const recover = await measure(ctx, target, "recover_snap", env, dirs.defaults, PER_HOST);
    expectSummary("recover_snap", recover.run, RECOVERED, [recoveries, 0, 0, 0]);

    const figures: Figure[] = [
      ...ratioFigures("create_snap", create, snapshots),
      ...ratioFigures("recover_snap", recover, recoveries),
    ];
    if (ctx.profile === "full") {
      ctx.progress("  create_snap at QDRANT_CONCURRENCY=1");
      const createSerial = await measure(ctx, source, "create_snap", serialEnv, dirs.serial, 1, true);
      expectSummary("create_snap", createSerial.run, CREATED, [snapshots, 0, 0]);
      ctx.progress("  recover_snap at QDRANT_CONCURRENCY=1");
      const recoverSerial = await measure(ctx, target, "recover_snap", serialEnv, dirs.serial, 1, true);
      expectSummary("recover_snap", recoverSerial.run, RECOVERED, [recoveries, 0, 0, 0]);
      figures.push(
        ...speedUpFigures("create_snap", create, createSerial),
        ...speedUpFigures("recover_snap", recover, recoverSerial),
      );
    }
    return {
      runs: 1,
      figures,
      notes: [
        `${collections} collections split over ${HOSTS} independent source nodes; ${HOSTS} restore nodes each receive every snapshot; ${LATENCY_MS} ms on every call, ${SNAPSHOT_MS} ms more on every snapshot create or recover`,
        `at the defaults, create_snap made ${create.calls} calls (busiest host ${create.busiestCalls}) over ${create.connections} connections; recover_snap ${recover.calls} calls (busiest host ${recover.busiestCalls}) over ${recover.connections} connections (keep-alive)`,
        `the lower bound counts each call from its arrival to the end of its answer, so it includes the emulator's own handling (archives, S3 writes and downloads: ${create.busiestOwnSeconds.toFixed(1)} s (create_snap) and ${recover.busiestOwnSeconds.toFixed(1)} s (recover_snap) on the busiest host beyond the injected latency), all sharing ${os.availableParallelism()} cores with the CLI and the S3 server`,
        `in-slot calls on the busiest host: create_snap ${create.boundCalls} (snapshot listing, collection info, exact counts before and after, snapshot), recover_snap ${recover.boundCalls} (recoveries; the checks poll outside the slot and overlap them)`,
        ...(ctx.profile === "ci" ? [`ci profile: ${collections} collections and no concurrency-1 runs`] : []),
      ],
    };
  } finally {
    await Promise.allSettled([source?.stop(), target?.stop()]);
    await s3.stop();
    await rm(work, { recursive: true, force: true });
  }
}

/** Regression guard of `wall / lower bound`: the bound is a true one, so the ratio is at least 1 and the guard is tight. */
const BOUND_GUARD = 1.4;

function ratioFigures(task: string, m: Measured, items: number): Figure[] {
  return [
    judged({
      name: `${task}, defaults: wall time`,
      value: m.run.seconds,
      unit: "s",
      reference: m.boundSeconds,
      meaning: `${items} ${task === "create_snap" ? "snapshots" : "recoveries"}; the reference is the lower bound: the busiest host's calls inside its slot (${task === "create_snap" ? "collection info, exact count, snapshot" : "the recoveries"}), each timed by the node from arrival to the end of its answer, summed and divided by QDRANT_PER_HOST_CONCURRENCY`,
    }),
    judged({
      name: `${task}, defaults: wall / lower bound`,
      value: m.run.seconds / m.boundSeconds,
      unit: "×",
      target: { op: "<=", value: 1.15 },
      guard: { op: "<=", value: BOUND_GUARD },
      meaning:
        "how close the tool keeps the busiest host's slot busy; no schedule goes under 1.0, and what is above it is the tool's own cost plus the gaps between a host's calls",
    }),
  ];
}

function speedUpFigures(task: string, defaults: Measured, serial: Measured): Figure[] {
  return [
    judged({
      name: `${task}, concurrency 1: wall time`,
      value: serial.run.seconds,
      unit: "s",
      reference: serial.idealSeconds,
      meaning:
        "QDRANT_CONCURRENCY=1: one snapshot create or recover at a time over all hosts, the bash tool's way; the reference is the sum of all hosts' injected latency",
    }),
    judged({
      name: `${task}: speed-up over concurrency 1`,
      value: serial.run.seconds / defaults.run.seconds,
      unit: "×",
      reference: serial.busyIdealSeconds / defaults.busyIdealSeconds,
      target: { op: ">=", value: 3 },
      meaning: `wall time at QDRANT_CONCURRENCY=1 divided by wall time at the defaults, with ${HOSTS} hosts; the reference is the speed-up the rig allows: all hosts' measured busy time at concurrency 1 over the busiest host's at the defaults (the nodes' own work slows down when three of them share the rig's cores)`,
    }),
  ];
}

export const latency: Scenario = {
  name: "latency",
  title: "latency-bound backup and restore: 3 source and 3 restore hosts, against a lower bound",
  about:
    "a) A backup and a restore dominated by waiting on Qdrant. The collections are split over three independent " +
    "source nodes (the snapshots land in the bucket, the legacy layout); get_coll lists each node, so create_snap " +
    "asks each node only for its own collections, with their facts (info, exact count) for the backup metadata. " +
    "recover_snap recovers every " +
    "snapshot on each of three restore nodes by presigned URL, then checks each collection (status, exact count, " +
    "vectors config, payload scroll). The emulator delays every call and every snapshot create or recover. The lower " +
    "bound is the busiest host's in-slot calls one after the other, as the nodes timed them; the concurrency-1 runs show " +
    "what the overlap buys.",
  inCi: true,
  run,
};
