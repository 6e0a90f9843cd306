/**
 * The rig of scenarios b) "overhead" and c) "scaling" (bench/overhead.ts, bench/scaling.ts): the legacy setup, two
 * standalone emulator nodes keeping their snapshots in the local S3 bucket (Qdrant's S3 snapshot storage) and two
 * standalone restore nodes; the CLI has the QDRANT_S3_* variables, so create_snap writes backup metadata next to each
 * snapshot and recover_snap has the restore nodes download each snapshot from a presigned URL, then checks it (the
 * defaults). measureSize() runs one size on a fresh rig and remembers it, so c) reuses what b) measured.
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { startEmulator, type Emulator } from "../test/support/emulator/index.js";
import { seedCollection } from "../test/support/emulator/seed.js";
import { createTestBucket, s3Env, s3Storage } from "../test/support/s3/client.js";
import { startS3Server, type S3Server } from "../test/support/s3/launcher.js";
import { expectCounts, runCli, summaryCounts, type CliRun } from "./cli.js";
import type { ScenarioContext } from "./report.js";

const API_KEY = "bench-overhead-key";
export const SOURCE_NODES = 2;
export const RESTORE_NODES = 2;
const SEED_PARALLEL = 16;

export const CPU_TARGET_MS = 1;
export const RSS_TARGET_MIB = 200;

/** A CLI run over `items` items. */
export type ItemRun = CliRun & { items: number };

/** What one size measured; create_snap always, recover_snap when it was asked for. */
export interface SizeRun {
  collections: number;
  /** Seeding time (emulator over HTTP), for the progress lines only. */
  seedSeconds: number;
  create: ItemRun;
  recover: ItemRun | undefined;
}

/** Sizes measured in this process, so c) reuses b)'s 5,000 when both run (b runs first). */
const measured = new Map<number, SizeRun>();
/** Sizes that were taken from `measured` rather than run again. */
export const reused = new Set<number>();

export const fmtS = (s: number): string => `${s.toFixed(1)} s`;

export interface Rig {
  s3: S3Server;
  source: Emulator;
  restore: Emulator;
  work: string;
  env: Record<string, string>;
  stop(): Promise<void>;
}

export async function startRig(label: string): Promise<Rig> {
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
export async function seed(rig: Rig, n: number): Promise<void> {
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
export async function measureSize(ctx: ScenarioContext, n: number, withRecover: boolean): Promise<SizeRun> {
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
    expectCounts(
      "get_coll",
      summaryCounts("get_coll", list.stdout, /Collections fetched: (\d+)/),
      [n],
      list.stdout.trim(),
    );

    const create = await runCli(ctx, ["create_snap"], rig.env, rig.work);
    const [created = 0, ...restCreate] = summaryCounts(
      "create_snap",
      create.stdout,
      /Snapshots created: (\d+), accepted: (\d+), failed: (\d+)/,
    );
    expectCounts("create_snap", [created, ...restCreate], [n, 0, 0], create.stdout.trim().split("\n").at(-1) ?? "");
    ctx.progress(
      `  create_snap: ${fmtS(create.seconds)}, CPU ${fmtS(create.cpuSeconds)}, peak RSS ${create.peakRssMiB.toFixed(0)} MiB`,
    );

    let recover: SizeRun["recover"];
    if (withRecover) {
      const run = await runCli(ctx, ["recover_snap"], rig.env, rig.work);
      const items = n * RESTORE_NODES;
      const counts = summaryCounts(
        "recover_snap",
        run.stdout,
        /Snapshots recovered: (\d+), accepted: (\d+), already recovered: (\d+), failed: (\d+)/,
      );
      expectCounts("recover_snap", counts, [items, 0, 0, 0], run.stdout.trim().split("\n").at(-1) ?? "");
      recover = { ...run, items };
      ctx.progress(
        `  recover_snap: ${fmtS(run.seconds)}, CPU ${fmtS(run.cpuSeconds)}, peak RSS ${run.peakRssMiB.toFixed(0)} MiB`,
      );
    }
    const result: SizeRun = { collections: n, seedSeconds, create: { ...create, items: created }, recover };
    measured.set(n, result);
    return result;
  } finally {
    await rig.stop();
  }
}

/** A collection count as the tables write it: 5,000. */
export const label = (n: number): string => n.toLocaleString("en-US");

export const perItemMs = (r: ItemRun): number => (r.cpuSeconds * 1000) / r.items;
