// Qdrant's answers and failed connections as outcomes or QdrantErrors naming `method host path`.
import { parseExactJson } from "../lib/exact-json.js";
import { describeTlsError } from "../lib/tls.js";
import { QdrantError, type QdrantErrorKind } from "./errors.js";
import { isObject } from "./types.js";

/**
 * A successful Qdrant answer: `ok` with its result, or `accepted` (wait=false, 202). Hand-written: the OpenAPI
 * document spells the `{result, status, time}` envelope out inline for each path, with no schema of its own.
 */
export type Outcome = { status: "ok"; result: unknown } | { status: "accepted" };

export type Fail = (
  kind: QdrantErrorKind,
  status: number | undefined,
  detail: string,
  extra?: { retryAfterMs?: number; cause?: unknown },
) => QdrantError;

/** The QdrantError factory for one request: every error it makes names `method host path`. */
export function failFor(method: string, host: string, path: string): Fail {
  return (kind, status, detail, extra) =>
    new QdrantError(kind, method, host, path, status, detail, extra?.retryAfterMs, { cause: extra?.cause });
}

/** Unwraps Qdrant's `{result, status, time}` envelope, or throws the QdrantError the answer amounts to. */
export function toOutcome(
  fail: Fail,
  status: number,
  contentType: string,
  text: string,
  retryAfter: string | undefined,
): Outcome {
  let parsed: unknown;
  try {
    parsed = parseExactJson(text);
  } catch {
    const what = status >= 200 && status < 300 ? "invalid-response" : "http";
    const shown =
      status === 401
        ? text.trim().slice(0, 200)
        : `answered with a non-JSON body (${contentType || "no content type"}): ${shorten(text)}`;
    throw fail(what, status, shown, { retryAfterMs: parseRetryAfter(retryAfter) });
  }
  if (status >= 200 && status < 300) {
    if (!isObject(parsed)) throw fail("invalid-response", status, "answer is not a JSON object");
    if (parsed["status"] === "ok" && "result" in parsed) return { status: "ok", result: parsed["result"] };
    if (parsed["status"] === "accepted") return { status: "accepted" };
    throw fail("invalid-response", status, `unexpected envelope: ${shorten(text)}`);
  }
  const message =
    isObject(parsed) && isObject(parsed["status"]) && typeof parsed["status"]["error"] === "string"
      ? parsed["status"]["error"]
      : shorten(text);
  throw fail("http", status, message, { retryAfterMs: parseRetryAfter(retryAfter) });
}

export function shorten(text: string): string {
  const flat = text
    .replace(/<[^>]*>/g, " ")
    .replace(/\s+/g, " ")
    .trim();
  return flat.length > 300 ? `${flat.slice(0, 300)}…` : flat;
}

function parseRetryAfter(value: string | undefined): number | undefined {
  if (!value) return undefined;
  const secs = Number(value);
  if (Number.isFinite(secs) && secs >= 0) return secs * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

/**
 * A failed connection as a QdrantError: `tls` when the certificate (or a port without TLS) makes every try fail
 * the same way, so it is neither retried nor tried on the next item; `transport` (retryable) otherwise.
 */
export function transportFailure(fail: Fail, err: unknown): QdrantError {
  const tls = describeTlsError(err);
  return tls === undefined
    ? fail("transport", undefined, describeTransportError(err), { cause: err })
    : fail("tls", undefined, tls, { cause: err });
}

function describeTransportError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = (err as { code?: unknown }).code ?? (err.cause as { code?: unknown } | undefined)?.code;
  const causeMsg = err.cause instanceof Error ? err.cause.message : "";
  const text = [err.message, causeMsg].filter((m, i, all) => m && all.indexOf(m) === i).join(": ");
  if (code === "ECONNREFUSED") return `connection refused (is Qdrant running there? check the host list): ${text}`;
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return `host name not found (check the host list): ${text}`;
  return typeof code === "string" && !text.includes(code) ? `${code} ${text}` : text;
}
