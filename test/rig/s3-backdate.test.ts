// Back-dated objects in the fake S3 (backdate.ts): LastModified set to a past date, honoured by HeadObject, GetObject
// and ListObjectsV2, so a retention sweep's grace period can be tested without waiting. A server without the admin
// route (Ceph's gateway answers it with an S3 XML error) makes the helper throw a one-line error naming the cure.
import * as s3 from "@aws-sdk/client-s3";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { backdateS3Object } from "../support/s3/backdate.js";
import { createTestBucket, createTestS3Client } from "../support/s3/client.js";
import { itWithS3Backdating } from "../support/s3/impl.js";

const info = inject("s3");
const client = createTestS3Client(info);
let bucket = "";

beforeAll(async () => {
  bucket = await createTestBucket(info, "backdate");
});
afterAll(() => client.destroy());

describe("backdateS3Object", () => {
  itWithS3Backdating(
    "sets LastModified for HeadObject, GetObject and ListObjectsV2, until the object is rewritten",
    async () => {
      const Key = "retention/it's old.snapshot";
      await client.send(new s3.PutObjectCommand({ Bucket: bucket, Key, Body: "old" }));
      await client.send(new s3.PutObjectCommand({ Bucket: bucket, Key: "retention/new.snapshot", Body: "new" }));
      const past = new Date("2025-03-04T05:06:07Z");
      await backdateS3Object(info.endpoint, bucket, Key, past);

      expect((await client.send(new s3.HeadObjectCommand({ Bucket: bucket, Key }))).LastModified).toEqual(past);
      const got = await client.send(new s3.GetObjectCommand({ Bucket: bucket, Key }));
      expect(got.LastModified).toEqual(past);
      expect(await got.Body!.transformToString()).toBe("old");
      const listed = await client.send(new s3.ListObjectsV2Command({ Bucket: bucket, Prefix: "retention/" }));
      const times = Object.fromEntries((listed.Contents ?? []).map((o) => [o.Key, o.LastModified?.getTime()]));
      expect(times[Key]).toBe(past.getTime());
      expect(times["retention/new.snapshot"]).toBeGreaterThan(Date.now() - 60_000);

      await client.send(new s3.PutObjectCommand({ Bucket: bucket, Key, Body: "rewritten" }));
      const head = await client.send(new s3.HeadObjectCommand({ Bucket: bucket, Key }));
      expect(head.LastModified!.getTime()).toBeGreaterThan(Date.now() - 60_000);
    },
  );

  itWithS3Backdating("fails on a missing object, naming it", async () => {
    await expect(backdateS3Object(info.endpoint, bucket, "nowhere", new Date(0))).rejects.toThrow(
      /answered 404: .*no object \\"nowhere\\" in bucket/,
    );
  });

  it("throws a clear error where the server cannot back-date (an S3 XML answer, as from Ceph's gateway)", async () => {
    const gateway: Server = createServer((req, res) => {
      req.resume();
      res.writeHead(404, { "content-type": "application/xml" });
      res.end('<?xml version="1.0"?><Error><Code>NoSuchBucket</Code></Error>');
    });
    await new Promise<void>((resolve) => gateway.listen(0, "127.0.0.1", resolve));
    try {
      const endpoint = `http://127.0.0.1:${(gateway.address() as AddressInfo).port}`;
      await expect(backdateS3Object(endpoint, "b", "k", new Date(0))).rejects.toThrow(
        /cannot back-date objects .* declare the test with itWithS3Backdating/,
      );
    } finally {
      await new Promise((resolve) => gateway.close(resolve));
    }
  });
});
