import { GetObjectCommand, S3Client, type S3ClientConfig } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { describe, expect, it } from "vitest";
import { collectionSnapshotKey } from "../../src/core/keys.js";
import { createGetPresigner, learnGetPresigner } from "../../src/s3/presign.js";

// Presigning is offline (no request is sent): these compare URLs only.
const date = new Date(Date.UTC(2026, 0, 29, 11, 44, 3));
const credentials = { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY" };

const keys = [
  collectionSnapshotKey("my_coll", "my_coll-1-2026-01-29-11-44-03.snapshot"),
  collectionSnapshotKey("é ü 中文 😀", "é ü 中文 😀-2-2026-01-29-11-44-03.snapshot"),
  collectionSnapshotKey('a"b,c d+e=f&g?h#i', "x.snapshot"),
  collectionSnapshotKey("%41 %2F", "!'()*~._-.snapshot"),
  collectionSnapshotKey("..", "."),
  "snapshots/raw key/with spaces and + plus",
  "a//b/./../c",
  "backup_metadata/c/  lead and trail  .json",
  "tilde~/star*/quote'/paren()",
  "x".repeat(200),
];

const configs: [string, string, S3ClientConfig][] = [
  [
    "a custom endpoint, path-style",
    "bench-bucket",
    { region: "us-east-1", endpoint: "http://127.0.0.1:9000", forcePathStyle: true, credentials },
  ],
  [
    "https with a port",
    "b",
    { region: "eu-central-1", endpoint: "https://minio.internal:9443", forcePathStyle: true, credentials },
  ],
  ["AWS, virtual-hosted", "my-bucket", { region: "eu-west-1", credentials }],
  ["AWS, a bucket with dots", "my.bucket.name", { region: "us-east-2", credentials }],
  [
    "AWS, session credentials",
    "my-bucket",
    { region: "ap-southeast-2", credentials: { ...credentials, sessionToken: "FwoGZXIvYXdzEJr//////////wEaDOzT+/=" } },
  ],
  [
    "response checksums when supported",
    "my-bucket",
    {
      region: "us-east-1",
      endpoint: "http://127.0.0.1:9000",
      forcePathStyle: true,
      credentials,
      responseChecksumValidation: "WHEN_SUPPORTED",
    },
  ],
];

const sdkUrl = (client: S3Client, bucket: string, key: string, expiresIn = 3600) =>
  getSignedUrl(client, new GetObjectCommand({ Bucket: bucket, Key: key }), { expiresIn, signingDate: date });

describe("createGetPresigner", () => {
  it.each(configs)("gives getSignedUrl's exact URLs: %s", async (_name, bucket, config) => {
    const client = new S3Client(config);
    try {
      const fast = await learnGetPresigner(client, keys[0]!, 3600, date, await sdkUrl(client, bucket, keys[0]!));
      // The fast path is learnt (not silently replaced by getSignedUrl) for every setup the tool supports.
      expect(fast).toBeDefined();
      for (const key of keys) {
        for (const expiresIn of [60, 3600, 604_800]) {
          expect(await fast!(key, expiresIn, date)).toBe(await sdkUrl(client, bucket, key, expiresIn));
        }
      }
      const presign = createGetPresigner(client, bucket);
      for (const key of keys) expect(await presign(key, 900, date)).toBe(await sdkUrl(client, bucket, key, 900));
    } finally {
      client.destroy();
    }
  });

  it("keeps using getSignedUrl when the first URL cannot be rebuilt", async () => {
    const client = new S3Client(configs[0]![2]);
    try {
      const url = await sdkUrl(client, "bench-bucket", keys[0]!);
      expect(
        await learnGetPresigner(client, keys[0]!, 3600, date, url.replace("X-Amz-Signature=", "X-Amz-Signature=0")),
      ).toBeUndefined();
      expect(await learnGetPresigner(client, keys[1]!, 3600, date, url)).toBeUndefined();
    } finally {
      client.destroy();
    }
  });
});
