// AWS SDK helpers for tests that talk to the run's S3 server (the fake or Ceph's gateway).
import { randomBytes } from "node:crypto";
import { CreateBucketCommand, S3Client, type S3ClientConfig } from "@aws-sdk/client-s3";
import type { S3ServerInfo } from "./launcher.js";

/**
 * An S3 client for the local server: path-style addressing, its region and credentials.
 * overrides are applied last (e.g. `{ maxAttempts: 1 }` to see injected faults without SDK retries).
 */
export function createTestS3Client(info: S3ServerInfo, overrides: S3ClientConfig = {}): S3Client {
  return new S3Client({
    endpoint: info.endpoint,
    region: info.region,
    forcePathStyle: true,
    credentials: { accessKeyId: info.accessKey, secretAccessKey: info.secretKey },
    // Stream bodies without the SDK's checksum trailer: the fake answers it 400, Ceph's gateway 411.
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
    ...overrides,
  });
}

/** The CLI's S3 variables for the local server and `bucket`. */
export function s3Env(info: S3ServerInfo, bucket: string): Record<string, string> {
  return {
    QDRANT_S3_ENDPOINT_URL: info.endpoint,
    QDRANT_S3_ACCESS_KEY_ID: info.accessKey,
    QDRANT_S3_SECRET_ACCESS_KEY: info.secretKey,
    QDRANT_S3_BUCKET_NAME: bucket,
    QDRANT_S3_REGION: info.region,
  };
}

/** The emulator's S3 snapshot storage (Qdrant's `storage.snapshots_config`) in `bucket` on the local server. */
export function s3Storage(
  info: S3ServerInfo,
  bucket: string,
): { kind: "s3"; endpoint: string; bucket: string; accessKey: string; secretKey: string; region: string } {
  return {
    kind: "s3",
    endpoint: info.endpoint,
    bucket,
    accessKey: info.accessKey,
    secretKey: info.secretKey,
    region: info.region,
  };
}

/** Creates a bucket named `t-<label>-<random>` (a valid, lowercase S3 name, at most 63 chars) and returns its name. */
export async function createTestBucket(info: S3ServerInfo, label: string): Promise<string> {
  const cleanLabel = label
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 40)
    .replace(/-+$/, "");
  const name = `t-${cleanLabel || "bucket"}-${randomBytes(6).toString("hex")}`;
  const client = createTestS3Client(info);
  try {
    await client.send(new CreateBucketCommand({ Bucket: name }));
  } finally {
    client.destroy();
  }
  return name;
}
