/**
 * Scenario "sets": create_snap_shards on a 3-peer cluster, COLLECTIONS collections of 3 shards at replication factor 2,
 * SNAPSHOT_MS on every shard snapshot create. One snapshot per logical shard, round-robin over the Active replicas,
 * so each peer takes a third of the shards. The reference is the busiest peer's own serial time, read off the
 * emulator's request log of the run (its shard snapshot creates, each from arrival to the end of the answer, one after
 * the other at QDRANT_PER_HOST_CONCURRENCY=1): no schedule beats it. Beside it, the same run at QDRANT_CONCURRENCY=1,
 * the bash tool's serial order.
 */
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import { startEmulator, type Emulator } from "../test/support/emulator/index.js";
import { seedCollection } from "../test/support/emulator/seed.js";
import { createTestBucket, createTestS3Client, s3Env, s3Storage } from "../test/support/s3/client.js";
import { startS3Server } from "../test/support/s3/launcher.js";
import { runCli, type CliRun } from "./cli.js";
import { judged, type Figure, type Scenario, type ScenarioContext, type ScenarioResult } from "./report.js";

const PEERS = 3;
const SHARDS = 3;
const RF = 2;
const SNAPSHOT_MS = 150;
const COLLECTIONS = { full: 20, ci: 8 } as const;
const API_KEY = "bench-sets-key";
/** A shard snapshot create: POST /collections/{c}/shards/{id}/snapshots. */
const SHARD_SNAPSHOT = /^\/collections\/[^/]+\/shards\/\d+\/snapshots$/;

interface Measured {
  run: CliRun;
  /** The busiest peer's shard snapshot creates, their measured times summed, in seconds. */
  busiestSeconds: number;
  /** Every peer's, summed: the serial order's floor. */
  allSeconds: number;
  /** Shard snapshot creates per peer, in node order. */
  perPeer: number[];
  calls: number;
  /** From the CLI's spawn to the first shard snapshot create's arrival, in seconds. */
  leadSeconds: number;
  /** From the last shard snapshot create's answer to the CLI's exit, in seconds. */
  tailSeconds: number;
  /** The busiest peer's idle time between its first and last shard snapshot creates, in seconds. */
  gapSeconds: number;
}

async function measure(ctx: ScenarioContext, emulator: Emulator, env: Record<string, string>, cwd: string) {
  emulator.resetRequests();
  const started = performance.now();
  const run = await runCli(ctx, ["create_snap_shards"], env, cwd);
  const ended = started + run.seconds * 1000;
  const log = emulator.requests();
  const creates = log.filter((e) => e.method === "POST" && SHARD_SNAPSHOT.test(e.path) && e.status === 200);
  const perPeerMs = new Array<number>(PEERS).fill(0);
  const perPeer = new Array<number>(PEERS).fill(0);
  for (const e of creates) {
    perPeerMs[e.node] = (perPeerMs[e.node] ?? 0) + e.ms;
    perPeer[e.node] = (perPeer[e.node] ?? 0) + 1;
  }
  const busiest = perPeerMs.indexOf(Math.max(...perPeerMs));
  const onBusiest = creates.filter((e) => e.node === busiest);
  const span = (es: typeof creates) =>
    es.length === 0 ? 0 : Math.max(...es.map((e) => e.arrivedAt + e.ms)) - Math.min(...es.map((e) => e.arrivedAt));
  return {
    run,
    leadSeconds: (Math.min(...creates.map((e) => e.arrivedAt)) - started) / 1000,
    tailSeconds: (ended - Math.max(...creates.map((e) => e.arrivedAt + e.ms))) / 1000,
    gapSeconds: (span(onBusiest) - (perPeerMs[busiest] ?? 0)) / 1000,
    busiestSeconds: Math.max(...perPeerMs) / 1000,
    allSeconds: perPeerMs.reduce((a, b) => a + b, 0) / 1000,
    perPeer,
    calls: log.length,
  } satisfies Measured;
}

async function run(ctx: ScenarioContext): Promise<ScenarioResult> {
  const collections = COLLECTIONS[ctx.profile];
  const s3 = await startS3Server();
  const work = await mkdtemp(path.join(os.tmpdir(), "bench-sets-"));
  let emulator: Emulator | undefined;
  const client = createTestS3Client(s3);
  try {
    const bucket = await createTestBucket(s3, "bench-sets");
    emulator = await startEmulator({
      cluster: { peers: PEERS, shards: SHARDS, replicationFactor: RF },
      apiKey: API_KEY,
      storage: s3Storage(s3, bucket),
    });
    const first = emulator.urls[0]!;
    ctx.progress(`  seeding ${collections} collections of ${SHARDS} shards at RF ${RF} on ${PEERS} peers`);
    for (let i = 0; i < collections; i++) {
      await seedCollection(first, `s${String(i).padStart(3, "0")}`, {
        points: 30,
        dim: 4,
        shards: SHARDS,
        rf: RF,
        apiKey: API_KEY,
      });
    }
    emulator.faults.add({ method: "POST", path: SHARD_SNAPSHOT, latencyMs: SNAPSHOT_MS });
    const env = {
      QDRANT_API_KEY: API_KEY,
      QDRANT_SOURCE_HOSTS: first,
      QDRANT_HTTP_PORT: String(emulator.nodes[0]!.port),
      QDRANT_BACKUP_RETENTION_SETS: "0",
      HOSTNAME: "bench",
      ...s3Env(s3, bucket),
    };
    const manifests = async (): Promise<number> => {
      const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: "backup_manifests/" }));
      return listed.KeyCount ?? 0;
    };
    const shards = collections * SHARDS;
    const expectSets = async (task: string, sets: number): Promise<void> => {
      const found = await manifests();
      if (found !== collections * sets)
        throw new Error(`${task}: ${found} manifests in the bucket, expected ${collections * sets}`);
    };

    ctx.progress(`  create_snap_shards at the defaults (${shards} shard snapshots)`);
    const dirs = { defaults: path.join(work, "defaults"), serial: path.join(work, "serial") };
    await mkdir(dirs.defaults);
    await mkdir(dirs.serial);
    const defaults = await measure(ctx, emulator, env, dirs.defaults);
    await expectSets("create_snap_shards", 1);
    // A second set id: set ids have a one-second resolution.
    await new Promise((r) => setTimeout(r, 1100));
    ctx.progress("  create_snap_shards at QDRANT_CONCURRENCY=1 (the bash tool's serial order)");
    const serial = await measure(ctx, emulator, { ...env, QDRANT_CONCURRENCY: "1" }, dirs.serial);
    await expectSets("create_snap_shards at concurrency 1", 2);

    const figures: Figure[] = [
      judged({
        name: "create_snap_shards, defaults: wall time",
        value: defaults.run.seconds,
        unit: "s",
        reference: defaults.busiestSeconds,
        meaning: `${shards} shard snapshots on ${PEERS} peers; the reference is the busiest peer's own serial time: its shard snapshot creates, each timed by the node from arrival to the end of its answer, summed`,
      }),
      judged({
        name: "create_snap_shards, defaults: wall / busiest peer's serial time",
        value: defaults.run.seconds / defaults.busiestSeconds,
        unit: "×",
        target: { op: "<=", value: 1.15 },
        guard: { op: "<=", value: 1.6 },
        meaning:
          "how close the tool keeps the busiest peer busy; no schedule goes under 1.0: above it are the CLI's start, the collection's facts, the checks of the objects and the manifests",
      }),
      judged({
        name: "create_snap_shards, concurrency 1: wall time",
        value: serial.run.seconds,
        unit: "s",
        reference: serial.allSeconds,
        meaning:
          "QDRANT_CONCURRENCY=1: one shard snapshot at a time, the bash tool's serial order; the reference is every peer's shard snapshot creates summed",
      }),
      judged({
        name: "create_snap_shards: speed-up over concurrency 1",
        value: serial.run.seconds / defaults.run.seconds,
        unit: "×",
        reference: serial.allSeconds / defaults.busiestSeconds,
        meaning: `wall time at QDRANT_CONCURRENCY=1 over wall time at the defaults; the reference is what ${PEERS} peers allow: all peers' serial time over the busiest peer's`,
      }),
    ];
    return {
      runs: 1,
      figures,
      notes: [
        `${collections} collections × ${SHARDS} shards at RF ${RF} on ${PEERS} peers, ${SNAPSHOT_MS} ms more on every shard snapshot create; Qdrant's S3 snapshot storage on the local S3 server`,
        `shard snapshots per peer at the defaults: ${defaults.perPeer.join(" / ")}; ${defaults.calls} calls in all`,
        `where the wall time beyond the busiest peer's goes, at the defaults: ${defaults.leadSeconds.toFixed(2)} s from the CLI's start to the first shard snapshot (start-up, /cluster, the collections' facts), ${defaults.gapSeconds.toFixed(2)} s idle on the busiest peer between its snapshots, ${defaults.tailSeconds.toFixed(2)} s after the last one (object checks, counts, manifests, exit)`,
        ...(ctx.profile === "ci" ? [`ci profile: ${collections} collections`] : []),
      ],
    };
  } finally {
    client.destroy();
    await emulator?.stop();
    await s3.stop();
    await rm(work, { recursive: true, force: true });
  }
}

export const sets: Scenario = {
  name: "sets",
  title: "backup sets: create_snap_shards on 3 peers against the busiest peer's serial time",
  about:
    "create_snap_shards takes one snapshot per logical shard on an Active replica, round-robin over the peers, then " +
    "checks each object in the bucket and writes the collection's manifest last. The emulator delays every shard " +
    "snapshot create; the reference is the busiest peer's creates one after the other, as the node timed them. The " +
    "concurrency-1 run is the bash tool's serial order.",
  inCi: false,
  run,
};
