import { EXIT, ToolError } from "../errors.js";

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

  /** 401/403 (the key is wrong or lacks rights) or a TLS failure (the host's certificate): no point in trying other items. */
  get refused(): boolean {
    return isRefusal(this.status) || this.kind === "tls";
  }

  /** Short status for the failed_snapshot_recovery file: `http-400`, `transport`, `timeout`, `invalid-response`. */
  get code(): string {
    return this.kind === "http" ? `http-${this.status}` : this.kind;
  }
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
