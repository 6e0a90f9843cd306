// doctor's S3 checks: the bucket, a listing, a probe object's round trip, and a presigned URL fetched as a restore host
// would (with the clock skew against the server's Date header). Every object goes under the probe prefix.
import { randomBytes } from "node:crypto";
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { describeS3Error } from "../../s3/client.js";
import { createGetPresigner } from "../../s3/presign.js";
import { fail, ok, warn, type Check } from "./check.js";
import { statusOf, type S3Probe } from "./s3-probe.js";

/** SigV4 refuses requests signed more than 15 minutes away from the server's time. */
const MAX_SKEW_S = 15 * 60;
const WARN_SKEW_S = 60;

const CREDENTIALS = "QDRANT_S3_ACCESS_KEY_ID and QDRANT_S3_SECRET_ACCESS_KEY";

/** The cure for a failed S3 call, from what the store answered. */
export function s3Cure(err: unknown, bucket: string): string {
  const status = statusOf(err);
  const name = err instanceof Error ? err.name : "";
  if (name === "NoSuchBucket" || name === "NotFound" || (status === 404 && name !== "NoSuchKey"))
    return `create the bucket ${bucket}, or fix QDRANT_S3_BUCKET_NAME`;
  if (name === "RequestTimeTooSkewed") return "set this machine's clock right (NTP)";
  if (status === 401 || status === 403) return `check ${CREDENTIALS} and the key's rights on the bucket`;
  if (status === undefined) return "check QDRANT_S3_ENDPOINT_URL and that the store is reachable from here";
  return "see the store's log";
}

/** HEAD on the bucket; a failure here makes every other S3 check meaningless. */
export async function checkBucket(client: S3Client, bucket: string, endpoint: string): Promise<Check> {
  const check = `s3 bucket ${bucket}`;
  try {
    await client.send(new HeadBucketCommand({ Bucket: bucket }));
    return ok(check, `exists at ${endpoint}`);
  } catch (err) {
    const status = statusOf(err);
    const detail = status === 404 ? `does not exist at ${endpoint} (HTTP 404)` : describeS3Error(err);
    return fail(check, detail, s3Cure(err, bucket));
  }
}

export async function checkList(client: S3Client, bucket: string): Promise<Check> {
  try {
    const out = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: "snapshots/", MaxKeys: 1 }));
    return ok("s3 list", `ListObjectsV2 answered (${out.KeyCount ?? 0} key under snapshots/ in the first page of 1)`);
  } catch (err) {
    return fail("s3 list", describeS3Error(err), s3Cure(err, bucket));
  }
}

/** PUT, GET (bytes compared), DELETE, then GET again (gone) of one probe object. */
export async function checkObjectRoundTrip(probe: S3Probe): Promise<Check> {
  const { client, bucket } = probe;
  const key = probe.key("object.bin");
  const body = randomBytes(1024);
  let step = "PUT";
  try {
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    step = "GET";
    const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const bytes = Buffer.from((await got.Body?.transformToByteArray()) ?? []);
    if (!bytes.equals(body))
      return fail(
        "s3 put/get/delete",
        `GET s3://${bucket}/${key} gave other bytes than were put`,
        "see the store's log",
      );
    step = "DELETE";
    await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    step = "GET after DELETE";
    try {
      await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return warn("s3 put/get/delete", `s3://${bucket}/${key} is still there after DELETE`, "see the store's log");
    } catch (err) {
      if (statusOf(err) !== 404) throw err;
    }
    return ok("s3 put/get/delete", `1 KiB probe under ${probe.prefix} written, read back equal, deleted`);
  } catch (err) {
    return fail("s3 put/get/delete", `${step} s3://${bucket}/${key}: ${describeS3Error(err)}`, s3Cure(err, bucket));
  }
}

/**
 * A presigned GET fetched as a restore host fetches it (QDRANT_RECOVER_VIA=url), bytes compared; and the clock skew
 * against the Date header of that answer. The URL is a secret: it is never part of a line.
 */
export async function checkPresigned(probe: S3Probe, timeoutMs: number, now: () => Date): Promise<Check[]> {
  const { client, bucket } = probe;
  const key = probe.key("presigned.bin");
  const body = randomBytes(2048);
  let answer: Response;
  const sent = now().getTime();
  try {
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    const url = await createGetPresigner(client, bucket)(key, 300, now());
    answer = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    return [fail("s3 presigned URL", describeS3Error(err), s3Cure(err, bucket))];
  }
  const received = now().getTime();
  const bytes = Buffer.from(await answer.arrayBuffer());
  const checks: Check[] = [];
  if (answer.status !== 200)
    checks.push(
      fail(
        "s3 presigned URL",
        `GET of a presigned URL for ${key} answered HTTP ${answer.status}`,
        `check QDRANT_S3_ENDPOINT_URL and QDRANT_S3_REGION (a restore host must reach the same endpoint)`,
      ),
    );
  else if (!bytes.equals(body))
    checks.push(fail("s3 presigned URL", `GET of a presigned URL for ${key} gave other bytes`, "see the store's log"));
  else checks.push(ok("s3 presigned URL", "a presigned GET (fetch) gave back the probe's bytes"));
  checks.push(clockSkew(answer.headers.get("date"), (sent + received) / 2));
  return checks;
}

function clockSkew(date: string | null, localMs: number): Check {
  const check = "s3 clock skew";
  const server = date === null ? NaN : Date.parse(date);
  if (Number.isNaN(server)) return warn(check, "the store's answer has no Date header", "compare the clocks by hand");
  const skew = Math.round((localMs - server) / 1000);
  const detail = `this machine is ${Math.abs(skew)} s ${skew >= 0 ? "ahead of" : "behind"} the store (Date header)`;
  if (Math.abs(skew) > MAX_SKEW_S)
    return fail(check, detail, "set this machine's clock right (NTP): signatures are refused beyond 15 minutes");
  if (Math.abs(skew) > WARN_SKEW_S)
    return warn(check, detail, "set this machine's clock right (NTP): presigned URLs and retention ages use it");
  return ok(check, detail);
}
