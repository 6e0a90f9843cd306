/**
 * `npm run emulator -- --nodes N [--cluster --shards S --rf R [--peer-id-base B]] [--port P] [--api-key K]
 *   [--read-only-api-key K] [--s3-endpoint URL --s3-bucket B --s3-access-key A --s3-secret-key S
 *   [--s3-region R] [--snapshots-path P]]`
 * Starts the emulator, prints one JSON line `{"nodes":[urls…]}` on stdout and runs until
 * SIGINT/SIGTERM. With --cluster, --nodes is the number of peers; --peer-id-base B (a u64, e.g. 1152921504606846976
 * = 2^60) gives them the ids B+1 … B+N, above 2^53 like clusters made before Qdrant 1.2.
 */
import { CreateBucketCommand, HeadBucketCommand } from "@aws-sdk/client-s3";
import { parseArgs } from "node:util";
import { startEmulator, type EmulatorOptions } from "./index.js";
import { createS3Client, type S3StorageOptions } from "./storage-s3.js";

const { values } = parseArgs({
  options: {
    nodes: { type: "string", default: "1" },
    cluster: { type: "boolean", default: false },
    shards: { type: "string" },
    rf: { type: "string" },
    "peer-id-base": { type: "string" },
    port: { type: "string" },
    "api-key": { type: "string" },
    "read-only-api-key": { type: "string" },
    "s3-endpoint": { type: "string" },
    "s3-bucket": { type: "string" },
    "s3-access-key": { type: "string" },
    "s3-secret-key": { type: "string" },
    "s3-region": { type: "string" },
    "snapshots-path": { type: "string" },
  },
  strict: true,
});

function int(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a non-negative integer, got ${v}`);
  return n;
}

async function s3Storage(): Promise<S3StorageOptions | undefined> {
  const endpoint = values["s3-endpoint"];
  if (endpoint === undefined) return undefined;
  const bucket = values["s3-bucket"];
  const accessKey = values["s3-access-key"];
  const secretKey = values["s3-secret-key"];
  if (!bucket || accessKey === undefined || secretKey === undefined) {
    throw new Error("--s3-endpoint needs --s3-bucket, --s3-access-key and --s3-secret-key");
  }
  const o: S3StorageOptions = {
    endpoint,
    bucket,
    accessKey,
    secretKey,
    region: values["s3-region"],
    snapshotsPath: values["snapshots-path"],
  };
  const client = createS3Client(o);
  try {
    await client.send(new HeadBucketCommand({ Bucket: bucket }));
  } catch {
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
  } finally {
    client.destroy();
  }
  return o;
}

async function main(): Promise<void> {
  const count = int("nodes", values.nodes) ?? 1;
  const s3 = await s3Storage();
  const opts: EmulatorOptions = {
    port: int("port", values.port),
    apiKey: values["api-key"],
    readOnlyApiKey: values["read-only-api-key"],
    storage: s3 ? { kind: "s3", ...s3 } : { kind: "local" },
  };
  const base = values["peer-id-base"];
  if (base !== undefined && (!values.cluster || !/^\d{1,20}$/.test(base) || BigInt(base) >= 2n ** 64n))
    throw new Error(`--peer-id-base needs --cluster and a u64 in decimal digits, got ${base}`);
  if (values.cluster)
    opts.cluster = {
      peers: count,
      shards: int("shards", values.shards),
      replicationFactor: int("rf", values.rf),
      ...(base === undefined ? {} : { peerIdBase: BigInt(base) }),
    };
  else opts.nodes = count;
  const emulator = await startEmulator(opts);
  process.stdout.write(`${JSON.stringify({ nodes: emulator.urls })}\n`);
  const shutdown = (): void => {
    emulator.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once("SIGINT", shutdown);
  process.once("SIGTERM", shutdown);
}

main().catch((e: unknown) => {
  process.stderr.write(`emulator: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(2);
});
