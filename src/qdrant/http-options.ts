// The settings of QdrantHttp (http.ts): the transport's for every call, and one call's.
import type { Logger } from "../log.js";
import type { CallKind } from "./errors.js";

/** Transport settings for every Qdrant call. */
export interface QdrantHttpOptions {
  apiKey: string | undefined;
  /** Time limit of one request in ms (CURL_TIMEOUT × 1000). */
  timeoutMs: number;
  /** Connect timeout in ms; default min(30 000, timeoutMs). */
  connectTimeoutMs?: number;
  /** Retries after a retryable failure (QDRANT_RETRIES). */
  retries: number;
  /** Aborted on SIGINT/SIGTERM. */
  signal: AbortSignal;
  log: Logger;
  /** Backoff base in ms (default 500); tests make it small. */
  retryBaseDelayMs?: number;
}

export interface CallOptions {
  body?: unknown;
  /** `changes` for a call that changes Qdrant: an ambiguous failure is not retried but thrown (see retryDecision); default `reads`. */
  kind?: CallKind;
}
