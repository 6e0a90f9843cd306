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
import { createReadStream } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { startEmulator } from "../test/support/emulator/index.js";
import { seedCollection } from "../test/support/emulator/seed.js";
import { createTestBucket, createTestS3Client, s3Env } from "../test/support/s3/client.js";
import { startS3Server } from "../test/support/s3/launcher.js";
import { assertTimeAvailable, runCli, timed } from "./cli.js";
import { judged, type Figure, type Scenario, type ScenarioContext, type ScenarioResult } from "./report.js";

const MIB = 1024 * 1024;

async function run(ctx: ScenarioContext): Promise<ScenarioResult> {
  assertTimeAvailable();
  const sizeMiB = Number(process.env["BENCH_TRANSFER_MIB"] ?? 2048);
  if (!Number.isInteger(sizeMiB) || sizeMiB < 1)
    throw new Error(`BENCH_TRANSFER_MIB: expected a whole number of MiB, got ${sizeMiB}`);
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
    const build = await timed(() =>
      fetch(`${src}/collections/big/snapshots?wait=true`, { method: "POST", headers: { "api-key": apiKey } }),
    );
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
      new Upload({
        client,
        params: { Bucket: bucket, Key: "raw/upload.bin", Body: createReadStream(file) },
        partSize: 16 * MIB,
        queueSize: 4,
      }).done(),
    );
    const rawDown = await timed(async () => {
      const reply = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      await pipeline(reply.Body as Readable, new Writable({ write: (_chunk, _enc, done) => done() }));
    });

    ctx.progress("  recover_snap with QDRANT_RECOVER_VIA=upload");
    const down = await runCli(
      ctx,
      ["recover_snap"],
      { ...env, QDRANT_RECOVER_VIA: "upload", QDRANT_VERIFY_AFTER_RECOVER: "false" },
      work,
    );

    // The same create_snap for a tiny snapshot (the restore node has no padding): the CLI's memory with nothing to stream.
    ctx.progress("  create_snap of a tiny snapshot (memory reference)");
    const tinyHost = target.urls[0] ?? "";
    await seedCollection(tinyHost, "tiny", { points: 2, dim: 4, apiKey });
    const tinyWork = path.join(work, "tiny");
    await mkdir(tinyWork);
    const tiny = await runCli(
      ctx,
      ["create_snap"],
      { ...env, QDRANT_SOURCE_HOSTS: tinyHost, QDRANT_SNAPSHOT_TRANSFER: "true" },
      tinyWork,
    );

    const transferSeconds = Math.max(up.seconds - build.seconds, 1e-3);
    const mibps = (seconds: number) => bytes / MIB / seconds;
    const figures: Figure[] = [
      judged({
        name: "snapshot size",
        value: bytes / MIB,
        unit: "MiB",
        meaning: "the archive the emulator built (BENCH_TRANSFER_MIB of padding plus the points)",
      }),
      judged({
        name: "into S3 through the tool",
        value: mibps(transferSeconds),
        unit: "MiB/s",
        reference: mibps(rawUp.seconds),
        meaning:
          "create_snap in transfer mode: node → tool (SHA-256 on the fly) → S3 multipart; the reference is a raw SDK multipart upload of the same file",
      }),
      judged({
        name: "into S3: tool / raw upload",
        value: rawUp.seconds / transferSeconds,
        unit: "×",
        target: { op: ">=", value: 0.5 },
        meaning: "throughput ratio; 1.0 means the tool moves bytes as fast as a bare upload",
      }),
      judged({
        name: "back by upload through the tool",
        value: mibps(down.seconds),
        unit: "MiB/s",
        reference: mibps(rawDown.seconds),
        meaning:
          "recover_snap with QDRANT_RECOVER_VIA=upload: S3 → tool → node's upload endpoint; the reference is a raw SDK download",
      }),
      judged({
        name: "back by upload: tool / raw download",
        value: rawDown.seconds / down.seconds,
        unit: "×",
        meaning: "throughput ratio; the node's own receive and unpack is inside the tool's time",
      }),
      judged({
        name: "peak RSS, create_snap (transfer)",
        value: up.peakRssMiB,
        unit: "MiB",
        reference: tiny.peakRssMiB,
        target: { op: "<", value: 150 },
        meaning:
          "the CLI process's peak resident memory while streaming the whole snapshot; the reference is the same command for a snapshot of a few KiB, so the difference is what streaming costs in memory",
      }),
      judged({
        name: "peak RSS, recover_snap (upload)",
        value: down.peakRssMiB,
        unit: "MiB",
        target: { op: "<", value: 150 },
        meaning: "the same for the restore by upload",
      }),
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

export const transfer: Scenario = {
  name: "transfer",
  title: "a large snapshot into S3 and back through the tool, vs raw S3",
  about:
    "e) Streaming transfer: one snapshot of BENCH_TRANSFER_MIB MiB (default 2048) is streamed by create_snap " +
    "(QDRANT_SNAPSHOT_TRANSFER=true) from the node into the local S3 and back into a fresh node by recover_snap " +
    "(QDRANT_RECOVER_VIA=upload). The references are a raw SDK upload and download of the same bytes in the same run. " +
    "Memory must stay flat whatever the size: the bytes are streamed, never held.",
  inCi: false,
  run,
};
