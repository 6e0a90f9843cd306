// S3 snapshot storage: key layout, multipart uploads, no checksums, recursive listing, presigned recovery.
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, type S3Client } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { createHash } from "node:crypto";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startEmulator, type Emulator, type EmulatorOptions } from "../support/emulator/index.js";
import { readAllPoints, seedCollection } from "../support/emulator/seed.js";
import { call } from "../support/emulator/test-http.js";
import {
  assertSnapshotDescription,
  assertSnapshotList,
  expectError,
  expectOk,
} from "../support/emulator/validators.js";
import { createTestBucket, createTestS3Client } from "../support/s3/client.js";

const info = inject("s3");
/** Qdrant's part size for snapshot uploads (snapshot_storage_ops.rs, DEFAULT_CHUNK_SIZE). */
const PART = 50 * 1024 * 1024;
let s3: S3Client;
let bucket = "";
let emu: Emulator;
let a = "";
let b = "";
let collectionSnap = "";
let storage: NonNullable<EmulatorOptions["storage"]>;

async function keys(prefix = ""): Promise<string[]> {
  const r = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
  return (r.Contents ?? []).map((o) => o.Key ?? "").sort();
}

beforeAll(async () => {
  s3 = createTestS3Client(info);
  bucket = await createTestBucket(info, "emulator-s3");
  storage = {
    kind: "s3",
    endpoint: info.endpoint,
    bucket,
    accessKey: info.accessKey,
    secretKey: info.secretKey,
    region: info.region,
  };
  emu = await startEmulator({ nodes: 2, storage });
  [a, b] = [emu.urls[0] ?? "", emu.urls[1] ?? ""];
  await seedCollection(a, "docs", { points: 40, dim: 6, shards: 2 });
});
afterAll(async () => {
  await emu.stop();
  s3.destroy();
});

describe("S3 storage", () => {
  it("uploads snapshots/{c}/{name} by multipart, with no checksum anywhere", async () => {
    const d = expectOk((await call(a, "POST", "/collections/docs/snapshots")).json);
    assertSnapshotDescription(d);
    collectionSnap = d.name;
    expect("checksum" in d).toBe(false);
    expect(await keys()).toEqual([`snapshots/docs/${d.name}`]);
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: `snapshots/docs/${d.name}` }));
    expect(head.ETag).toMatch(/-1"$/);
    expect(d.size).toBe(head.ContentLength);
  });

  it("stores shard and full snapshots under their own keys", async () => {
    const shard = expectOk((await call(a, "POST", "/collections/docs/shards/1/snapshots")).json);
    assertSnapshotDescription(shard);
    expect(shard.name).toMatch(/^docs-shard-1-.*\.snapshot$/);
    const full = expectOk((await call(a, "POST", "/snapshots")).json);
    assertSnapshotDescription(full);
    const all = await keys();
    expect(all).toContain(`snapshots/docs/shards/1/${shard.name}`);
    expect(all).toContain(`snapshots/${full.name}`);
  });

  it("a shard snapshot's object has the ETag of Qdrant's upload: 50 MiB parts, md5 of the part md5s, dash, count", async () => {
    const multipartEtag = (bytes: Buffer): string => {
      const parts: Buffer[] = [];
      for (let at = 0; at < bytes.length || parts.length === 0; at += PART) {
        parts.push(
          createHash("md5")
            .update(bytes.subarray(at, at + PART))
            .digest(),
        );
      }
      return `"${createHash("md5").update(Buffer.concat(parts)).digest("hex")}-${parts.length}"`;
    };
    const objectOf = async (node: string, collection: string, shard: number) => {
      const d = expectOk((await call(node, "POST", `/collections/${collection}/shards/${shard}/snapshots`)).json);
      assertSnapshotDescription(d);
      expect("checksum" in d).toBe(false); // Qdrant describes S3 snapshots without a checksum
      const Key = `snapshots/${collection}/shards/${shard}/${d.name}`;
      const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key }));
      const bytes = Buffer.from(await got.Body!.transformToByteArray());
      expect(bytes.length).toBe(d.size);
      const etag = (await s3.send(new HeadObjectCommand({ Bucket: bucket, Key }))).ETag;
      return { etag, bytes, name: d.name };
    };
    const small = await objectOf(a, "docs", 0);
    expect(small.etag).toMatch(/^"[0-9a-f]{32}-1"$/);
    expect(small.etag).toBe(multipartEtag(small.bytes));
    expect(small.etag).not.toBe(`"${createHash("md5").update(small.bytes).digest("hex")}"`);

    // Past 50 MiB the upload takes two parts (one node, one shard, one padded segment).
    const big = await startEmulator({ segmentPaddingBytes: PART + 4096, storage });
    try {
      await seedCollection(big.urls[0]!, "bigshard", { points: 3, dim: 2 });
      const two = await objectOf(big.urls[0]!, "bigshard", 0);
      expect(two.bytes.length).toBeGreaterThan(PART);
      expect(two.etag).toMatch(/^"[0-9a-f]{32}-2"$/);
      expect(two.etag).toBe(multipartEtag(two.bytes));
      expect((await call(big.urls[0]!, "DELETE", `/collections/bigshard/shards/0/snapshots/${two.name}`)).status).toBe(
        200,
      );
    } finally {
      await big.stop();
    }
  });

  it("recovers a shard by bare name from S3 (and, like Qdrant, fails with a checksum)", async () => {
    const list = expectOk((await call(a, "GET", "/collections/docs/shards/1/snapshots")).json);
    assertSnapshotList(list);
    const name = list[0]?.name ?? "";
    expect(
      (await call(a, "PUT", "/collections/docs/shards/1/snapshots/recover", { body: { location: name } })).status,
    ).toBe(200);
    const withSum = await call(a, "PUT", "/collections/docs/shards/1/snapshots/recover", {
      body: { location: name, checksum: "a".repeat(64) },
    });
    expect(withSum.status).toBe(500);
    expect((await readAllPoints(a, "docs")).length).toBe(40);
  });

  it("lists recursively: the collection list includes shard snapshots, the full list everything", async () => {
    const list = expectOk((await call(a, "GET", "/collections/docs/snapshots")).json);
    assertSnapshotList(list);
    expect(list.some((s) => s.name.startsWith("docs-shard-1-"))).toBe(true);
    expect(list.every((s) => !("checksum" in s))).toBe(true);
    const full = expectOk((await call(a, "GET", "/snapshots")).json);
    assertSnapshotList(full);
    expect(full.length).toBe((await keys()).length);
  });

  it("streams downloads from S3 without a Content-Disposition", async () => {
    const r = await call(a, "GET", `/collections/docs/snapshots/${collectionSnap}`);
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toBe("application/octet-stream");
    expect(r.headers.get("content-disposition")).toBeNull();
    const obj = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: `snapshots/docs/${collectionSnap}` }));
    expect(r.bytes.equals(Buffer.from((await obj.Body?.transformToByteArray()) ?? []))).toBe(true);
  });

  it("recovers on another node from a presigned URL with identical points", async () => {
    const url = await getSignedUrl(
      s3,
      new GetObjectCommand({ Bucket: bucket, Key: `snapshots/docs/${collectionSnap}` }),
      { expiresIn: 300 },
    );
    const r = await call(b, "PUT", "/collections/docs/snapshots/recover", { body: { location: url } });
    expect(r.status).toBe(200);
    expect(await readAllPoints(b, "docs")).toEqual(await readAllPoints(a, "docs"));
  });

  it("fails a tampered presigned URL with 400 Failed to download tar from", async () => {
    const url = await getSignedUrl(
      s3,
      new GetObjectCommand({ Bucket: bucket, Key: `snapshots/docs/${collectionSnap}` }),
      { expiresIn: 300 },
    );
    const tampered = url.replace(
      /X-Amz-Signature=([0-9a-f])/,
      (_m, c: string) => `X-Amz-Signature=${c === "0" ? "1" : "0"}`,
    );
    const r = await call(b, "PUT", "/collections/tampered/snapshots/recover", { body: { location: tampered } });
    expect(r.status).toBe(400);
    expect(expectError(r.json)).toMatch(/^Wrong input: Failed to download tar from .*: status - 403 Forbidden$/);
  });

  it("deletes with HEAD then DELETE; a missing snapshot is 404", async () => {
    expect(expectOk((await call(a, "DELETE", `/collections/docs/snapshots/${collectionSnap}`)).json)).toBe(true);
    // Only this key: the full snapshot taken earlier left its own fresh docs snapshot in the bucket (as Qdrant does).
    expect(await keys(`snapshots/docs/${collectionSnap}`)).toEqual([]);
    expect((await call(a, "DELETE", `/collections/docs/snapshots/${collectionSnap}`)).status).toBe(404);
  });

  it("honours snapshotsPath as the key prefix", async () => {
    const other = await startEmulator({
      storage: {
        kind: "s3",
        endpoint: info.endpoint,
        bucket,
        accessKey: info.accessKey,
        secretKey: info.secretKey,
        snapshotsPath: "/qdrant/snapshots",
      },
    });
    try {
      const url = other.urls[0] ?? "";
      await seedCollection(url, "p", { points: 1, dim: 2 });
      const d = expectOk((await call(url, "POST", "/collections/p/snapshots")).json);
      assertSnapshotDescription(d);
      expect(await keys("qdrant/")).toEqual([`qdrant/snapshots/p/${d.name}`]);
    } finally {
      await other.stop();
    }
  });

  it("fault qdrant#5026: snapshots silently land on local disk", async () => {
    emu.faults.snapshotsToLocalDisk(true);
    try {
      const before = await keys();
      const d = expectOk((await call(a, "POST", "/collections/docs/snapshots")).json);
      assertSnapshotDescription(d);
      expect(d.checksum).toMatch(/^[0-9a-f]{64}$/);
      expect(await keys()).toEqual(before);
      expect(await readdir(join(emu.nodes[0]?.snapshotsDir ?? "", "docs"))).toContain(d.name);
    } finally {
      emu.faults.snapshotsToLocalDisk(false);
    }
  });
});
