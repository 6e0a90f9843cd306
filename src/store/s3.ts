/** The S3 destination: a SnapshotStore over one bucket, streaming puts (multipart past one part) and gets. */
import {
  AbortMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { Readable, Transform } from "node:stream";
import { InterruptedError, UpstreamError } from "../errors.js";
import { describeS3Error } from "../s3/client.js";
import { listObjects } from "../s3/list.js";
import { unquoteEtag } from "../s3/objects.js";
import { createGetPresigner } from "../s3/presign.js";
import { cachedSend, unlessAborted } from "../s3/send.js";
import type { SnapshotStore } from "./types.js";

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
export function partSizeFor(size: number | undefined): number {
  if (size === undefined) return PART_SIZE_UNKNOWN;
  return Math.max(PART_SIZE, Math.ceil(size / MAX_PARTS));
}

/**
 * A body of at most this many bytes is sent with one PutObject (what lib-storage's Upload does too for a body that fits
 * one part) without going through Upload, whose machinery costs about as much CPU again as the request for a small
 * object such as backup metadata. Larger bodies, or bodies that turn out larger, stream through Upload as before.
 */
const SINGLE_PUT_MAX = 1024 * 1024;

/** A SnapshotStore over one bucket. Errors become UpstreamError (exit 4) naming the bucket, key and operation. */
export function createSnapshotStore(client: S3Client, bucket: string, signal: AbortSignal): SnapshotStore {
  const send = cachedSend(client, signal);
  const sendDetached = cachedSend(client, undefined);
  const presign = createGetPresigner(client, bucket);
  const wrap = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      if (signal.aborted) throw new InterruptedError();
      throw new UpstreamError(`S3 ${what} failed: ${describeS3Error(err)}`, { cause: err });
    }
  };
  const list = (prefix: string, delimiter: string | undefined) =>
    listObjects(client, bucket, prefix, delimiter, signal);
  const at = (key: string) => `s3://${bucket}/${key}`;
  return {
    kind: "s3",
    location: `s3://${bucket}`,
    listKeys: (prefix) => wrap(`listing ${at(prefix)}`, async () => (await list(prefix, undefined)).keys),
    listObjects: (prefix) => wrap(`listing ${at(prefix)}`, async () => (await list(prefix, undefined)).objects),
    listPrefixes: (prefix) => wrap(`listing ${at(prefix)}`, async () => (await list(prefix, "/")).prefixes),
    presignGet: (key, expirySeconds) =>
      wrap(`presigning ${at(key)}`, () =>
        // Signed at the server's time when the SDK has learnt the clock's skew from an S3 answer (RequestTimeTooSkewed):
        // the presigner itself ignores that offset, and a slow clock would hand restore hosts an expired link.
        presign(key, expirySeconds, new Date(Date.now() + (client.config.systemClockOffset ?? 0))),
      ),
    put: (key, body, opts) =>
      wrap(`upload to ${at(key)}`, async () => {
        const contentType = opts?.contentType ?? "application/octet-stream";
        // A small body (backup metadata, state files) goes up in one PutObject, as Upload would send it; the first
        // SINGLE_PUT_MAX bytes are read to find out, then a larger body streams on through Upload.
        const head: Buffer[] = [];
        let headBytes = 0;
        const chunks = body[Symbol.asyncIterator]();
        let ended = false;
        if (opts?.size === undefined || opts.size <= SINGLE_PUT_MAX) {
          while (headBytes <= SINGLE_PUT_MAX) {
            const next = (await chunks.next()) as IteratorResult<Buffer | string>;
            if (next.done) {
              ended = true;
              break;
            }
            const chunk = Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value);
            head.push(chunk);
            headBytes += chunk.length;
          }
          if (ended) {
            const data = Buffer.concat(head, headBytes);
            await unlessAborted(
              sendDetached(new PutObjectCommand({ Bucket: bucket, Key: key, Body: data, ContentType: contentType })),
              signal,
            );
            return headBytes;
          }
        }
        const rest = head.length === 0 ? body : Readable.from(restOf(head, chunks));
        if (rest !== body) body.once("error", (err) => rest.destroy(err));
        let size = 0;
        const counted = rest.pipe(
          new Transform({
            transform(chunk: Buffer, _encoding, done) {
              size += chunk.length;
              done(null, chunk);
            },
          }),
        );
        rest.once("error", (err) => counted.destroy(err));
        // lib-storage aborts the multipart upload when a part fails (leavePartsOnError: false); a failed
        // CompleteMultipartUpload it leaves behind, so that one is aborted below.
        const upload = new Upload({
          client,
          params: { Bucket: bucket, Key: key, Body: counted, ContentType: contentType },
          partSize: partSizeFor(opts?.size),
          queueSize: PARTS_IN_FLIGHT,
          leavePartsOnError: false,
        });
        const onAbort = () => void upload.abort().catch(() => undefined);
        signal.addEventListener("abort", onAbort, { once: true });
        try {
          await upload.done();
        } catch (err) {
          // Nothing more is read: every stream of the chain is torn down (a node's download with it), so no socket
          // is left waiting on a paused body, and lib-storage's uploaders stop at their next read.
          for (const stream of [counted, rest, body]) stream.destroy();
          await abortMultipartUpload(client, bucket, key, upload.uploadId);
          throw err;
        } finally {
          signal.removeEventListener("abort", onAbort);
        }
        return size;
      }),
    get: (key, opts) =>
      wrap(`GET ${at(key)}`, async () => {
        const start = opts?.start ?? 0;
        try {
          const reply = await send(
            new GetObjectCommand({ Bucket: bucket, Key: key, ...(start > 0 ? { Range: `bytes=${start}-` } : {}) }),
          );
          if (!(reply.Body instanceof Readable)) throw new Error("the S3 client returned no stream body");
          const size =
            start > 0 ? Number(reply.ContentRange?.split("/")[1] ?? NaN) : Number(reply.ContentLength ?? NaN);
          return { body: reply.Body, size };
        } catch (err) {
          if (err instanceof S3ServiceException && err.name === "NoSuchKey") return undefined;
          throw err;
        }
      }),
    head: (key) =>
      wrap(`HEAD ${at(key)}`, async () => {
        try {
          const reply = await send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
          return {
            key,
            size: Number(reply.ContentLength ?? 0),
            lastModified: reply.LastModified ?? new Date(0),
            etag: unquoteEtag(reply.ETag ?? ""),
          };
        } catch (err) {
          // HEAD has no body: a missing key and a missing bucket both come back as NotFound; the bucket was listed or
          // written before any head, so NotFound here means the key.
          if (err instanceof S3ServiceException && (err.name === "NotFound" || err.name === "NoSuchKey"))
            return undefined;
          throw err;
        }
      }),
    delete: (key) =>
      wrap(`DELETE ${at(key)}`, async () => {
        await send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
      }),
  };
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

/** The chunks already read from a body, then the rest of it. */
async function* restOf(head: Buffer[], chunks: AsyncIterator<unknown>): AsyncGenerator<Buffer | string> {
  yield* head;
  for (;;) {
    const next = await chunks.next();
    if (next.done) return;
    yield next.value as Buffer | string;
  }
}
