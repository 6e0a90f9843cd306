import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  S3Client,
  S3ServiceException,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { Readable, Transform } from "node:stream";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import type { Config } from "../config.js";
import { InterruptedError, UpstreamError } from "../errors.js";
import { describeTlsError } from "../lib/tls.js";
import type { SnapshotStore, StoredObject } from "../store/types.js";

export type { SnapshotStore };

/** Creates the S3 client: path-style for custom endpoints, the configured region, bounded SDK retries. */
export function createS3Client(config: Config): S3Client {
  const { endpoint, accessKeyId, secretAccessKey, region } = config.s3;
  const client = new S3Client({
    region,
    ...(endpoint ? { endpoint, forcePathStyle: true } : {}),
    ...(accessKeyId && secretAccessKey ? { credentials: { accessKeyId, secretAccessKey } } : {}),
    maxAttempts: config.retries + 1,
  });
  rememberServerOnError(client);
  return client;
}

/** The server (`https://host:port`) a failed request went to: the SDK's socket errors (e.g. TLS ones) do not say. */
const failedServers = new WeakMap<object, string>();

function rememberServerOnError(client: S3Client): void {
  client.middlewareStack.add(
    (next) => async (args) => {
      try {
        return await next(args);
      } catch (err) {
        const server = serverOf(args.request);
        if (typeof err === "object" && err !== null && server !== undefined && !failedServers.has(err)) failedServers.set(err, server);
        throw err;
      }
    },
    { step: "finalizeRequest", name: "rememberServerOnError" },
  );
}

function serverOf(request: unknown): string | undefined {
  if (typeof request !== "object" || request === null) return undefined;
  const [protocol, hostname, port]: unknown[] = ["protocol", "hostname", "port"].map((k) => Reflect.get(request, k));
  if (typeof hostname !== "string") return undefined;
  const scheme = typeof protocol === "string" ? `${protocol.replace(/:$/, "")}://` : "";
  return `${scheme}${hostname}${typeof port === "number" ? `:${port}` : ""}`;
}

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

/** A SnapshotStore over one bucket. Errors become UpstreamError (exit 4) naming the bucket, key and operation. */
export function createSnapshotStore(client: S3Client, bucket: string, signal: AbortSignal): SnapshotStore {
  const wrap = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      if (signal.aborted) throw new InterruptedError();
      throw new UpstreamError(`S3 ${what} failed: ${describeS3Error(err)}`, { cause: err });
    }
  };
  const list = (prefix: string, delimiter: string | undefined) => listObjects(client, bucket, prefix, delimiter, signal);
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
        getSignedUrl(client, new GetObjectCommand({ Bucket: bucket, Key: key }), {
          expiresIn: expirySeconds,
          signingDate: new Date(Date.now() + (client.config.systemClockOffset ?? 0)),
        }),
      ),
    put: (key, body, opts) =>
      wrap(`upload to ${at(key)}`, async () => {
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
        // lib-storage aborts the multipart upload when a part fails (leavePartsOnError: false), so nothing is left.
        const upload = new Upload({
          client,
          params: { Bucket: bucket, Key: key, Body: counted, ContentType: opts?.contentType ?? "application/octet-stream" },
          partSize: partSizeFor(opts?.size),
          queueSize: PARTS_IN_FLIGHT,
          leavePartsOnError: false,
        });
        const onAbort = () => void upload.abort().catch(() => undefined);
        signal.addEventListener("abort", onAbort, { once: true });
        try {
          await upload.done();
        } finally {
          signal.removeEventListener("abort", onAbort);
        }
        return size;
      }),
    get: (key, opts) =>
      wrap(`GET ${at(key)}`, async () => {
        const start = opts?.start ?? 0;
        try {
          const reply = await client.send(
            new GetObjectCommand({ Bucket: bucket, Key: key, ...(start > 0 ? { Range: `bytes=${start}-` } : {}) }),
            { abortSignal: signal },
          );
          if (!(reply.Body instanceof Readable)) throw new Error("the S3 client returned no stream body");
          const size = start > 0 ? Number(reply.ContentRange?.split("/")[1] ?? NaN) : Number(reply.ContentLength ?? NaN);
          return { body: reply.Body, size };
        } catch (err) {
          if (err instanceof S3ServiceException && err.name === "NoSuchKey") return undefined;
          throw err;
        }
      }),
    head: (key) =>
      wrap(`HEAD ${at(key)}`, async () => {
        try {
          const reply = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: signal });
          return { key, size: Number(reply.ContentLength ?? 0), lastModified: reply.LastModified ?? new Date(0) };
        } catch (err) {
          // HEAD has no body: a missing key and a missing bucket both come back as NotFound; the bucket was listed or
          // written before any head, so NotFound here means the key.
          if (err instanceof S3ServiceException && (err.name === "NotFound" || err.name === "NoSuchKey")) return undefined;
          throw err;
        }
      }),
    delete: (key) =>
      wrap(`DELETE ${at(key)}`, async () => {
        await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: signal });
      }),
  };
}

/**
 * Every key and common prefix under `prefix`, following continuation tokens past 1,000 keys.
 * @param delimiter `/` for one level (common prefixes), undefined for a recursive listing
 */
export async function listObjects(
  client: S3Client,
  bucket: string,
  prefix: string,
  delimiter: string | undefined,
  signal?: AbortSignal,
): Promise<{ keys: string[]; objects: StoredObject[]; prefixes: string[] }> {
  const keys: string[] = [];
  const objects: StoredObject[] = [];
  const prefixes: string[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, Delimiter: delimiter, ContinuationToken: token }),
      signal ? { abortSignal: signal } : {},
    );
    for (const o of page.Contents ?? []) {
      if (o.Key === undefined) continue;
      keys.push(o.Key);
      objects.push({ key: o.Key, size: o.Size ?? 0, lastModified: o.LastModified ?? new Date(0) });
    }
    for (const p of page.CommonPrefixes ?? []) if (p.Prefix !== undefined) prefixes.push(p.Prefix);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return { keys, objects, prefixes };
}

/** A short, secret-free description of an S3 SDK error: its code, HTTP status and message. */
export function describeS3Error(err: unknown): string {
  // Not retried by the SDK either (it is no transient error): one attempt, then this names the cause and the cure.
  const tls = describeTlsError(err, typeof err === "object" && err !== null ? failedServers.get(err) : undefined);
  if (tls !== undefined) return tls;
  if (err instanceof S3ServiceException) {
    const status = err.$metadata.httpStatusCode;
    return `${err.name}${status ? ` (HTTP ${status})` : ""}: ${err.message}`;
  }
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return `${typeof code === "string" ? `${code}: ` : ""}${err.message}`;
  }
  return String(err);
}
