/**
 * Scenarios b) "overhead" and c) "scaling": what the tool itself spends per item when Qdrant answers at once.
 *
 * The rig is the legacy setup: two standalone emulator nodes keep their snapshots in the local S3 bucket (Qdrant's S3
 * snapshot storage), the CLI has the QDRANT_S3_* variables, so create_snap writes backup metadata next to each
 * snapshot and recover_snap has two other standalone nodes download each snapshot from a presigned URL, then checks
 * it (the defaults). Thousands of tiny collections (two points, dim 4), split evenly over the two sources, make the
 * per-item cost visible: the CLI's CPU time (user + system, /usr/bin/time) divided by its items, and its peak RSS.
 *
 * The emulator, the S3 server and the CLI share the machine's cores, so wall times here are the rig's, not the tool's.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { startEmulator, type Emulator } from "../test/support/emulator/index.js";
import { seedCollection } from "../test/support/emulator/seed.js";
import { createTestBucket, s3Env, s3Storage } from "../test/support/s3/client.js";
import { startS3Server, type S3Server } from "../test/support/s3/launcher.js";
import { assertTimeAvailable, expectCounts, runCli, summaryCounts, type CliRun } from "./cli.js";
import { judged, median, type Figure, type Scenario, type ScenarioContext, type ScenarioResult } from "./report.js";

const API_KEY = "bench-overhead-key";
const SOURCE_NODES = 2;
const RESTORE_NODES = 2;
/** Collections per run of b): the 5,000; the CI profile takes fewer to stay within its time (see notes). */
const OVERHEAD_COLLECTIONS = { full: 5_000, ci: 1_000 } as const;
/**
 * c): the sizes of the scaling run (BENCH_SCALING_SIZES, comma-separated), recover_snap only up to
 * BENCH_SCALING_RECOVER_MAX. The 20,000 is not in the default: on 2 cores create_snap alone takes about
 * 150 s there, the rig's own CPU (S3 server and emulator, ~8 ms per snapshot) against the CLI's ~1.5 ms, which
 * does not fit `npm run bench` in 10 minutes next to scenario a).
 */
const SCALING_DEFAULT_SIZES = [500, 1_000, 5_000];
/** b)'s comparison without a destination runs at this size, next to a run with one (which c) reuses). */
const BARE_COLLECTIONS = 1_000;
const SCALING_DEFAULT_RECOVER_MAX = 5_000;
/** Resume: snapshot rows in the state (collections × snapshots each), every one recorded `ok` on every restore host. */
const RESUME_COLLECTIONS = 2_000;
const RESUME_SNAPSHOTS_EACH = 50;
const RESUME_RUNS = 3;
const SEED_PARALLEL = 16;

const CPU_TARGET_MS = 1;
const RSS_TARGET_MIB = 200;
/** The CI guard: the RSS target plus 50 % (memory, never time). */
const RSS_GUARD_MIB = RSS_TARGET_MIB * 1.5;
/** c): per-item cost may not grow by more than this between sizes ("at most linear", with room for noise). */
const GROWTH_TARGET = 1.25;

/** What one size measured; create_snap always, recover_snap when it was asked for. */
interface SizeRun {
  collections: number;
  /** Seeding time (emulator over HTTP), for the progress lines only. */
  seedSeconds: number;
  create: CliRun & { items: number };
  recover: (CliRun & { items: number }) | undefined;
}

/** Sizes measured in this process, so c) reuses b)'s 5,000 when both run (b runs first). */
const measured = new Map<number, SizeRun>();
/** Sizes that were taken from `measured` rather than run again. */
const reused = new Set<number>();

const fmtS = (s: number): string => `${s.toFixed(1)} s`;

interface Rig {
  s3: S3Server;
  source: Emulator;
  restore: Emulator;
  work: string;
  env: Record<string, string>;
  stop(): Promise<void>;
}

async function startRig(label: string): Promise<Rig> {
  const s3 = await startS3Server();
  const parts: { source?: Emulator; restore?: Emulator; work?: string } = {};
  const stop = async (): Promise<void> => {
    await Promise.allSettled([parts.source?.stop(), parts.restore?.stop()]);
    await s3.stop();
    if (parts.work) await rm(parts.work, { recursive: true, force: true });
  };
  try {
    const bucket = await createTestBucket(s3, label);
    const storage = s3Storage(s3, bucket);
    parts.source = await startEmulator({ nodes: SOURCE_NODES, apiKey: API_KEY, storage });
    parts.restore = await startEmulator({ nodes: RESTORE_NODES, apiKey: API_KEY });
    parts.work = await mkdtemp(path.join(os.tmpdir(), `bench-${label}-`));
    const env = {
      QDRANT_API_KEY: API_KEY,
      QDRANT_SOURCE_HOSTS: parts.source.urls.join(","),
      QDRANT_RESTORE_HOSTS: parts.restore.urls.join(","),
      ...s3Env(s3, bucket),
    };
    return { s3, source: parts.source, restore: parts.restore, work: parts.work, env, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** `n` tiny collections, `c000000`…, split evenly over the source nodes, seeded over HTTP a few at a time. */
async function seed(rig: Rig, n: number): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < n) {
      const i = next++;
      const url = rig.source.urls[i % rig.source.urls.length] ?? "";
      await seedCollection(url, `c${String(i).padStart(6, "0")}`, { points: 2, dim: 4, apiKey: API_KEY });
    }
  };
  await Promise.all(Array.from({ length: SEED_PARALLEL }, worker));
}

/** Seeds `n` collections on a fresh rig, runs get_coll, create_snap and (when asked) recover_snap, each checked. */
async function measureSize(ctx: ScenarioContext, n: number, withRecover: boolean): Promise<SizeRun> {
  const known = measured.get(n);
  if (known && (known.recover !== undefined || !withRecover)) {
    ctx.progress(`  ${n} collections: reusing the run measured earlier in this process`);
    reused.add(n);
    return known;
  }
  const rig = await startRig(`ovh-${n}`);
  try {
    const started = process.hrtime.bigint();
    await seed(rig, n);
    const seedSeconds = Number(process.hrtime.bigint() - started) / 1e9;
    ctx.progress(`  ${n} collections seeded on ${SOURCE_NODES} nodes in ${fmtS(seedSeconds)}`);

    const list = await runCli(ctx, ["get_coll"], rig.env, rig.work);
    expectCounts("get_coll", summaryCounts("get_coll", list.stdout, /Collections fetched: (\d+)/), [n], list.stdout.trim());

    const create = await runCli(ctx, ["create_snap"], rig.env, rig.work);
    const [created = 0, ...restCreate] = summaryCounts("create_snap", create.stdout, /Snapshots created: (\d+), accepted: (\d+), failed: (\d+)/);
    expectCounts("create_snap", [created, ...restCreate], [n, 0, 0], create.stdout.trim().split("\n").at(-1) ?? "");
    ctx.progress(`  create_snap: ${fmtS(create.seconds)}, CPU ${fmtS(create.cpuSeconds)}, peak RSS ${create.peakRssMiB.toFixed(0)} MiB`);

    let recover: SizeRun["recover"];
    if (withRecover) {
      const run = await runCli(ctx, ["recover_snap"], rig.env, rig.work);
      const items = n * RESTORE_NODES;
      const counts = summaryCounts("recover_snap", run.stdout, /Snapshots recovered: (\d+), accepted: (\d+), already recovered: (\d+), failed: (\d+)/);
      expectCounts("recover_snap", counts, [items, 0, 0, 0], run.stdout.trim().split("\n").at(-1) ?? "");
      recover = { ...run, items };
      ctx.progress(`  recover_snap: ${fmtS(run.seconds)}, CPU ${fmtS(run.cpuSeconds)}, peak RSS ${run.peakRssMiB.toFixed(0)} MiB`);
    }
    const result: SizeRun = { collections: n, seedSeconds, create: { ...create, items: created }, recover };
    measured.set(n, result);
    return result;
  } finally {
    await rig.stop();
  }
}

/** A collection count as the tables write it: 5,000. */
const label = (n: number): string => n.toLocaleString("en-US");

const perItemMs = (r: CliRun & { items: number }): number => (r.cpuSeconds * 1000) / r.items;

// ---------------------------------------------------------------------------------------------------------------
// b) overhead

async function runOverhead(ctx: ScenarioContext): Promise<ScenarioResult> {
  assertTimeAvailable();
  const n = OVERHEAD_COLLECTIONS[ctx.profile];
  ctx.progress(`  ${n} collections, ${SOURCE_NODES} source and ${RESTORE_NODES} restore nodes, zero injected latency`);
  const r = await measureSize(ctx, n, true);
  const create = r.create;
  const recover = r.recover!;
  // The same backup without a destination, so without backup metadata: what the metadata's S3 write costs per item.
  // At a smaller size than the main run, against a run with metadata of the same size (c) reuses it).
  const bare = ctx.profile === "full"
    ? { without: await measureBareCreate(ctx, BARE_COLLECTIONS), with: (await measureSize(ctx, BARE_COLLECTIONS, true)).create }
    : undefined;
  const figures: Figure[] = [
    judged({
      name: "create_snap: CPU per snapshot",
      value: perItemMs(create),
      unit: "ms",
      target: { op: "<", value: CPU_TARGET_MS },
      meaning: `the CLI process's CPU time (user + system) for create_snap over ${n} collections, divided by the snapshots it created: per snapshot the collection's facts (info, exact count), the snapshot call, a state row and a metadata object in S3; the process's start-up is spread over the items`,
    }),
    judged({
      name: "create_snap: peak RSS",
      value: create.peakRssMiB,
      unit: "MiB",
      target: { op: "<", value: RSS_TARGET_MIB },
      guard: { op: "<", value: RSS_GUARD_MIB },
      meaning: "the CLI process's peak resident memory during create_snap; the guard (target + 50 %) fails the CI run",
    }),
    judged({
      name: "recover_snap: CPU per recovery",
      value: perItemMs(recover),
      unit: "ms",
      target: { op: "<", value: CPU_TARGET_MS },
      meaning: `the same for recover_snap, per recovery (${n} snapshots × ${RESTORE_NODES} restore hosts): a presigned URL, the recover call, the check (status, count, scroll), a history row; the metadata is read once per snapshot`,
    }),
    judged({
      name: "recover_snap: peak RSS",
      value: recover.peakRssMiB,
      unit: "MiB",
      target: { op: "<", value: RSS_TARGET_MIB },
      guard: { op: "<", value: RSS_GUARD_MIB },
      meaning: "the CLI process's peak resident memory during recover_snap; the guard fails the CI run",
    }),
    ...(bare
      ? [
          judged({
            name: `create_snap @${label(BARE_COLLECTIONS)} without a destination: CPU per snapshot`,
            value: perItemMs(bare.without),
            unit: "ms",
            reference: perItemMs(bare.with),
            meaning: `create_snap over ${label(BARE_COLLECTIONS)} collections with no QDRANT_S3_* variables, so no backup metadata is written; the reference is the same with them (the scaling scenario's row of that size): the difference is what writing one metadata object to S3 through the AWS SDK costs per snapshot`,
          }),
        ]
      : []),
    judged({ name: "create_snap: snapshots", value: create.items, unit: "items", meaning: "snapshots created (the summary line says none failed)" }),
    judged({ name: "create_snap: wall time", value: create.seconds, unit: "s", meaning: "spawn to exit; dominated by the rig (emulator and S3 server on the same cores), shown for scale only" }),
    judged({ name: "recover_snap: recoveries", value: recover.items, unit: "items", meaning: "recoveries done and checked (the summary line says none failed)" }),
    judged({ name: "recover_snap: wall time", value: recover.seconds, unit: "s", meaning: "spawn to exit, rig included, for scale only" }),
  ];
  const notes = [
    `rig: ${SOURCE_NODES} standalone source nodes storing snapshots in the local S3 bucket, ${RESTORE_NODES} standalone restore nodes recovering by presigned URL, verification on (defaults); the emulator and the S3 server run on the same cores as the CLI and use several times its CPU, so its CPU time is measured under contention (runs on a busy 2-core machine vary by ±20 %)`,
  ];
  if (ctx.profile === "ci") {
    notes.push(`ci profile: ${n} collections instead of ${OVERHEAD_COLLECTIONS.full}, to finish in about 25 s on 2 cores; the CPU per item includes a larger share of the start-up, the RSS is lower than at ${OVERHEAD_COLLECTIONS.full} (V8 lets the heap grow with the run)`);
  }
  return { runs: 1, figures, notes };
}

/** create_snap over `n` fresh collections without the S3 variables (no destination, no metadata), checked. */
async function measureBareCreate(ctx: ScenarioContext, n: number): Promise<CliRun & { items: number }> {
  const rig = await startRig(`ovh-bare-${n}`);
  try {
    await seed(rig, n);
    const env = Object.fromEntries(Object.entries(rig.env).filter(([name]) => !name.startsWith("QDRANT_S3_")));
    await runCli(ctx, ["get_coll"], env, rig.work);
    const run = await runCli(ctx, ["create_snap"], env, rig.work);
    const counts = summaryCounts("create_snap", run.stdout, /Snapshots created: (\d+), accepted: (\d+), failed: (\d+)/);
    expectCounts("create_snap", counts, [n, 0, 0], run.stdout.trim().split("\n").at(-1) ?? "");
    ctx.progress(`  create_snap without a destination: ${fmtS(run.seconds)}, CPU ${fmtS(run.cpuSeconds)}`);
    return { ...run, items: n };
  } finally {
    await rig.stop();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// c) scaling

/** Marginal CPU per item between two sizes: the start-up cost, paid once per run, cancels out. */
const marginalMs = (a: CliRun & { items: number }, b: CliRun & { items: number }): number =>
  ((b.cpuSeconds - a.cpuSeconds) * 1000) / (b.items - a.items);

/**
 * Growth between the sizes of one task (ascending): with three or more, the marginal CPU per item of the last step
 * against the first, and the peak RSS at the largest size against a line through the smallest and the one before the
 * largest; with two, plain ratios. `labelOf(i)` names size i.
 */
function growthFigures(task: string, all: (CliRun & { items: number })[], labelOf: (i: number) => string): Figure[] {
  const figures: Figure[] = [];
  if (all.length === 2) {
    const [a, b] = all as [CliRun & { items: number }, CliRun & { items: number }];
    figures.push(
      judged({
        name: `${task}: CPU per item @${labelOf(1)} / @${labelOf(0)}`,
        value: perItemMs(b) / perItemMs(a),
        unit: "×",
        target: { op: "<=", value: GROWTH_TARGET },
        meaning: "per-item CPU at the larger size over the smaller one (start-up included, which favours the larger size); 1.0 = linear",
      }),
      judged({
        name: `${task}: peak RSS @${labelOf(1)} / @${labelOf(0)}`,
        value: b.peakRssMiB / a.peakRssMiB,
        unit: "×",
        reference: b.items / a.items,
        target: { op: "<=", value: b.items / a.items },
        meaning: "RSS ratio against the items ratio (the reference): at most it = at most linear",
      }),
    );
    return figures;
  }
  if (all.length < 2) return figures;
  const last = all.length - 1;
  const small = all[0]!;
  const mid = all[last - 1]!;
  const large = all[last]!;
  const low = marginalMs(small, all[1]!);
  const high = marginalMs(mid, large);
  figures.push(
    judged({
      name: `${task}: marginal CPU per item, ${labelOf(last - 1)}→${labelOf(last)} / ${labelOf(0)}→${labelOf(1)}`,
      value: high / low,
      unit: "×",
      target: { op: "<=", value: GROWTH_TARGET },
      meaning: `the extra CPU per extra item between the two largest sizes (${high.toFixed(3)} ms) over that between the two smallest (${low.toFixed(3)} ms); start-up cancels out. 1.0 = linear: the per-item cost does not grow with the size`,
    }),
  );
  // "At most linear" for memory: no more than a straight line through the smallest size and the one before the
  // largest predicts at the largest (a memory that levels off comes out well below 1).
  const slope = Math.max(0, (mid.peakRssMiB - small.peakRssMiB) / (mid.items - small.items));
  const predicted = mid.peakRssMiB + slope * (large.items - mid.items);
  figures.push(
    judged({
      name: `${task}: peak RSS @${labelOf(last)} / linear extrapolation`,
      value: large.peakRssMiB / predicted,
      unit: "×",
      target: { op: "<=", value: 1.1 },
      meaning: `peak RSS at ${labelOf(last)} (${large.peakRssMiB.toFixed(0)} MiB) over what a straight line through the peaks at ${labelOf(0)} and ${labelOf(last - 1)} predicts for it (${predicted.toFixed(0)} MiB; never below the peak at ${labelOf(last - 1)}). At most 1 = memory grows at most linearly with the items; well below 1 = it levels off; the 10 % above 1 is room for noise`,
    }),
  );
  return figures;
}

/** Writes the resume state: RESUME_COLLECTIONS × RESUME_SNAPSHOTS_EACH snapshot rows, each `ok` on every restore host. */
async function writeResumeState(dir: string, restoreHosts: readonly string[], collections: number, each: number): Promise<number> {
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

interface ResumeResult {
  rows: number;
  historyRows: number;
  seconds: number;
  floorSeconds: number;
  cpuSeconds: number;
  peakRssMiB: number;
  requests: string[];
}

/** recover_snap over a state whose history says everything is done: the median of a few runs, and of a 1-row floor. */
async function measureResume(ctx: ScenarioContext): Promise<ResumeResult> {
  const rig = await startRig("ovh-resume");
  const floorDir = await mkdtemp(path.join(os.tmpdir(), "bench-resume-floor-"));
  try {
    const rows = await writeResumeState(rig.work, rig.restore.urls, RESUME_COLLECTIONS, RESUME_SNAPSHOTS_EACH);
    await writeResumeState(floorDir, rig.restore.urls, 1, 1);
    const historyRows = rows * rig.restore.urls.length;
    const expect = (run: CliRun, done: number): void => {
      const counts = summaryCounts("recover_snap", run.stdout, /Snapshots recovered: (\d+), accepted: (\d+), already recovered: (\d+), failed: (\d+)/);
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
    ctx.progress(`  resume over ${rows} snapshots × ${rig.restore.urls.length} hosts: ${fmtS(seconds)} (1-row floor ${fmtS(median(floor.map((r) => r.seconds)))}), ${requests.length} Qdrant requests`);
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

/** A positive whole number from the environment, or the default. */
function envCount(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name}: expected a positive whole number, got "${raw}"`);
  return n;
}

function scalingSizes(): number[] {
  const raw = process.env["BENCH_SCALING_SIZES"];
  if (raw === undefined || raw.trim() === "") return SCALING_DEFAULT_SIZES;
  const sizes = raw.split(",").map((s) => Number(s.trim()));
  if (sizes.length < 2 || sizes.some((n) => !Number.isInteger(n) || n < 1) || new Set(sizes).size !== sizes.length) {
    throw new Error(`BENCH_SCALING_SIZES: expected at least two distinct positive whole numbers, comma-separated; got "${raw}"`);
  }
  return sizes.sort((a, b) => a - b);
}

async function runScaling(ctx: ScenarioContext): Promise<ScenarioResult> {
  assertTimeAvailable();
  const sizes = scalingSizes();
  const recoverMax = envCount("BENCH_SCALING_RECOVER_MAX", SCALING_DEFAULT_RECOVER_MAX);
  const runs: SizeRun[] = [];
  for (const n of sizes) {
    ctx.progress(`  size ${n}`);
    runs.push(await measureSize(ctx, n, n <= recoverMax));
  }
  const figures: Figure[] = [];
  for (const r of runs) {
    figures.push(
      judged({ name: `create_snap @${label(r.collections)}: CPU per snapshot`, value: perItemMs(r.create), unit: "ms", target: { op: "<", value: CPU_TARGET_MS }, meaning: `CPU time of the CLI over the ${label(r.create.items)} snapshots, start-up included` }),
      judged({ name: `create_snap @${label(r.collections)}: peak RSS`, value: r.create.peakRssMiB, unit: "MiB", target: { op: "<", value: RSS_TARGET_MIB }, meaning: "the CLI's peak resident memory" }),
    );
    if (r.recover) {
      figures.push(
        judged({ name: `recover_snap @${label(r.collections)}: CPU per recovery`, value: perItemMs(r.recover), unit: "ms", target: { op: "<", value: CPU_TARGET_MS }, meaning: `CPU time of the CLI over the ${label(r.recover.items)} recoveries, start-up included` }),
        judged({ name: `recover_snap @${label(r.collections)}: peak RSS`, value: r.recover.peakRssMiB, unit: "MiB", target: { op: "<", value: RSS_TARGET_MIB }, meaning: "the CLI's peak resident memory" }),
      );
    }
  }
  const sizeLabel = (runsOf: SizeRun[]) => (i: number): string => label(runsOf[i]?.collections ?? 0);
  figures.push(...growthFigures("create_snap", runs.map((r) => r.create), sizeLabel(runs)));
  const withRecover = runs.filter((r) => r.recover !== undefined);
  figures.push(...growthFigures("recover_snap", withRecover.map((r) => r.recover!), sizeLabel(withRecover)));

  ctx.progress("  resume against a full recovery history");
  const resume = await measureResume(ctx);
  figures.push(
    judged({
      name: `resume: recover_snap over ${label(resume.historyRows)} history rows`,
      value: resume.seconds,
      unit: "s",
      reference: resume.floorSeconds,
      target: { op: "<", value: 1 },
      meaning: `median wall time of recover_snap when the state lists ${label(resume.rows)} snapshots (${label(RESUME_COLLECTIONS)} collections × ${RESUME_SNAPSHOTS_EACH}) and the history marks every one ok on each of the ${RESTORE_NODES} restore hosts: all skipped; the reference is the same command over a 1-row state (start-up, configuration, S3 client)`,
    }),
    judged({
      name: "resume: CPU",
      value: resume.cpuSeconds,
      unit: "s",
      meaning: "the CLI's CPU time in that run (median)",
    }),
    judged({
      name: "resume: peak RSS",
      value: resume.peakRssMiB,
      unit: "MiB",
      meaning: "the CLI's peak resident memory reading the two files",
    }),
    judged({
      name: "resume: Qdrant requests",
      value: resume.requests.length,
      unit: "requests",
      target: { op: "<=", value: 0 },
      meaning: "requests the restore nodes saw during the resume runs: nothing is left to do, so none is needed",
    }),
  );
  const notes = [
    `sizes ${sizes.map(label).join(", ")} collections (BENCH_SCALING_SIZES), recover_snap up to ${label(recoverMax)} (BENCH_SCALING_RECOVER_MAX)` +
      (sizes.includes(20_000) ? "" : `; the issue's 20,000 is left out by default: at this run's pace (${(largestPace(runs).perItem * 1000).toFixed(1)} ms of wall time per collection at ${label(largestPace(runs).at)}) create_snap alone would take about ${Math.round(largestPace(runs).perItem * 20_000)} s there, nearly all of it the rig (the S3 server and the emulator spend several times the CLI's CPU per snapshot), which does not fit the whole bench in 10 minutes; BENCH_SCALING_SIZES=500,5000,20000 npm run bench -- --only scaling measures it`),
    ...(runs.some((r) => r.collections === OVERHEAD_COLLECTIONS.full && reused.has(r.collections)) ? [`the ${label(OVERHEAD_COLLECTIONS.full)} row is the overhead scenario's run, measured earlier in this process`] : []),
    ...(resume.requests.length > 0 ? [`resume: Qdrant requests seen: ${[...new Set(resume.requests)].slice(0, 5).join("; ")}`] : []),
  ];
  return { runs: 1, figures, notes };
}

export const overhead: Scenario = {
  name: "overhead",
  title: "tool overhead: CPU per item and peak RSS over thousands of tiny collections",
  about:
    `b) Zero injected latency: ${OVERHEAD_COLLECTIONS.full} tiny collections (2 points, dim 4) on ${SOURCE_NODES} standalone source nodes that keep ` +
    `their snapshots in the local S3 bucket; get_coll, then create_snap (with backup metadata) and recover_snap onto ${RESTORE_NODES} ` +
    "standalone restore nodes (by presigned URL, verified), all at the defaults. The figures are the CLI process's own " +
    "CPU time per item and peak RSS from /usr/bin/time; every run must report zero failures or the bench stops. " +
    `The CI profile runs ${OVERHEAD_COLLECTIONS.ci} collections and guards the RSS.`,
  inCi: true,
  run: runOverhead,
};

export const scaling: Scenario = {
  name: "scaling",
  title: "scaling: CPU and RSS against the number of collections; resuming against a 100,000-row history",
  about:
    `c) The overhead rig at several sizes (by default ${SCALING_DEFAULT_SIZES.map((n) => n.toLocaleString("en-US")).join(", ")} collections; BENCH_SCALING_SIZES): ` +
    "per-item CPU must not grow (the marginal CPU per item between the largest sizes against that between the smallest) " +
    "and RSS must grow at most linearly (the largest size against a straight line through two smaller ones). Then recover_snap " +
    `over a state of ${(RESUME_COLLECTIONS * RESUME_SNAPSHOTS_EACH).toLocaleString("en-US")} snapshot rows whose history marks each one ok on every restore host: ` +
    "everything is skipped, so the time is the state reading and the skip path alone.",
  inCi: false,
  run: runScaling,
};

/** create_snap's wall seconds per collection at the largest size this run measured. */
function largestPace(runs: readonly SizeRun[]): { perItem: number; at: number } {
  const largest = runs.reduce((a, b) => (b.collections > a.collections ? b : a));
  return { perItem: largest.create.seconds / largest.collections, at: largest.collections };
}
