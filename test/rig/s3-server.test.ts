// The local S3 server behaves like S3 where the tool depends on it (see test/support/s3/README.md).
import { createHash } from "node:crypto";
import * as s3 from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import pLimit from "p-limit";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createTestBucket, createTestS3Client } from "../support/s3/client.js";
import { clearS3Faults, setS3Faults } from "../support/s3/fault-admin.js";

const info = inject("s3");
const client = createTestS3Client(info);
let bucket = "";

beforeAll(async () => {
  bucket = await createTestBucket(info, "rig");
});
afterAll(() => client.destroy());

/** The S3 error a call failed with (fails the test when it succeeds). */
async function captureError(call: Promise<unknown>): Promise<s3.S3ServiceException> {
  const err: unknown = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof s3.S3ServiceException)) throw new Error(`expected an S3 error, got ${String(err)}`);
  return err;
}

const put = (Key: string, Body: string, extra: Partial<s3.PutObjectCommandInput> = {}) =>
  client.send(new s3.PutObjectCommand({ Bucket: bucket, Key, Body, ...extra }));
const md5 = (data: Buffer): Buffer => createHash("md5").update(data).digest();

describe("SigV4 on bucket-level path-style calls", () => {
  it("creates, heads, lists, batch-deletes and deletes a bucket", async () => {
    const name = await createTestBucket(info, "sigv4");
    await client.send(new s3.HeadBucketCommand({ Bucket: name }));
    await client.send(new s3.PutObjectCommand({ Bucket: name, Key: "a/1", Body: "x" }));
    await client.send(new s3.PutObjectCommand({ Bucket: name, Key: "a/2", Body: "y" }));
    const listed = await client.send(new s3.ListObjectsV2Command({ Bucket: name, Prefix: "a/" }));
    expect(listed.Contents?.map((o) => o.Key)).toEqual(["a/1", "a/2"]);
    const deleted = await client.send(
      new s3.DeleteObjectsCommand({ Bucket: name, Delete: { Objects: [{ Key: "a/1" }, { Key: "a/2" }] } }),
    );
    expect(deleted.Deleted).toHaveLength(2);
    expect((await client.send(new s3.ListObjectsV2Command({ Bucket: name }))).KeyCount).toBe(0);
    await client.send(new s3.DeleteBucketCommand({ Bucket: name }));
  });

  it("signs and lists keys with characters that need escaping (' ( ) ! * & < > \" space)", async () => {
    const keys = ["odd/&amp; literal", 'odd/it\'s (1) !*~ & <b> "q"/a b.snapshot', "odd/ü+=%20"];
    for (const key of keys) await put(key, key);
    const listed = await client.send(new s3.ListObjectsV2Command({ Bucket: bucket, Prefix: "odd/it's (1) !*~ & <b>" }));
    expect(listed.Contents?.map((o) => o.Key)).toEqual([keys[1]]);
    const all = await client.send(
      new s3.ListObjectsV2Command({ Bucket: bucket, Prefix: "odd/", StartAfter: "odd/!'" }),
    );
    expect(all.Contents?.map((o) => o.Key)).toEqual(keys);
    const deleted = await client.send(
      new s3.DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys.map((Key) => ({ Key })) } }),
    );
    expect(deleted.Deleted?.map((o) => o.Key).sort()).toEqual(keys);
  });
});

describe("ListObjectsV2 pagination", () => {
  it("pages through 1,100 objects", async () => {
    const limit = pLimit(16);
    const keys = Array.from({ length: 1100 }, (_, i) => `page/${String(i).padStart(4, "0")}`);
    await Promise.all(keys.map((key) => limit(() => put(key, key))));
    const seen: string[] = [];
    let pages = 0;
    for await (const page of s3.paginateListObjectsV2({ client }, { Bucket: bucket, Prefix: "page/" })) {
      pages += 1;
      seen.push(...(page.Contents ?? []).map((o) => o.Key ?? ""));
    }
    expect(pages).toBe(2);
    expect(seen).toEqual(keys);
  }, 20_000);
});

describe("conditional writes", () => {
  it("If-None-Match: * succeeds on a new key and answers 412 on an existing one", async () => {
    await put("cond/new", "first", { IfNoneMatch: "*" });
    const err = await captureError(put("cond/new", "second", { IfNoneMatch: "*" }));
    expect(err.$metadata.httpStatusCode).toBe(412);
    expect(err.name).toBe("PreconditionFailed");
    const body = await client.send(new s3.GetObjectCommand({ Bucket: bucket, Key: "cond/new" }));
    expect(await body.Body?.transformToString()).toBe("first");
  });

  it("If-Match answers 412 on a wrong ETag, 404 on a missing key (as S3), 200 on the current ETag", async () => {
    const { ETag } = await put("cond/match", "v1");
    expect((await captureError(put("cond/match", "v2", { IfMatch: '"0123"' }))).$metadata.httpStatusCode).toBe(412);
    const absent = await captureError(put("cond/absent", "v1", { IfMatch: ETag }));
    expect(absent.$metadata.httpStatusCode).toBe(404);
    expect(absent.name).toBe("NoSuchKey");
    const updated = await put("cond/match", "v2", { IfMatch: ETag });
    expect(updated.$metadata.httpStatusCode).toBe(200);
    expect(updated.ETag).not.toBe(ETag);
  });

  it("lets exactly one of concurrent If-None-Match: * writers win", async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, (_, i) => put("cond/race", `writer-${i}`, { IfNoneMatch: "*" })),
    );
    const winners = results.flatMap((r, i) => (r.status === "fulfilled" ? [i] : []));
    expect(winners).toHaveLength(1);
    for (const r of results) {
      if (r.status === "rejected") expect(r.reason).toMatchObject({ $metadata: { httpStatusCode: 412 } });
    }
    const body = await client.send(new s3.GetObjectCommand({ Bucket: bucket, Key: "cond/race" }));
    expect(await body.Body?.transformToString()).toBe(`writer-${String(winners[0])}`);
  });
});

describe("one object, read while it is rewritten", () => {
  it("GET and HEAD racing PUTs of the same key see one whole version, never a 500 or a torn body", async () => {
    const Key = "race/lease.json";
    const versions = Array.from({ length: 8 }, (_, i) =>
      JSON.stringify({ version: i, pad: "x".repeat(2_000 + i * 1_000) }),
    );
    await put(Key, versions[0]!);
    const errors: string[] = [];
    const seen = new Set<string>();
    for (let round = 0; round < 40; round++) {
      await Promise.all([
        put(Key, versions[round % versions.length]!),
        ...Array.from({ length: 4 }, async () => {
          try {
            const got = await client.send(new s3.GetObjectCommand({ Bucket: bucket, Key }));
            const body = await got.Body!.transformToString();
            if (!versions.includes(body)) errors.push(`torn body of ${body.length} bytes`);
            else seen.add(body);
            await client.send(new s3.HeadObjectCommand({ Bucket: bucket, Key }));
          } catch (err) {
            errors.push(String(err));
          }
        }),
      ]);
    }
    expect(errors).toEqual([]);
    expect(seen.size).toBeGreaterThan(1);
  });
});

describe("multipart uploads", () => {
  it("use S3's ETag: md5 of the part md5s, dash, part count", async () => {
    const Key = "multi/object";
    const parts = [Buffer.alloc(5 * 1024 * 1024, 1), Buffer.alloc(5 * 1024 * 1024, 2), Buffer.from("tail")];
    const { UploadId } = await client.send(new s3.CreateMultipartUploadCommand({ Bucket: bucket, Key }));
    const uploaded = [];
    for (const [i, Body] of parts.entries()) {
      const part = await client.send(
        new s3.UploadPartCommand({ Bucket: bucket, Key, UploadId, PartNumber: i + 1, Body }),
      );
      uploaded.push({ PartNumber: i + 1, ETag: part.ETag });
    }
    const done = await client.send(
      new s3.CompleteMultipartUploadCommand({ Bucket: bucket, Key, UploadId, MultipartUpload: { Parts: uploaded } }),
    );
    const expected = `"${md5(Buffer.concat(parts.map(md5))).toString("hex")}-3"`;
    expect(done.ETag).toBe(expected);
    expect((await client.send(new s3.HeadObjectCommand({ Bucket: bucket, Key }))).ETag).toBe(expected);
    const got = await client.send(new s3.GetObjectCommand({ Bucket: bucket, Key }));
    expect(got.ETag).toBe(expected);
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(Buffer.concat(parts))).toBe(true);
    const listed = await client.send(new s3.ListObjectsV2Command({ Bucket: bucket, Prefix: Key }));
    expect(listed.Contents?.[0]?.ETag).toBe(expected);
  });

  it("answers 412 to a conditional complete on an existing key, and aborts uploads", async () => {
    const Key = "multi/conditional";
    await put(Key, "existing");
    const { UploadId } = await client.send(new s3.CreateMultipartUploadCommand({ Bucket: bucket, Key }));
    const { ETag } = await client.send(
      new s3.UploadPartCommand({ Bucket: bucket, Key, UploadId, PartNumber: 1, Body: "x" }),
    );
    const complete = new s3.CompleteMultipartUploadCommand({
      ...{ Bucket: bucket, Key, UploadId, IfNoneMatch: "*" },
      MultipartUpload: { Parts: [{ PartNumber: 1, ETag }] },
    });
    expect((await captureError(client.send(complete))).$metadata.httpStatusCode).toBe(412);
    await client.send(new s3.AbortMultipartUploadCommand({ Bucket: bucket, Key, UploadId }));
    const again = await captureError(
      client.send(new s3.AbortMultipartUploadCommand({ Bucket: bucket, Key, UploadId })),
    );
    expect(again.name).toBe("NoSuchUpload");
  });
});

describe("authentication", () => {
  const objectUrl = (key: string): string => `${info.endpoint}/${bucket}/${key}`;

  it("answers 403 AccessDenied to requests without credentials", async () => {
    await put("auth/object", "secret");
    const get = await fetch(objectUrl("auth/object"));
    expect(get.status).toBe(403);
    expect(await get.text()).toContain("<Code>AccessDenied</Code>");
    const anonymousPut = await fetch(objectUrl("auth/anonymous"), { method: "PUT", body: "x" });
    expect(anonymousPut.status).toBe(403);
    await anonymousPut.body?.cancel();
  });

  it("serves a presigned GET and refuses tampered, expired and wrong-secret URLs", async () => {
    await put("auth/presigned", "hello");
    const command = new s3.GetObjectCommand({ Bucket: bucket, Key: "auth/presigned" });
    const url = await getSignedUrl(client, command, { expiresIn: 60 });
    const ok = await fetch(url);
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe("hello");

    const tampered = url.replace(
      /(X-Amz-Signature=)([0-9a-f])/,
      (_, p: string, c: string) => p + (c === "0" ? "1" : "0"),
    );
    expect(tampered).not.toBe(url);
    const wrongClient = createTestS3Client({ ...info, secretKey: "not-the-secret" });
    const wrongSecret = await getSignedUrl(wrongClient, command, { expiresIn: 60 });
    wrongClient.destroy();
    const shortLived = await getSignedUrl(client, command, { expiresIn: 1 });
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    for (const bad of [tampered, wrongSecret, shortLived]) {
      const response = await fetch(bad);
      expect(response.status).toBe(403);
      await response.body?.cancel();
    }
  });
});

describe("fault injection", () => {
  const noRetry = createTestS3Client(info, { maxAttempts: 1 });
  afterAll(async () => {
    await clearS3Faults(info.endpoint, bucket);
    noRetry.destroy();
  });
  const head = () => noRetry.send(new s3.HeadBucketCommand({ Bucket: bucket }));

  it("fails every matching request with rate 1, and stops after clear", async () => {
    await setS3Faults(info.endpoint, { rate: 1, statuses: [503], bucket });
    const err = await captureError(noRetry.send(new s3.GetObjectCommand({ Bucket: bucket, Key: "missing" })));
    expect(err.$metadata.httpStatusCode).toBe(503);
    expect(err.name).toBe("ServiceUnavailable");
    await clearS3Faults(info.endpoint, bucket);
    await head();
  });

  it("throttles chosen operations with SlowDown, and draws seeded faults at the given rate", async () => {
    await setS3Faults(info.endpoint, { rate: 1, statuses: [503], slowDown: true, operations: ["PutObject"], bucket });
    const err = await captureError(noRetry.send(new s3.PutObjectCommand({ Bucket: bucket, Key: "slow", Body: "x" })));
    expect([err.$metadata.httpStatusCode, err.name]).toEqual([503, "SlowDown"]);
    await head();
    await setS3Faults(info.endpoint, { rate: 0.5, statuses: [500], seed: 42, bucket });
    const outcomes = await Promise.allSettled(Array.from({ length: 40 }, () => head()));
    const failed = outcomes.filter((o) => o.status === "rejected").length;
    expect(failed).toBeGreaterThan(5);
    expect(failed).toBeLessThan(35);
  });

  it("matches a listing's prefix with keyPattern: only the listing of that prefix fails", async () => {
    await clearS3Faults(info.endpoint, bucket);
    await put("sets/c1/a.json", "x");
    await put("sets/c2/a.json", "x");
    await setS3Faults(info.endpoint, { rate: 1, statuses: [500], keyPattern: "^sets/c2/", bucket });
    const list = (Prefix: string) => noRetry.send(new s3.ListObjectsV2Command({ Bucket: bucket, Prefix }));
    expect((await list("sets/c1/")).Contents?.map((o) => o.Key)).toEqual(["sets/c1/a.json"]);
    const err = await captureError(list("sets/c2/"));
    expect([err.$metadata.httpStatusCode, err.name]).toEqual([500, "InternalError"]);
    expect((await noRetry.send(new s3.GetObjectCommand({ Bucket: bucket, Key: "sets/c1/a.json" }))).ContentLength).toBe(
      1,
    );
    await clearS3Faults(info.endpoint, bucket);
    expect((await list("sets/c2/")).KeyCount).toBe(1);
  });
});
