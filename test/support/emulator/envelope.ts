/**
 * Qdrant's reply shapes: `{result, status:"ok", time}`, `{status:"accepted", time}` (202) and
 * `{status:{error}, time}` — the error and 202 forms carry no `result` key at all.
 */
import type { Readable } from "node:stream";
import { stringifyExact } from "./exact-json.js";

/** An error that maps to one HTTP status and one Qdrant error message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** Plain-text body instead of the JSON envelope (the auth middleware answers this way). */
    readonly plain = false,
  ) {
    super(message);
  }
}

export const notFound = (what: string): ApiError => new ApiError(404, `Not found: ${what}`);
export const wrongInput = (what: string): ApiError => new ApiError(400, `Wrong input: ${what}`);
export const badRequest = (what: string): ApiError => new ApiError(400, `Bad request: ${what}`);
export const serviceError = (what: string): ApiError => new ApiError(500, `Service internal error: ${what}`);
export const forbidden = (what: string): ApiError => new ApiError(403, `Forbidden: ${what}`);
export const collectionNotFound = (name: string): ApiError => notFound(`Collection \`${name}\` doesn't exist!`);
export const snapshotNotFound = (name: string): ApiError => notFound(`Snapshot ${name} not found`);

/** A complete answer: status, headers and a body (bytes or a stream). */
export interface Reply {
  status: number;
  headers: Record<string, string>;
  body: Buffer | Readable;
}

function jsonReply(status: number, value: unknown): Reply {
  const body = Buffer.from(stringifyExact(value));
  return { status, headers: { "content-type": "application/json" }, body };
}

/** Seconds since `startedAt` (a `performance.now()` reading), as Qdrant's float `time`. */
export function elapsed(startedAt: number): number {
  return (performance.now() - startedAt) / 1000;
}

export function okReply<T>(result: T, startedAt: number): Reply {
  return jsonReply(200, { result, status: "ok", time: elapsed(startedAt) });
}

export function acceptedReply(startedAt: number): Reply {
  return jsonReply(202, { status: "accepted", time: elapsed(startedAt) });
}

export function errorReply(err: ApiError, startedAt: number): Reply {
  if (err.plain) {
    return {
      status: err.status,
      headers: { "content-type": "text/plain; charset=utf-8" },
      body: Buffer.from(err.message),
    };
  }
  return jsonReply(err.status, { status: { error: err.message }, time: elapsed(startedAt) });
}

/** Turn anything thrown by a handler into an ApiError (unexpected ones become 500s). */
export function toApiError(e: unknown): ApiError {
  if (e instanceof ApiError) return e;
  const msg = e instanceof Error ? e.message : String(e);
  return serviceError(msg);
}
