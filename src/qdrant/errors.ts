import { EXIT, ToolError } from "../errors.js";
import type { RetryDecision } from "../lib/retry.js";

/** What went wrong with one Qdrant request; `tls`: a handshake failure no retry fixes (untrusted, expired or misnamed certificate). */
export type QdrantErrorKind = "http" | "transport" | "timeout" | "invalid-response" | "tls";

/**
 * One error type for every failed Qdrant call: method, host, path, status and a short body.
 * The message never contains the API key; URLs in bodies are redacted again by the logger.
 */
export class QdrantError extends ToolError {
  constructor(
    readonly kind: QdrantErrorKind,
    readonly method: string,
    readonly host: string,
    readonly path: string,
    readonly status: number | undefined,
    readonly detail: string,
    readonly retryAfterMs?: number,
    options?: { cause?: unknown },
  ) {
    const where = `${method} ${host}${path}`;
    const what = status === undefined ? detail : `${status} ${detail}`;
    // Thrown to the top it means Qdrant failed us (exit 4); commands catch per-item failures and count them instead.
    super(`${where}: ${what}`, EXIT.upstream, options);
  }

  /**
   * Transport errors, 429 and 502/503/504 are worth another try; so is a recovery the node refused because its own
   * download of the snapshot got a transient answer from the storage (see {@link isTransientDownloadFailure}).
   * Other answers are final.
   */
  get retryable(): boolean {
    if (this.kind === "transport" || this.kind === "timeout") return true;
    if (this.status === 400 && isTransientDownloadFailure(this.detail)) return true;
    return this.status === 429 || this.status === 502 || this.status === 503 || this.status === 504;
  }

  /**
   * Whether the node may have carried out the request although it failed: a timeout, a connection lost after the
   * request went out, or 502/503/504 (an ingress or proxy answering for a node that may still be working). A call
   * that changes Qdrant is never sent again after such a failure: the caller looks first (see {@link retryDecision}).
   * A refused connection, an unknown host or a connect timeout never reached the node, and 429 is the node saying no.
   */
  get ambiguous(): boolean {
    if (this.kind === "timeout") return true;
    if (this.kind === "transport") return !neverSent(this.cause);
    return this.status === 502 || this.status === 503 || this.status === 504;
  }

  /** 401/403 (the key is wrong or lacks rights) or a TLS failure (the host's certificate): no point in trying other items. */
  get refused(): boolean {
    return isRefusal(this.status) || this.kind === "tls";
  }

  /** Short status for the failed_snapshot_recovery file: `http-400`, `transport`, `timeout`, `invalid-response`. */
  get code(): string {
    return this.kind === "http" ? `http-${this.status}` : this.kind;
  }
}

/** What a Qdrant call is: `reads` cannot change anything (GET, listings, count, scroll); `changes` can (snapshot create, recover, upload). */
export type CallKind = "reads" | "changes";

/**
 * The one retry classification of Qdrant calls. A call that only reads is retried on every retryable failure
 * ({@link QdrantError.retryable}); a call that changes Qdrant only when the failure proves the node did nothing
 * (a refused connection, 429, a recovery whose own download failed): an ambiguous one ({@link QdrantError.ambiguous})
 * is thrown to the caller, which resolves it by looking (backup/ambiguous-create.ts, backup/ambiguous-recover.ts).
 */
export function retryDecision(err: unknown, call: CallKind): RetryDecision {
  if (!(err instanceof QdrantError) || !err.retryable) return { retry: false };
  if (call === "changes" && err.ambiguous) return { retry: false };
  return { retry: true, ...(err.retryAfterMs !== undefined ? { afterMs: err.retryAfterMs } : {}) };
}

/** Whether a transport failure happened before the request reached the node (connect refused or timed out, DNS). */
function neverSent(cause: unknown): boolean {
  const codes = [
    (cause as { code?: unknown } | undefined)?.code,
    ((cause as { cause?: unknown } | undefined)?.cause as { code?: unknown } | undefined)?.code,
  ];
  return codes.some(
    (c) =>
      c === "ECONNREFUSED" ||
      c === "ENOTFOUND" ||
      c === "EAI_AGAIN" ||
      c === "UND_ERR_CONNECT_TIMEOUT" ||
      c === "EHOSTUNREACH" ||
      c === "ENETUNREACH",
  );
}

/**
 * Qdrant answers a recovery by URL whose download got a non-2xx status with a 400 `Failed to download tar from
 * {url}: status - 503 Service Unavailable` (`… snapshot from …` before 1.17). The download comes before anything is
 * changed, so when that status is transient (429, 5xx: the storage throttling or failing) sending the recovery again
 * is safe, and is what makes a restore survive a flaky bucket.
 */
export function isTransientDownloadFailure(detail: string): boolean {
  // The colon may be gone when the presigned URL before it was already redacted.
  return /Failed to download (?:tar|snapshot) from \S+:? status - (?:429|5\d\d)\b/.test(detail);
}

function isRefusal(status: number | undefined): boolean {
  return status === 401 || status === 403;
}
