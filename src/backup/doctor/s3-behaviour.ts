// What this S3 store does with multipart uploads and conditional writes (issue 13): the ETag of a completed
// multipart upload, If-None-Match: *, the If-Match form it matches (quoted or bare, see s3/objects.ts) and its answer
// to If-Match on a missing key. The state lease (QDRANT_STATE_S3_PREFIX) relies on the conditional writes.
import { randomBytes } from "node:crypto";
import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import { describeS3Error } from "../../s3/client.js";
import { unquoteEtag } from "../../s3/objects.js";
import { fail, ok, warn, type Check } from "./check.js";
import { s3Cure } from "./s3-checks.js";
import { statusOf, type S3Probe } from "./s3-probe.js";

/** S3's smallest part but the last. */
const PART_BYTES = 5 * 1024 * 1024;

/** A two-part upload (5 MiB + 1 KiB), completed, its size and bytes checked. */
export async function checkMultipart(probe: S3Probe): Promise<Check> {
  const { client, bucket } = probe;
  const check = "s3 multipart";
  const key = probe.key("multipart.bin");
  const parts = [randomBytes(PART_BYTES), randomBytes(1024)];
  try {
    const created = await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
    const UploadId = created.UploadId!;
    probe.startedUpload(key, UploadId);
    const done: { ETag: string; PartNumber: number }[] = [];
    for (const [i, Body] of parts.entries()) {
      const part = await client.send(
        new UploadPartCommand({ Bucket: bucket, Key: key, UploadId, PartNumber: i + 1, Body }),
      );
      done.push({ ETag: part.ETag ?? "", PartNumber: i + 1 });
    }
    const completed = await client.send(
      new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId, MultipartUpload: { Parts: done } }),
    );
    probe.completed(UploadId);
    const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    const size = PART_BYTES + 1024;
    if (head.ContentLength !== size)
      return fail(check, `the completed object has ${head.ContentLength} bytes, not ${size}`, "see the store's log");
    const etag = completed.ETag
      ? `CompleteMultipartUpload answered ETag ${unquoteEtag(completed.ETag)}`
      : "CompleteMultipartUpload answered no ETag";
    if (!completed.ETag)
      return warn(check, `2 parts uploaded and completed; ${etag}`, "none needed by this tool; report it to the store");
    return ok(check, `2 parts (5 MiB + 1 KiB) uploaded and completed; ${etag}`);
  } catch (err) {
    return fail(check, `s3://${bucket}/${key}: ${describeS3Error(err)}`, s3Cure(err, bucket));
  }
}

/** Conditional writes on probe keys: what the store honours, and in which form. */
export async function checkConditionalWrites(probe: S3Probe, leaseUsed: boolean): Promise<Check> {
  const { client, bucket } = probe;
  const check = "s3 conditional writes";
  const key = probe.key("conditional.json");
  const put = async (cond: { IfNoneMatch: string } | { IfMatch: string }, k = key): Promise<number | string> => {
    try {
      const out = await client.send(new PutObjectCommand({ Bucket: bucket, Key: k, Body: randomBytes(16), ...cond }));
      return unquoteEtag(out.ETag ?? "");
    } catch (err) {
      const status = statusOf(err);
      if (status === undefined || status >= 500) throw err;
      return status;
    }
  };
  const etagNow = async () =>
    unquoteEtag((await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).ETag ?? "");
  try {
    const created = await put({ IfNoneMatch: "*" });
    if (typeof created === "number")
      return fail(check, `If-None-Match: * on a new key answered HTTP ${created}`, "see the store's log");
    const again = await put({ IfNoneMatch: "*" });
    const noneMatch =
      typeof again === "number" ? `If-None-Match: * refused (HTTP ${again})` : "If-None-Match: * ignored";
    const quoted = typeof (await put({ IfMatch: `"${await etagNow()}"` })) === "string";
    const bare = typeof (await put({ IfMatch: await etagNow() })) === "string";
    const missing = await put({ IfMatch: '"0123456789abcdef0123456789abcdef"' }, probe.key("missing.json"));
    const forms =
      quoted && bare ? "quoted and bare" : quoted ? "quoted only" : bare ? "bare only (as Ceph RGW)" : "neither";
    const onMissing = typeof missing === "number" ? `HTTP ${missing}` : "written (If-Match ignored)";
    const detail = `${noneMatch}; If-Match matches ${forms} ETags; If-Match on a missing key: ${onMissing}`;
    const honoured = typeof again === "number" && (quoted || bare) && typeof missing === "number";
    if (honoured) return ok(check, detail);
    const cure = "the state lease cannot be safe on this store: leave QDRANT_STATE_S3_PREFIX unset";
    return leaseUsed ? fail(check, detail, cure) : warn(check, detail, cure);
  } catch (err) {
    return fail(check, `s3://${bucket}/${key}: ${describeS3Error(err)}`, s3Cure(err, bucket));
  }
}
