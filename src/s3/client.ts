import {
  AbortMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  type ServiceInputTypes,
  type ServiceOutputTypes,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { Readable, Transform } from "node:stream";
import { getSignedUrl, S3RequestPresigner } from "@aws-sdk/s3-request-presigner";
import type { Config } from "../config.js";
import type { Logger } from "../log.js";
import { InterruptedError, UpstreamError } from "../errors.js";
import { describeTlsError } from "../lib/tls.js";
import type { SnapshotStore, StoredObject } from "../store/types.js";

export type { SnapshotStore };

/** Longest wait for a TCP (and TLS) connection, ms, for S3 and Qdrant alike; CURL_TIMEOUT caps it. */
export const CONNECT_TIMEOUT_MS = 30_000;

/**
 * Creates the S3 client: path-style for custom endpoints, the configured region, bounded SDK retries, and every
 * request bounded through the SDK's own NodeHttpHandler: connecting within min(30 s, CURL_TIMEOUT), the answer's
 * headers within CURL_TIMEOUT of the start (an upload part's bytes included), and no pause longer than CURL_TIMEOUT
 * on the socket while a body streams either way (a streamed download is bounded by idle time, not total time).
 * Checksums are sent only where S3 requires them (no streamed checksum trailers).
 */
export function createS3Client(config: Config, log?: Pick<Logger, "level" | "debug">): S3Client {
  const { endpoint, accessKeyId, secretAccessKey, region } = config.s3;
  const timeoutMs = config.requestTimeoutMs;
  const client = new S3Client({
    region,
    ...(endpoint ? { endpoint, forcePathStyle: true } : {}),
    ...(accessKeyId && secretAccessKey ? { credentials: { accessKeyId, secretAccessKey } } : {}),
    maxAttempts: config.retries + 1,
    // Checksums only where S3 requires them: the SDK's default sends a streamed body as aws-chunked with a checksum
    // trailer, which Ceph's RADOS Gateway (16.x) refuses with 411 and other S3-compatible stores with 400.
    requestChecksumCalculation: "WHEN_REQUIRED",
    requestHandler: {
      connectionTimeout: Math.min(CONNECT_TIMEOUT_MS, timeoutMs),
      requestTimeout: timeoutMs,
      throwOnRequestTimeout: true,
      socketTimeout: timeoutMs,
    },
  });
  rememberServerOnError(client, timeoutMs);
  if (log?.level === "verbose") traceRequests(client, log);
  return client;
}

/**
 * --verbose: one line per S3 request attempt, as for Qdrant: method, endpoint, bucket and key (the path; never the
 * query, where a credential could be), status and duration.
 */
function traceRequests(client: S3Client, log: Pick<Logger, "debug">): void {
  client.middlewareStack.add(
    (next) => async (args) => {
      const request: unknown = args.request;
      const method = typeof request === "object" && request !== null ? String(Reflect.get(request, "method") ?? "") : "";
      const path = typeof request === "object" && request !== null ? String(Reflect.get(request, "path") ?? "") : "";
      const where = `S3 ${method} ${serverOf(request) ?? ""}${path}`;
      const started = performance.now();
      const ms = () => Math.round(performance.now() - started);
      try {
        const out = await next(args);
        const status: unknown = Reflect.get(Object(out.response), "statusCode");
        log.debug(`${where} ${typeof status === "number" ? status : "-"} ${ms()} ms`);
        return out;
      } catch (err) {
        const status: unknown = Reflect.get(Object(Reflect.get(Object(err), "$metadata")), "httpStatusCode");
        log.debug(`${where} ${typeof status === "number" ? status : "-"} ${ms()} ms (${Reflect.get(Object(err), "name") ?? "error"})`);
        throw err;
      }
    },
    // Inside the SDK's retry loop and after signing: each attempt, as sent.
    { step: "finalizeRequest", name: "traceRequests", priority: "low" },
  );
}

/** Where a failed request went (`https://host:port`: the SDK's socket errors do not say) and the timeout it had. */
const failedServers = new WeakMap<object, { server: string; timeoutMs: number }>();

function rememberServerOnError(client: S3Client, timeoutMs: number): void {
  client.middlewareStack.add(
    (next) => async (args) => {
      try {
        return await next(args);
      } catch (err) {
        const server = serverOf(args.request);
        if (typeof err === "object" && err !== null && server !== undefined && !failedServers.has(err)) failedServers.set(err, { server, timeoutMs });
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

/**
 * A body of at most this many bytes is sent with one PutObject (what lib-storage's Upload does too for a body that fits
 * one part) without going through Upload, whose machinery costs about as much CPU again as the request for a small
 * object such as backup metadata. Larger bodies, or bodies that turn out larger, stream through Upload as before.
 */
const SINGLE_PUT_MAX = 1024 * 1024;

/** What `client.send(command, { abortSignal })` does, with the resolved middleware handler kept per command class. */
type Send = <I extends ServiceInputTypes, O extends ServiceOutputTypes>(command: SdkCommand<I, O>) => Promise<O>;

/** The part of an SDK command this uses: its input and Command.resolveMiddleware (public API). */
interface SdkCommand<I extends ServiceInputTypes, O extends ServiceOutputTypes> {
  readonly input: I;
  resolveMiddleware(
    stack: S3Client["middlewareStack"],
    config: S3Client["config"],
    options: { abortSignal?: AbortSignal },
  ): (args: { input: I }) => Promise<{ output: O }>;
}

/**
 * `client.send` resolves the client's whole middleware stack (about forty steps, cloned and sorted) for every request,
 * unless the options are undefined and the client caches (its `cacheMiddleware`); our requests carry the run's abort
 * signal, so this keeps the handler per command class with that one, fixed signal (or none): the SDK's own cache,
 * with options.
 */
function cachedSend(client: S3Client, signal: AbortSignal | undefined): Send {
  const handlers = new Map<unknown, unknown>();
  const options = signal === undefined ? {} : { abortSignal: signal };
  return <I extends ServiceInputTypes, O extends ServiceOutputTypes>(command: SdkCommand<I, O>): Promise<O> => {
    // Keyed by the command's class: one handler per class, as the SDK's own cache keeps them.
    let handler = handlers.get(command.constructor) as ((args: { input: I }) => Promise<{ output: O }>) | undefined;
    if (handler === undefined) {
      handler = command.resolveMiddleware(client.middlewareStack, client.config, options);
      handlers.set(command.constructor, handler);
    }
    return handler(command).then((result) => result.output);
  };
}

/**
 * `work`, or a rejection as soon as `signal` aborts while `work` goes on (as lib-storage's Upload does with its
 * single PutObject: the put stops waiting, the request is not cut, so an object already on its way still lands).
 */
function unlessAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  work.catch(() => undefined);
  if (signal.aborted) return Promise.reject(new InterruptedError());
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(new InterruptedError());
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

/** A presigned GET URL for `key`, valid `expiresIn` seconds from `signingDate`. */
export type PresignGet = (key: string, expiresIn: number, signingDate: Date) => Promise<string>;

/**
 * Presigned GETs for one bucket, byte for byte what getSignedUrl gives, at a tenth of its CPU.
 *
 * getSignedUrl resolves the endpoint, builds a presigner and clones and resolves the client's middleware stack for
 * every URL (0.2–0.3 ms of CPU each; recover_snap signs one per snapshot and restore host). Here the first URL comes
 * from getSignedUrl and teaches the rest: the endpoint's scheme, host and path prefix, the query parameters the SDK's
 * middleware adds (`x-id`, `x-amz-checksum-mode`…), the signing region and service. Every later URL is that request
 * with the key's path (the SDK's greedy-label encoding), signed by the SDK's own presigner, kept between calls.
 * The lesson is checked before it is used: rebuilt for the first key and date, it must equal getSignedUrl's URL
 * exactly, or every URL keeps coming from getSignedUrl (an endpoint or a client setting this does not know).
 */
export function createGetPresigner(client: S3Client, bucket: string): PresignGet {
  const sdk: PresignGet = (key, expiresIn, signingDate) =>
    getSignedUrl(client, new GetObjectCommand({ Bucket: bucket, Key: key }), { expiresIn, signingDate });
  let learnt: Promise<PresignGet | undefined> | undefined;
  // A signature covers the date to the second (X-Amz-Date): within one second, the same key and lifetime give the
  // same URL, which recover_snap asks for once per restore host. The URLs of the current second are kept.
  let second = "";
  let urls = new Map<string, Promise<string>>();
  const signed = (key: string, expiresIn: number, signingDate: Date): Promise<string> => {
    const stamp = signingDate.toISOString().slice(0, 19);
    if (stamp !== second) {
      second = stamp;
      urls = new Map();
    }
    const id = `${expiresIn}\u0000${key}`;
    const known = urls.get(id);
    if (known !== undefined) return known;
    const url = learnt!.then((fast) => (fast ? fast(key, expiresIn, signingDate) : sdk(key, expiresIn, signingDate)));
    urls.set(id, url);
    url.catch(() => urls.delete(id));
    return url;
  };
  return async (key, expiresIn, signingDate) => {
    if (learnt === undefined) {
      const first = sdk(key, expiresIn, signingDate);
      learnt = first.then((url) => learnGetPresigner(client, key, expiresIn, signingDate, url)).catch(() => undefined);
      return first;
    }
    return signed(key, expiresIn, signingDate);
  };
}

/** The query parameters of a presigned URL that the signature itself produces (the rest come from the SDK's middleware). */
const SIGNATURE_PARAMS = new Set([
  "X-Amz-Algorithm",
  "X-Amz-Content-Sha256",
  "X-Amz-Credential",
  "X-Amz-Date",
  "X-Amz-Expires",
  "X-Amz-Security-Token",
  "X-Amz-Signature",
  "X-Amz-SignedHeaders",
]);

/**
 * The fast presigner that `url` (getSignedUrl's URL for `key`, `expiresIn` and `signingDate`) teaches, or undefined
 * when rebuilding that very URL from the lesson does not give it back exactly. Exported for its test.
 */
export async function learnGetPresigner(client: S3Client, key: string, expiresIn: number, signingDate: Date, url: string): Promise<PresignGet | undefined> {
  const m = /^(https?:)\/\/([^/?#]+)(\/[^?#]*)\?([^#]*)$/.exec(url);
  if (!m) return undefined;
  const [, protocol = "", host = "", path = "", query = ""] = m;
  const keyPath = greedyLabelPath(key);
  if (!path.endsWith(keyPath)) return undefined;
  const prefix = path.slice(0, path.length - keyPath.length);
  const hostMatch = /^(.*?)(?::(\d+))?$/.exec(host);
  const hostname = hostMatch?.[1] ?? host;
  const port = hostMatch?.[2] === undefined ? undefined : Number(hostMatch[2]);
  const extra: Record<string, string> = {};
  let credential: string | undefined;
  for (const pair of query.split("&")) {
    const at = pair.indexOf("=");
    const name = decodeURIComponent(at === -1 ? pair : pair.slice(0, at));
    const value = at === -1 ? "" : decodeURIComponent(pair.slice(at + 1));
    if (name === "X-Amz-Credential") credential = value;
    if (!SIGNATURE_PARAMS.has(name)) extra[name] = value;
  }
  // access-key/date/region/service/aws4_request
  const [, , region, service] = credential?.split("/") ?? [];
  if (region === undefined || service === undefined) return undefined;
  const presigner = new S3RequestPresigner({ ...client.config, signingName: service, region: async () => region });
  const fast: PresignGet = async (k, expires, date) => {
    const signed = await presigner.presign(
      { method: "GET", protocol, hostname, port, path: prefix + greedyLabelPath(k), query: { ...extra }, headers: {} },
      { expiresIn: expires, signingDate: date, signingRegion: region, signingService: service },
    );
    return formatPresignedUrl(signed);
  };
  return (await fast(key, expiresIn, signingDate)) === url ? fast : undefined;
}

/** The SDK's serialisation of a greedy `{Key+}` label: each `/`-separated segment URI-encoded, RFC 3986 strict. */
function greedyLabelPath(key: string): string {
  return `/${key.split("/").map(strictEncode).join("/")}`;
}

function strictEncode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** The URL of a signed request, as the SDK's formatUrl writes it: query keys sorted, strictly encoded. */
function formatPresignedUrl(request: { protocol: string; hostname: string; port?: number; path: string; query?: Record<string, string | string[] | null> }): string {
  const parts: string[] = [];
  for (const name of Object.keys(request.query ?? {}).sort()) {
    const value = request.query?.[name];
    const k = strictEncode(name);
    if (Array.isArray(value)) for (const v of value) parts.push(`${k}=${strictEncode(v)}`);
    else parts.push(value || typeof value === "string" ? `${k}=${strictEncode(value)}` : k);
  }
  const host = request.port ? `${request.hostname}:${request.port}` : request.hostname;
  return `${request.protocol}//${host}${request.path}${parts.length > 0 ? `?${parts.join("&")}` : ""}`;
}

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
            await unlessAborted(sendDetached(new PutObjectCommand({ Bucket: bucket, Key: key, Body: data, ContentType: contentType })), signal);
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
          const reply = await send(new GetObjectCommand({ Bucket: bucket, Key: key, ...(start > 0 ? { Range: `bytes=${start}-` } : {}) }));
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
          const reply = await send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
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
async function abortMultipartUpload(client: S3Client, bucket: string, key: string, uploadId: string | undefined): Promise<void> {
  if (uploadId === undefined) return;
  await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId })).catch(() => undefined);
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
  const failed = typeof err === "object" && err !== null ? failedServers.get(err) : undefined;
  const tls = describeTlsError(err, failed?.server);
  if (tls !== undefined) return tls;
  if (failed !== undefined && err instanceof Error && err.name === "TimeoutError") {
    const what = /inactivity/.test(err.message) ? "nothing received" : /connect/i.test(err.message) ? "no connection" : "no answer";
    return `${what} from ${failed.server} within ${formatSeconds(failed.timeoutMs)} (CURL_TIMEOUT)`;
  }
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

function formatSeconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}
