/** Streaming a body into one S3 key through lib-storage's Upload: one PutObject when it fits a part, else multipart. */
import { AbortMultipartUploadCommand, S3Client } from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { Transform, type Readable } from "node:stream";

/**
 * Multipart uploads hold (parts in flight + 1) × part size in memory: 8 MiB parts, 2 in flight, ~24 MiB. S3 allows
 * 10,000 parts, so a body known to be larger than ~70 GiB gets proportionally larger parts; a body of unknown size
 * gets 16 MiB parts (up to ~150 GiB).
 */
const PART_SIZE = 8 * 1024 * 1024;
const PART_SIZE_UNKNOWN = 16 * 1024 * 1024;
const PARTS_IN_FLIGHT = 2;
const MAX_PARTS = 9_000; // below S3's 10,000, for headroom

/** The part size for a body of `size` bytes (undefined: unknown). */
function partSizeFor(size: number | undefined): number {
  if (size === undefined) return PART_SIZE_UNKNOWN;
  return Math.max(PART_SIZE, Math.ceil(size / MAX_PARTS));
}

/**
 * Streams `body` into `key`. Upload sends a body that fits one part as a single PutObject, a larger one in parts;
 * `signal` aborts it. On failure every stream of the chain is destroyed and no multipart upload is left behind.
 * One path for every size: a bare PutObject would save ~0.45 ms of CPU per small object (BENCHMARKS.md, "S3 calls").
 * @returns the number of bytes stored
 */
export async function uploadObject(
  client: S3Client,
  bucket: string,
  key: string,
  body: Readable,
  opts: { contentType: string; size: number | undefined; signal: AbortSignal },
): Promise<number> {
  let size = 0;
  const counted = body.pipe(
    new Transform({
      transform(chunk: Buffer, _encoding, done) {
        size += chunk.length;
        done(null, chunk);
      },
    }),
  );
  body.once("error", (err) => counted.destroy(err));
  // lib-storage aborts the multipart upload when a part fails (leavePartsOnError: false); a failed
  // CompleteMultipartUpload it leaves behind, so that one is aborted below.
  const upload = new Upload({
    client,
    params: { Bucket: bucket, Key: key, Body: counted, ContentType: opts.contentType },
    partSize: partSizeFor(opts.size),
    queueSize: PARTS_IN_FLIGHT,
    leavePartsOnError: false,
  });
  const onAbort = () => void upload.abort().catch(() => undefined);
  opts.signal.addEventListener("abort", onAbort, { once: true });
  try {
    await upload.done();
  } catch (err) {
    // Nothing more is read: every stream of the chain is torn down (a node's download with it), so no socket
    // is left waiting on a paused body, and lib-storage's uploaders stop at their next read.
    for (const stream of [counted, body]) stream.destroy();
    await abortMultipartUpload(client, bucket, key, upload.uploadId);
    throw err;
  } finally {
    opts.signal.removeEventListener("abort", onAbort);
  }
  return size;
}

/**
 * Aborts the multipart upload `uploadId` (if any) after a failed or interrupted Upload, so that no parts are left
 * (and billed) in the bucket. Not tied to the run's signal: it runs after an interrupt too, bounded by the client's
 * timeouts. An upload already gone (aborted by lib-storage, or completed after all) is fine; other errors are left
 * to the bucket's lifecycle rules: the upload's own error is the one to report.
 */
async function abortMultipartUpload(
  client: S3Client,
  bucket: string,
  key: string,
  uploadId: string | undefined,
): Promise<void> {
  if (uploadId === undefined) return;
  await client
    .send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }))
    .catch(() => undefined);
}
