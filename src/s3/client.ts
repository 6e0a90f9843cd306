/** The S3 client of a run: endpoint, region, timeouts, retries, request traces, and what its errors say. */
import { S3Client, S3ServiceException } from "@aws-sdk/client-s3";
import type { Config } from "../config.js";
import type { Logger } from "../log.js";
import { describeTlsError } from "../lib/tls.js";

/** Longest wait for a TCP (and TLS) connection, ms, for S3 and Qdrant alike; CURL_TIMEOUT caps it. */
export const CONNECT_TIMEOUT_MS = 30_000;

/**
 * Creates the S3 client: path-style for custom endpoints, the configured region, bounded SDK retries, and every
 * request bounded through the SDK's own NodeHttpHandler: connecting within min(30 s, CURL_TIMEOUT), the answer's
 * headers within CURL_TIMEOUT of the start (an upload part's bytes included), and no pause longer than CURL_TIMEOUT
 * on the socket while a body streams either way (a streamed download is bounded by idle time, not total time).
 * Checksums are sent only where S3 requires them (no streamed checksum trailers). Connections are kept alive by the
 * handler's own agents (keep-alive, 50 sockets); a failed request is retried by the SDK alone (QDRANT_RETRIES).
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
      const method =
        typeof request === "object" && request !== null ? String(Reflect.get(request, "method") ?? "") : "";
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
        log.debug(
          `${where} ${typeof status === "number" ? status : "-"} ${ms()} ms (${Reflect.get(Object(err), "name") ?? "error"})`,
        );
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
        if (typeof err === "object" && err !== null && server !== undefined && !failedServers.has(err))
          failedServers.set(err, { server, timeoutMs });
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

/** A short, secret-free description of an S3 SDK error: its code, HTTP status and message. */
export function describeS3Error(err: unknown): string {
  // Not retried by the SDK either (it is no transient error): one attempt, then this names the cause and the cure.
  const failed = typeof err === "object" && err !== null ? failedServers.get(err) : undefined;
  const tls = describeTlsError(err, failed?.server);
  if (tls !== undefined) return tls;
  if (failed !== undefined && err instanceof Error && err.name === "TimeoutError") {
    const what = /inactivity/.test(err.message)
      ? "nothing received"
      : /connect/i.test(err.message)
        ? "no connection"
        : "no answer";
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
