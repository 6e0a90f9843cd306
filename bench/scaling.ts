/**
 * Scenario c) "scaling": the overhead rig (bench/overhead-rig.ts) at several sizes: per-item CPU must not grow and
 * RSS must grow at most linearly with the collections; then the resume figure (bench/resume.ts).
 */
import { assertTimeAvailable } from "./cli.js";
import { OVERHEAD_COLLECTIONS } from "./overhead.js";
import {
  CPU_TARGET_MS,
  label,
  measureSize,
  perItemMs,
  RESTORE_NODES,
  reused,
  RSS_TARGET_MIB,
  type ItemRun,
  type SizeRun,
} from "./overhead-rig.js";
import { judged, type Figure, type Scenario, type ScenarioContext, type ScenarioResult } from "./report.js";
import { measureResume, RESUME_COLLECTIONS, RESUME_SNAPSHOTS_EACH } from "./resume.js";

/**
 * c): the sizes of the scaling run (BENCH_SCALING_SIZES, comma-separated), recover_snap only up to
 * BENCH_SCALING_RECOVER_MAX. The 20,000 is not in the default: on 2 cores create_snap alone takes about
 * 150 s there, the rig's own CPU (S3 server and emulator, ~8 ms per snapshot) against the CLI's ~1.5 ms, which
 * does not fit `npm run bench` in 10 minutes next to scenario a).
 */
const SCALING_DEFAULT_SIZES = [500, 1_000, 5_000];
const SCALING_DEFAULT_RECOVER_MAX = 5_000;
/** c): per-item cost may not grow by more than this between sizes ("at most linear", with room for noise). */
const GROWTH_TARGET = 1.25;

/** Marginal CPU per item between two sizes: the start-up cost, paid once per run, cancels out. */
const marginalMs = (a: ItemRun, b: ItemRun): number => ((b.cpuSeconds - a.cpuSeconds) * 1000) / (b.items - a.items);

/**
 * Growth between the sizes of one task (ascending): with three or more, the marginal CPU per item of the last step
 * against the first, and the peak RSS at the largest size against a line through the smallest and the one before the
 * largest; with two, plain ratios. `labelOf(i)` names size i.
 */
function growthFigures(task: string, all: ItemRun[], labelOf: (i: number) => string): Figure[] {
  const figures: Figure[] = [];
  if (all.length === 2) {
    const [a, b] = all as [ItemRun, ItemRun];
    figures.push(
      judged({
        name: `${task}: CPU per item @${labelOf(1)} / @${labelOf(0)}`,
        value: perItemMs(b) / perItemMs(a),
        unit: "×",
        target: { op: "<=", value: GROWTH_TARGET },
        meaning:
          "per-item CPU at the larger size over the smaller one (start-up included, which favours the larger size); 1.0 = linear",
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
    throw new Error(
      `BENCH_SCALING_SIZES: expected at least two distinct positive whole numbers, comma-separated; got "${raw}"`,
    );
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
      judged({
        name: `create_snap @${label(r.collections)}: CPU per snapshot`,
        value: perItemMs(r.create),
        unit: "ms",
        target: { op: "<", value: CPU_TARGET_MS },
        meaning: `CPU time of the CLI over the ${label(r.create.items)} snapshots, start-up included`,
      }),
      judged({
        name: `create_snap @${label(r.collections)}: peak RSS`,
        value: r.create.peakRssMiB,
        unit: "MiB",
        target: { op: "<", value: RSS_TARGET_MIB },
        meaning: "the CLI's peak resident memory",
      }),
    );
    if (r.recover) {
      figures.push(
        judged({
          name: `recover_snap @${label(r.collections)}: CPU per recovery`,
          value: perItemMs(r.recover),
          unit: "ms",
          target: { op: "<", value: CPU_TARGET_MS },
          meaning: `CPU time of the CLI over the ${label(r.recover.items)} recoveries, start-up included`,
        }),
        judged({
          name: `recover_snap @${label(r.collections)}: peak RSS`,
          value: r.recover.peakRssMiB,
          unit: "MiB",
          target: { op: "<", value: RSS_TARGET_MIB },
          meaning: "the CLI's peak resident memory",
        }),
      );
    }
  }
  const sizeLabel =
    (runsOf: SizeRun[]) =>
    (i: number): string =>
      label(runsOf[i]?.collections ?? 0);
  figures.push(
    ...growthFigures(
      "create_snap",
      runs.map((r) => r.create),
      sizeLabel(runs),
    ),
  );
  const withRecover = runs.filter((r) => r.recover !== undefined);
  figures.push(
    ...growthFigures(
      "recover_snap",
      withRecover.map((r) => r.recover!),
      sizeLabel(withRecover),
    ),
  );

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
      (sizes.includes(20_000)
        ? ""
        : `; the issue's 20,000 is left out by default: at this run's pace (${(largestPace(runs).perItem * 1000).toFixed(1)} ms of wall time per collection at ${label(largestPace(runs).at)}) create_snap alone would take about ${Math.round(largestPace(runs).perItem * 20_000)} s there, nearly all of it the rig (the S3 server and the emulator spend several times the CLI's CPU per snapshot), which does not fit the whole bench in 10 minutes; BENCH_SCALING_SIZES=500,5000,20000 npm run bench -- --only scaling measures it`),
    ...(runs.some((r) => r.collections === OVERHEAD_COLLECTIONS.full && reused.has(r.collections))
      ? [`the ${label(OVERHEAD_COLLECTIONS.full)} row is the overhead scenario's run, measured earlier in this process`]
      : []),
    ...(resume.requests.length > 0
      ? [`resume: Qdrant requests seen: ${[...new Set(resume.requests)].slice(0, 5).join("; ")}`]
      : []),
  ];
  return { runs: 1, figures, notes };
}

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
