import { GetObjectCommand, PutObjectCommand, S3Client, type S3ClientConfig } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { collectionSnapshotKey } from "../../src/core/keys.js";
import { createGetPresigner } from "../../src/s3/presign.js";
import { createSnapshotStore } from "../../src/store/s3.js";
import { createTestBucket, createTestS3Client } from "../support/s3/client.js";

// The URLs for every setup the tool supports, offline; then fetched from the local S3 server over HTTP.
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
  it.each(configs)(
    "gives getSignedUrl's URLs for the bucket, key, lifetime and date: %s",
    async (_name, bucket, config) => {
      const client = new S3Client(config);
      try {
        const presign = createGetPresigner(client, bucket);
        for (const key of keys) {
          for (const expiresIn of [60, 3600, 604_800]) {
            expect(await presign(key, expiresIn, date)).toBe(await sdkUrl(client, bucket, key, expiresIn));
          }
        }
      } finally {
        client.destroy();
      }
    },
  );
});

describe("the S3 store's presigned GETs, fetched as a restore host fetches them", () => {
  const info = inject("s3");
  let bucket = "";
  let client: S3Client;
  beforeAll(async () => {
    bucket = await createTestBucket(info, "s3-presign");
    client = createTestS3Client(info);
  });
  afterAll(() => client?.destroy());

  it("every key, hostile ones included, gives back its own bytes; a tampered URL is refused", async () => {
    const store = createSnapshotStore(client, bucket, new AbortController().signal);
    // Not the keys with `.`, `..` or empty segments: URL clients (fetch, Qdrant's) resolve those before sending.
    const fetchable = keys.filter((k) => !k.split("/").some((segment) => ["", ".", ".."].includes(segment)));
    expect(fetchable.length).toBeGreaterThan(6);
    for (const [i, key] of fetchable.entries()) {
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: `body ${i}` }));
      const url = await store.presignGet!(key, 300);
      const answer = await fetch(url, { signal: AbortSignal.timeout(10_000) });
      expect([key, answer.status, await answer.text()]).toEqual([key, 200, `body ${i}`]);
    }
    const url = await store.presignGet!(keys[0]!, 300);
    const tampered = await fetch(url.replace("X-Amz-Expires=300", "X-Amz-Expires=301"));
    expect(tampered.status).toBe(403);
  });

  it("signs at the server's time once the SDK has learnt the clock's skew", async () => {
    const skewed = createTestS3Client(info, { systemClockOffset: -3_600_000 });
    try {
      const store = createSnapshotStore(skewed, bucket, new AbortController().signal);
      const url = new URL(await store.presignGet!(keys[0]!, 300));
      const stamp = url.searchParams.get("X-Amz-Date") ?? "";
      const signedAt = Date.parse(
        stamp.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, "$1-$2-$3T$4:$5:$6Z"),
      );
      expect(Math.abs(Date.now() - 3_600_000 - signedAt)).toBeLessThan(60_000);
    } finally {
      skewed.destroy();
    }
  });
});
