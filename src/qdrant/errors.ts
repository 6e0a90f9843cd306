import { EXIT, ToolError } from "../errors.js";

/** What went wrong with one Qdrant request. */
export type QdrantErrorKind = "http" | "transport" | "timeout" | "invalid-response";

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

  /** Transport errors, 429 and 502/503/504 are worth another try; other answers are final. */
  get retryable(): boolean {
    if (this.kind === "transport" || this.kind === "timeout") return true;
    return this.status === 429 || this.status === 502 || this.status === 503 || this.status === 504;
  }

  /** 401/403: the key is wrong or lacks rights; no point in trying other items. */
  get refused(): boolean {
    return isRefusal(this.status);
  }

  /** Short status for the failed_snapshot_recovery file: `http-400`, `transport`, `timeout`, `invalid-response`. */
  get code(): string {
    return this.kind === "http" ? `http-${this.status}` : this.kind;
  }
}

function isRefusal(status: number | undefined): boolean {
  return status === 401 || status === 403;
}
