// What the tool asks of an S3 implementation, against the run's server: the fake in `npm test`, Ceph's RADOS Gateway
// in `npm run test:rgw`. ETags without quotes, conditional writes whatever If-Match form the store matches and
// whatever it answers for a missing key, and bodies streamed by the tool's own client with no checksum variables set.
import { createHash, randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { buildConfig } from "../../src/config.js";
import { createS3Client } from "../../src/s3/client.js";
import { createSnapshotStore } from "../../src/store/s3.js";
import { createObjectStore, unquoteEtag } from "../../src/s3/objects.js";
import { createTestBucket, createTestS3Client, s3Env } from "../support/s3/client.js";

const info = inject("s3");
let bucket = "";
let client: S3Client;
let keys = 0;
const freshKey = () => `compat/${++keys}.json`;
const bytes = (s: string) => Buffer.from(s, "utf8");

beforeAll(async () => {
  bucket = await createTestBucket(info, "s3-compat");
  client = createTestS3Client(info, { maxAttempts: 1 });
});

afterAll(() => client.destroy());

/** `fn` with the SDK's checksum variables unset, as in a user's shell (vitest.config.ts sets them for the fake). */
async function withoutChecksumEnv<T>(fn: () => Promise<T>): Promise<T> {
  const names = ["AWS_REQUEST_CHECKSUM_CALCULATION", "AWS_RESPONSE_CHECKSUM_VALIDATION"];
  const saved = names.map((n) => process.env[n]);
  for (const n of names) delete process.env[n];
  try {
    return await fn();
  } finally {
    names.forEach((n, i) => (saved[i] === undefined ? delete process.env[n] : (process.env[n] = saved[i])));
  }
}

describe("conditional writes and ETags (ObjectStore)", () => {
  it("ETags come back without quotes, and If-Match with the current one takes the write; a stale one conflicts", async () => {
    const store = createObjectStore(client, bucket);
    const key = freshKey();
    const first = await store.putIf(key, bytes('{"v":1}'), { ifNoneMatch: "*" });
    expect(first).not.toBe("conflict");
    expect(first).not.toMatch(/"/);
    const read = await store.getTagged(key);
    expect(read?.etag).toBe(first);
    const second = await store.putIf(key, bytes('{"v":2}'), { ifMatch: first });
    expect(second).not.toBe("conflict");
    expect(second).not.toBe(first);
    // The quoted form (as S3 writes ETags) is the same ETag: accepted too.
    const third = await store.putIf(key, bytes('{"v":3}'), { ifMatch: `"${second}"` });
    expect(third).not.toBe("conflict");
    expect(await store.putIf(key, bytes('{"v":4}'), { ifMatch: first })).toBe("conflict");
    expect(Buffer.from((await store.get(key)) ?? new Uint8Array()).toString()).toBe('{"v":3}');
  });

  it("If-None-Match: * creates once; If-Match on a missing key is a conflict (S3 answers 404, the gateway 412)", async () => {
    const store = createObjectStore(client, bucket);
    const key = freshKey();
    expect(await store.putIf(key, bytes("a"), { ifMatch: "0123456789abcdef0123456789abcdef" })).toBe("conflict");
    expect(await store.get(key)).toBeUndefined();
    expect(await store.putIf(key, bytes("b"), { ifNoneMatch: "*" })).not.toBe("conflict");
    expect(await store.putIf(key, bytes("c"), { ifNoneMatch: "*" })).toBe("conflict");
  });

  it("of several runs writing If-Match with one ETag at once, exactly one wins (repeated)", async () => {
    for (let round = 0; round < 5; round++) {
      const key = freshKey();
      const base = await createObjectStore(client, bucket).putIf(key, bytes("base"), { ifNoneMatch: "*" });
      expect(base).not.toBe("conflict");
      // A store per run, as each run has its own: none has learnt the server's If-Match form yet.
      const results = await Promise.all(
        [0, 1, 2].map((i) => createObjectStore(client, bucket).putIf(key, bytes(`run ${i}`), { ifMatch: base })),
      );
      const winners = results.filter((r) => r !== "conflict");
      expect(winners, JSON.stringify(results)).toHaveLength(1);
      const stored = await createObjectStore(client, bucket).getTagged(key);
      expect(stored?.etag).toBe(winners[0]);
    }
  });

  it("unquoteEtag strips the quotes and a weak prefix, and leaves a bare ETag alone", () => {
    expect(unquoteEtag('"abc-2"')).toBe("abc-2");
    expect(unquoteEtag('W/"abc"')).toBe("abc");
    expect(unquoteEtag("abc")).toBe("abc");
  });
});

describe("the tool's own S3 client, with no AWS_*_CHECKSUM_* variable set", () => {
  const config = () => buildConfig({ ...s3Env(info, bucket), QDRANT_RETRIES: "0" }, { cwd: process.cwd() });

  it("a streamed PutObject of known length is accepted (no aws-chunked checksum trailer)", async () => {
    await withoutChecksumEnv(async () => {
      const tool = createS3Client(config());
      try {
        const body = randomBytes(64 * 1024);
        await tool.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: "compat/streamed.bin",
            Body: Readable.from([body]),
            ContentLength: body.length,
          }),
        );
        const back = await createObjectStore(client, bucket).get("compat/streamed.bin");
        expect(Buffer.from(back ?? new Uint8Array()).equals(body)).toBe(true);
      } finally {
        tool.destroy();
      }
    });
  });

  it("the snapshot store streams a 20 MiB body up in parts and reads it back byte for byte; head() gives each object's S3 ETag", async () => {
    await withoutChecksumEnv(async () => {
      const tool = createS3Client(config());
      try {
        const store = createSnapshotStore(tool, bucket, new AbortController().signal);
        const chunk = randomBytes(1024 * 1024);
        const chunks = Array.from({ length: 20 }, (_, i) => Buffer.concat([chunk.subarray(i), chunk.subarray(0, i)]));
        const want = createHash("sha256");
        for (const c of chunks) want.update(c);
        expect(await store.put("compat/big.snapshot", Readable.from(chunks), { size: 20 * 1024 * 1024 })).toBe(
          20 * 1024 * 1024,
        );
        const got = await store.get("compat/big.snapshot");
        const hash = createHash("sha256");
        for await (const c of got!.body) hash.update(c as Buffer);
        expect(got?.size).toBe(20 * 1024 * 1024);
        expect(hash.digest("hex")).toBe(want.digest("hex"));
        // The ETag comes from a HEAD (the gateway answers CompleteMultipartUpload with none): the multipart form, MD5
        // of the three parts' MD5s and the part count, as S3 forms it.
        const partMd5s = [0, 1, 2].map((p) =>
          createHash("md5")
            .update(Buffer.concat(chunks).subarray(p * 8 * 1024 * 1024, (p + 1) * 8 * 1024 * 1024))
            .digest(),
        );
        const multipart = `${createHash("md5").update(Buffer.concat(partMd5s)).digest("hex")}-3`;
        expect((await store.head("compat/big.snapshot"))?.etag).toBe(multipart);
        // A body under the part size goes up in one PUT: its ETag is its MD5.
        const small = randomBytes(1000);
        await store.put("compat/small.snapshot", Readable.from([small]), { size: small.length });
        expect((await store.head("compat/small.snapshot"))?.etag).toBe(createHash("md5").update(small).digest("hex"));
      } finally {
        tool.destroy();
      }
    });
  });
});
