/**
 * Scenario e) "transfer": a large snapshot streamed through the tool into the local S3 (transfer mode of
 * create_snap) and back into a node by upload (recover_snap with QDRANT_RECOVER_VIA=upload), against a raw S3
 * upload and download of the same bytes measured in the same run, with the CLI's peak RSS.
 *
 * Size: BENCH_TRANSFER_MIB (default 2048). The emulator builds its archives in memory, so the bench process needs
 * a few times that in RAM; the CLI itself must stay flat.
 */
import { GetObjectCommand } from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { spawn } from "node:child_process";
import { createReadStream, existsSync } from "node:fs";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { startEmulator } from "../test/support/emulator/index.js";
import { seedCollection } from "../test/support/emulator/seed.js";
import { createTestBucket, createTestS3Client, s3Env } from "../test/support/s3/client.js";
import { startS3Server } from "../test/support/s3/launcher.js";
import { judged, type Figure, type Scenario, type ScenarioContext, type ScenarioResult } from "./report.js";

const MIB = 1024 * 1024;
const TIME = "/usr/bin/time";

interface CliRun {
  seconds: number;
  peakRssMiB: number;
  stdout: string;
}

/** Runs the CLI under /usr/bin/time for its wall time and peak RSS; fails on a non-zero exit. */
function runCli(ctx: ScenarioContext, args: string[], env: Record<string, string>, cwd: string): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(TIME, ["-f", "__peak_rss_kib__ %M", process.execPath, "--", ctx.cli, ...args], {
      cwd,
      env: { PATH: process.env["PATH"] ?? "", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const rss = /__peak_rss_kib__ (\d+)/.exec(stderr);
      if (code !== 0 || !rss) {
        reject(new Error(`${args.join(" ")} exited ${code}: ${stderr.split("\n").slice(-8).join("\n")}`));
        return;
      }
      resolve({ seconds, peakRssMiB: Number(rss[1]) / 1024, stdout });
    });
  });
}

async function timed<T>(fn: () => Promise<T>): Promise<{ seconds: number; value: T }> {
  const started = process.hrtime.bigint();
  const value = await fn();
  return { seconds: Number(process.hrtime.bigint() - started) / 1e9, value };
}

async function run(ctx: ScenarioContext): Promise<ScenarioResult> {
  if (!existsSync(TIME)) throw new Error(`${TIME} is missing (Debian package "time"); it measures the CLI's peak RSS`);
  const sizeMiB = Number(process.env["BENCH_TRANSFER_MIB"] ?? 2048);
  if (!Number.isInteger(sizeMiB) || sizeMiB < 1) throw new Error(`BENCH_TRANSFER_MIB: expected a whole number of MiB, got ${sizeMiB}`);
  const apiKey = "bench-transfer-key";
  const s3 = await startS3Server();
  const work = await mkdtemp(path.join(os.tmpdir(), "bench-transfer-"));
  const client = createTestS3Client(s3);
  const source = await startEmulator({ nodes: 1, apiKey, segmentPaddingBytes: sizeMiB * MIB });
  const target = await startEmulator({ nodes: 1, apiKey });
  try {
    const bucket = await createTestBucket(s3, "bench-transfer");
    const src = source.urls[0] ?? "";
    await seedCollection(src, "big", { points: 100, dim: 8, apiKey });
    const env = {
      QDRANT_API_KEY: apiKey,
      QDRANT_SOURCE_HOSTS: src,
      QDRANT_RESTORE_HOSTS: target.urls[0] ?? "",
      ...s3Env(s3, bucket),
      AWS_REQUEST_CHECKSUM_CALCULATION: "WHEN_REQUIRED",
      AWS_RESPONSE_CHECKSUM_VALIDATION: "WHEN_REQUIRED",
      CURL_TIMEOUT: "1h",
    };

    // The node's own time to build the archive, so it can be taken out of the transfer's wall time.
    ctx.progress(`  building a ${sizeMiB} MiB snapshot on the emulator (reference for its own time)`);
    const build = await timed(() => fetch(`${src}/collections/big/snapshots?wait=true`, { method: "POST", headers: { "api-key": apiKey } }));
    if (!build.value.ok) throw new Error(`emulator snapshot create answered ${build.value.status}`);
    await build.value.arrayBuffer();

    ctx.progress("  create_snap with QDRANT_SNAPSHOT_TRANSFER=true");
    const up = await runCli(ctx, ["create_snap"], { ...env, QDRANT_SNAPSHOT_TRANSFER: "true" }, work);
    const name = /Snapshots created: 1/.test(up.stdout) ? await onlySnapshotName(work) : undefined;
    if (!name) throw new Error(`create_snap did not create exactly one snapshot: ${up.stdout}`);
    const key = `snapshots/big/${name}`;
    const file = path.join(source.nodes[0]?.snapshotsDir ?? "", "big", name);
    const bytes = (await stat(file)).size;

    ctx.progress("  raw S3 upload and download of the same bytes");
    const rawUp = await timed(() =>
      new Upload({ client, params: { Bucket: bucket, Key: "raw/upload.bin", Body: createReadStream(file) }, partSize: 16 * MIB, queueSize: 4 }).done(),
    );
    const rawDown = await timed(async () => {
      const reply = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      await pipeline(reply.Body as Readable, new Writable({ write: (_chunk, _enc, done) => done() }));
    });

    ctx.progress("  recover_snap with QDRANT_RECOVER_VIA=upload");
    const down = await runCli(ctx, ["recover_snap"], { ...env, QDRANT_RECOVER_VIA: "upload", QDRANT_VERIFY_AFTER_RECOVER: "false" }, work);

    const transferSeconds = Math.max(up.seconds - build.seconds, 1e-3);
    const mibps = (seconds: number) => bytes / MIB / seconds;
    const figures: Figure[] = [
      judged({ name: "snapshot size", value: bytes / MIB, unit: "MiB" }),
      judged({ name: "into S3 through the tool", value: mibps(transferSeconds), unit: "MiB/s", reference: mibps(rawUp.seconds) }),
      judged({ name: "into S3: tool / raw upload", value: rawUp.seconds / transferSeconds, unit: "×", target: { op: ">=", value: 0.5 } }),
      judged({ name: "back by upload through the tool", value: mibps(down.seconds), unit: "MiB/s", reference: mibps(rawDown.seconds) }),
      judged({ name: "back by upload: tool / raw download", value: rawDown.seconds / down.seconds, unit: "×" }),
      judged({ name: "peak RSS, create_snap (transfer)", value: up.peakRssMiB, unit: "MiB", target: { op: "<", value: 150 } }),
      judged({ name: "peak RSS, recover_snap (upload)", value: down.peakRssMiB, unit: "MiB", target: { op: "<", value: 150 } }),
    ];
    return {
      runs: 1,
      figures,
      notes: [
        `into S3: create_snap's wall time (${up.seconds.toFixed(1)} s) minus the emulator's own archive build (${build.seconds.toFixed(1)} s)`,
        "back by upload: includes the emulator receiving the whole upload and unpacking it (Qdrant does the same), so the ratio to a raw download understates the tool",
      ],
    };
  } finally {
    client.destroy();
    await Promise.allSettled([source.stop(), target.stop()]);
    await s3.stop();
    await rm(work, { recursive: true, force: true });
  }
}

/** The one snapshot name create_snap recorded in the state directory. */
async function onlySnapshotName(dir: string): Promise<string | undefined> {
  const rows = (await readFile(path.join(dir, "snapshots"), "utf8")).trim().split("\n");
  return rows.length === 1 ? rows[0]?.split(",")[2] : undefined;
}

export const transfer: Scenario = { name: "transfer", title: "a large snapshot into S3 and back through the tool, vs raw S3", run };
