// The S3 snapshot store's multipart path (bodies above the 8 MiB part size) against the local S3 server when it
// fails: a part refused, a CompleteMultipartUpload refused, a source that breaks off in the middle of a part. Each
// time the put fails with exit 4, the source stream is destroyed, the multipart upload is aborted (a second abort of
// its id finds nothing), and no object appears.
import { randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { AbortMultipartUploadCommand, S3ServiceException, type S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { buildConfig } from "../../src/config.js";
import { EXIT, UpstreamError } from "../../src/errors.js";
import { createS3Client } from "../../src/s3/client.js";
import { createSnapshotStore } from "../../src/store/s3.js";
import type { SnapshotStore } from "../../src/store/types.js";
import { clearS3Faults, setS3Faults } from "../support/s3/fault-admin.js";
import { createTestBucket, s3Env } from "../support/s3/client.js";

const info = inject("s3");
const MIB = 1024 * 1024;
const SIZE = 20 * MIB; // three 8 MiB parts
let bucket = "";
let client: S3Client;
let store: SnapshotStore;
/** Every S3 command the store sent, with its outcome, and the upload ids it created. */
const sent: { command: string; ok: boolean }[] = [];
const uploadIds: string[] = [];

beforeAll(async () => {
  bucket = await createTestBucket(info, "s3-multipart");
  const config = buildConfig(
    { ...s3Env(info, bucket), QDRANT_RETRIES: "0", CURL_TIMEOUT: "30" },
    { cwd: process.cwd() },
  );
  client = createS3Client(config);
  client.middlewareStack.add(
    (next, context) => async (args) => {
      try {
        const result = await next(args);
        sent.push({ command: context.commandName ?? "?", ok: true });
        const id: unknown = Reflect.get(Object(result.output), "UploadId");
        if (context.commandName === "CreateMultipartUploadCommand" && typeof id === "string") uploadIds.push(id);
        return result;
      } catch (err) {
        sent.push({ command: context.commandName ?? "?", ok: false });
        throw err;
      }
    },
    { step: "initialize", name: "recordCommands" },
  );
  store = createSnapshotStore(client, bucket, new AbortController().signal);
});

afterAll(async () => {
  await clearS3Faults(info.endpoint, bucket);
  client?.destroy();
});

/** `size` random bytes in 1 MiB chunks, read lazily; with `cutAfter`, the stream errors once that many bytes went out. */
function source(size: number, cutAfter?: number): Readable {
  let given = 0;
  return new Readable({
    read() {
      if (cutAfter !== undefined && given >= cutAfter) {
        this.destroy(new Error("the node's connection broke off"));
        return;
      }
      if (given >= size) {
        this.push(null);
        return;
      }
      const n = Math.min(MIB, size - given);
      given += n;
      this.push(randomBytes(n));
    },
  });
}

/** Puts a failing body and checks the aftermath: exit 4, source destroyed, the upload aborted, no object. */
async function expectCleanFailure(key: string, body: Readable): Promise<void> {
  sent.length = 0;
  uploadIds.length = 0;
  const err = await store.put(key, body, { size: SIZE }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(UpstreamError);
  expect((err as UpstreamError).exitCode).toBe(EXIT.upstream);
  expect((err as Error).message).toContain(`s3://${bucket}/${key}`);
  expect(body.destroyed, "the source stream is destroyed").toBe(true);
  expect(uploadIds).toHaveLength(1);
  expect(
    sent.filter((s) => s.command === "AbortMultipartUploadCommand").some((s) => s.ok),
    JSON.stringify(sent),
  ).toBe(true);
  expect(await store.head(key), "no object").toBeUndefined();
  // Gone: a second abort of the same upload id finds no such upload.
  const again = await client
    .send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadIds[0] }))
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  expect(again).toBeInstanceOf(S3ServiceException);
  expect((again as S3ServiceException).name).toBe("NoSuchUpload");
}

describe("multipart puts that fail leave nothing behind", () => {
  it("every UploadPart refused (500): the upload is aborted, the source destroyed, no object", async () => {
    await setS3Faults(info.endpoint, { rate: 1, statuses: [500], operations: ["UploadPart"], bucket });
    try {
      await expectCleanFailure("snapshots/c/parts-refused.snapshot", source(SIZE));
    } finally {
      await clearS3Faults(info.endpoint, bucket);
    }
  });

  it("CompleteMultipartUpload refused (500): the store aborts the upload lib-storage leaves behind, no object", async () => {
    await setS3Faults(info.endpoint, { rate: 1, statuses: [500], operations: ["CompleteMultipartUpload"], bucket });
    try {
      await expectCleanFailure("snapshots/c/complete-refused.snapshot", source(SIZE));
    } finally {
      await clearS3Faults(info.endpoint, bucket);
    }
    expect(sent.some((s) => s.command === "CompleteMultipartUploadCommand" && !s.ok)).toBe(true);
  });

  it("a source that breaks off in the middle of the second part: the upload is aborted, no object", async () => {
    await expectCleanFailure("snapshots/c/cut-mid-part.snapshot", source(SIZE, 12 * MIB));
    expect(
      sent.filter((s) => s.command === "UploadPartCommand" && s.ok).length,
      "only the first part went up",
    ).toBeLessThanOrEqual(1);
  });

  it("the same body with S3 healthy is stored whole in three parts", async () => {
    const key = "snapshots/c/healthy.snapshot";
    expect(await store.put(key, source(SIZE), { size: SIZE })).toBe(SIZE);
    expect((await store.head(key))?.size).toBe(SIZE);
  });
});

describe("where a put turns multipart: lib-storage's Upload at the 8 MiB part size", () => {
  const commandsOf = async (key: string, size: number, known: boolean) => {
    sent.length = 0;
    expect(await store.put(key, source(size), known ? { size } : {})).toBe(size);
    expect((await store.head(key))?.size).toBe(size);
    return sent.filter((s) => s.command !== "HeadObjectCommand").map((s) => s.command);
  };
  const multipart = (parts: number) => [
    "CreateMultipartUploadCommand",
    ...Array<string>(parts).fill("UploadPartCommand"),
    "CompleteMultipartUploadCommand",
  ];

  it("a body of one part, size known or not, goes up in one PutObject; one byte more, in two parts", async () => {
    expect(await commandsOf("threshold/small", 1000, true)).toEqual(["PutObjectCommand"]);
    expect(await commandsOf("threshold/small-unknown", 1000, false)).toEqual(["PutObjectCommand"]);
    expect(await commandsOf("threshold/one-part", 8 * MIB, true)).toEqual(["PutObjectCommand"]);
    expect(await commandsOf("threshold/one-part-more", 8 * MIB + 1, true)).toEqual(multipart(2));
    // Of unknown size, the part is 16 MiB.
    expect(await commandsOf("threshold/unknown", 16 * MIB, false)).toEqual(["PutObjectCommand"]);
    expect(await commandsOf("threshold/unknown-more", 16 * MIB + 1, false)).toEqual(multipart(2));
  });
});
