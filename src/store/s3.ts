/** The S3 destination: a SnapshotStore over one bucket, listings, presigned GETs, streamed puts (s3-upload.ts) and gets. */
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  S3Client,
  S3ServiceException,
} from "@aws-sdk/client-s3";
import { Readable } from "node:stream";
import { InterruptedError, UpstreamError } from "../errors.js";
import { describeS3Error } from "../s3/client.js";
import { listObjects } from "../s3/list.js";
import { unquoteEtag } from "../s3/objects.js";
import { createGetPresigner } from "../s3/presign.js";
import { uploadObject } from "./s3-upload.js";
import type { SnapshotStore } from "./types.js";

/** A SnapshotStore over one bucket. Errors become UpstreamError (exit 4) naming the bucket, key and operation. */
export function createSnapshotStore(client: S3Client, bucket: string, signal: AbortSignal): SnapshotStore {
  // The SDK caches its resolved middleware only for calls without options, and ours carry the run's signal: 0.1–0.2 ms
  // more CPU per call than a cache of our own (BENCHMARKS.md, "S3 calls"), not worth one.
  const options = { abortSignal: signal };
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
      wrap(`upload to ${at(key)}`, () =>
        uploadObject(client, bucket, key, body, {
          contentType: opts?.contentType ?? "application/octet-stream",
          size: opts?.size,
          signal,
        }),
      ),
    get: (key, opts) =>
      wrap(`GET ${at(key)}`, async () => {
        const start = opts?.start ?? 0;
        try {
          const reply = await client.send(
            new GetObjectCommand({ Bucket: bucket, Key: key, ...(start > 0 ? { Range: `bytes=${start}-` } : {}) }),
            options,
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
          const reply = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }), options);
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
        await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }), options);
      }),
  };
}
