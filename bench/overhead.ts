/**
 * Scenario b) "overhead": what the tool itself spends per item when Qdrant answers at once. Thousands of tiny
 * collections (two points, dim 4) on the rig of bench/overhead-rig.ts, split evenly over the two sources, make the
 * per-item cost visible: the CLI's CPU time (user + system, /usr/bin/time) divided by its items, and its peak RSS.
 *
 * The emulator, the S3 server and the CLI share the machine's cores, so wall times here are the rig's, not the tool's.
 */
import { assertTimeAvailable, expectCounts, runCli, summaryCounts } from "./cli.js";
import {
  CPU_TARGET_MS,
  fmtS,
  label,
  measureSize,
  perItemMs,
  RESTORE_NODES,
  RSS_TARGET_MIB,
  seed,
  SOURCE_NODES,
  startRig,
  type ItemRun,
} from "./overhead-rig.js";
import { judged, type Figure, type Scenario, type ScenarioContext, type ScenarioResult } from "./report.js";

/** Collections per run of b): the 5,000; the CI profile takes fewer to stay within its time (see notes). */
export const OVERHEAD_COLLECTIONS = { full: 5_000, ci: 1_000 } as const;
/** b)'s comparison without a destination runs at this size, next to a run with one (which c) reuses). */
const BARE_COLLECTIONS = 1_000;
/** The CI guard: the RSS target plus 50 % (memory, never time). */
const RSS_GUARD_MIB = RSS_TARGET_MIB * 1.5;

async function runOverhead(ctx: ScenarioContext): Promise<ScenarioResult> {
  assertTimeAvailable();
  const n = OVERHEAD_COLLECTIONS[ctx.profile];
  ctx.progress(`  ${n} collections, ${SOURCE_NODES} source and ${RESTORE_NODES} restore nodes, zero injected latency`);
  const r = await measureSize(ctx, n, true);
  const create = r.create;
  const recover = r.recover!;
  // The same backup without a destination, so without backup metadata: what the metadata's S3 write costs per item.
  // At a smaller size than the main run, against a run with metadata of the same size (c) reuses it).
  const bare =
    ctx.profile === "full"
      ? {
          without: await measureBareCreate(ctx, BARE_COLLECTIONS),
          with: (await measureSize(ctx, BARE_COLLECTIONS, true)).create,
        }
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
    judged({
      name: "create_snap: snapshots",
      value: create.items,
      unit: "items",
      meaning: "snapshots created (the summary line says none failed)",
    }),
    judged({
      name: "create_snap: wall time",
      value: create.seconds,
      unit: "s",
      meaning: "spawn to exit; dominated by the rig (emulator and S3 server on the same cores), shown for scale only",
    }),
    judged({
      name: "recover_snap: recoveries",
      value: recover.items,
      unit: "items",
      meaning: "recoveries done and checked (the summary line says none failed)",
    }),
    judged({
      name: "recover_snap: wall time",
      value: recover.seconds,
      unit: "s",
      meaning: "spawn to exit, rig included, for scale only",
    }),
  ];
  const notes = [
    `rig: ${SOURCE_NODES} standalone source nodes storing snapshots in the local S3 bucket, ${RESTORE_NODES} standalone restore nodes recovering by presigned URL, verification on (defaults); the emulator and the S3 server run on the same cores as the CLI and use several times its CPU, so its CPU time is measured under contention (runs on a busy 2-core machine vary by ±20 %)`,
  ];
  if (ctx.profile === "ci") {
    notes.push(
      `ci profile: ${n} collections instead of ${OVERHEAD_COLLECTIONS.full}, to finish in about 25 s on 2 cores; the CPU per item includes a larger share of the start-up, the RSS is lower than at ${OVERHEAD_COLLECTIONS.full} (V8 lets the heap grow with the run)`,
    );
  }
  return { runs: 1, figures, notes };
}

/** create_snap over `n` fresh collections without the S3 variables (no destination, no metadata), checked. */
async function measureBareCreate(ctx: ScenarioContext, n: number): Promise<ItemRun> {
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
