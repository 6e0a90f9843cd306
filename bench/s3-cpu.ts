/**
 * `npx tsx bench/s3-cpu.ts [--calls N] [--rounds N]`: the CPU time the tool's S3 store spends per call, against the
 * local S3 server (test/support/s3/), measured with process.cpuUsage (user + system of this process only; the server
 * runs in its own process). CPU time, not wall time, so that a busy machine does not skew it much. Not a bench
 * scenario: a check of what the store's S3 calls cost, for BENCHMARKS.md's "S3 calls" table.
 *
 * Each operation: a warm-up of 200 calls, then `rounds` rounds of `calls` calls one after the other; the median round.
 */
import { Readable } from "node:stream";
import { parseArgs } from "node:util";
import type { Config } from "../src/config.js";
import { createS3Client } from "../src/s3/client.js";
import { createSnapshotStore } from "../src/store/s3.js";
import { createTestBucket } from "../test/support/s3/client.js";
import { startS3Server } from "../test/support/s3/launcher.js";

const WARM_UP = 200;

/** Microseconds of CPU (user + system) per call of `call(i)` over `calls` calls, one after the other. */
async function cpuPerCall(calls: number, call: (i: number) => Promise<unknown>): Promise<number> {
  const before = process.cpuUsage();
  for (let i = 0; i < calls; i++) await call(i);
  const used = process.cpuUsage(before);
  return (used.user + used.system) / calls;
}

async function median(rounds: number, calls: number, call: (i: number) => Promise<unknown>): Promise<number> {
  await cpuPerCall(WARM_UP, call);
  const got: number[] = [];
  for (let r = 0; r < rounds; r++) got.push(await cpuPerCall(calls, (i) => call(r * calls + i)));
  got.sort((a, b) => a - b);
  return got[Math.floor(got.length / 2)]!;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { calls: { type: "string" }, rounds: { type: "string" } } });
  const calls = Number(values.calls ?? 2000);
  const rounds = Number(values.rounds ?? 3);
  const server = await startS3Server();
  try {
    const bucket = await createTestBucket(server, "s3-cpu");
    const config = {
      s3: {
        endpoint: server.endpoint,
        accessKeyId: server.accessKey,
        secretAccessKey: server.secretKey,
        region: "us-east-1",
      },
      requestTimeoutMs: 30_000,
      retries: 3,
    } as unknown as Config;
    const client = createS3Client(config);
    const store = createSnapshotStore(client, bucket, new AbortController().signal);
    const meta = Buffer.from(JSON.stringify({ collection: "c", points: 2, vectors: { size: 4, distance: "Cosine" } }));
    const key = (i: number) => `snapshots/c${i}/c${i}-2026-12-07-19-00-00.snapshot`;
    const rows: [string, number][] = [];
    const measure = async (name: string, call: (i: number) => Promise<unknown>) => {
      const us = await median(rounds, calls, call);
      rows.push([name, us]);
      process.stderr.write(`${name}: ${us.toFixed(1)} µs CPU per call\n`);
    };
    await measure("presigned GET URL, a new key each", (i) => store.presignGet!(key(i), 3600));
    // recover_snap signs each snapshot once per restore host: two hosts, the same key twice in a row.
    await measure("presigned GET URL, each key twice", (i) => store.presignGet!(key(i >> 1), 3600));
    await measure(`put of ${meta.length} bytes`, (i) => store.put(`backup_metadata/c${i}.json`, Readable.from([meta])));
    await measure("head", (i) => store.head(`backup_metadata/c${i % 1000}.json`));
    await measure("get, body read", async (i) => {
      const got = await store.get(`backup_metadata/c${i % 1000}.json`);
      for await (const _ of got!.body);
    });
    process.stdout.write(`| S3 call | CPU per call |\n|---|---|\n`);
    for (const [name, us] of rows) process.stdout.write(`| ${name} | ${us.toFixed(0)} µs |\n`);
    client.destroy();
  } finally {
    await server.stop();
  }
}

await main();
