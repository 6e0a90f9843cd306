// Middlewares that run before s3rver's own chain: the admin route, fault injection, and the
// "no credentials → 403" rule that s3rver lacks (it serves anonymous requests).
import type { FaultInjector } from "./fault-injector.js";
import { FAULTS_PATH, parseFaultCommand } from "./fault-spec.js";
import { classifyOperation, readBucket } from "./s3-operation.js";
import type { FilesystemStore, KoaContext, Middleware, S3ErrorClass } from "./s3rver-internals.js";
import { applyBackdate, BACKDATE_PATH, parseBackdate } from "./backdate.js";

const FAULT_MESSAGES = {
  InternalError: "We encountered an internal error. Please try again.",
  ServiceUnavailable: "Service is unable to handle request.",
  SlowDown: "Please reduce your request rate.",
} as const;

/**
 * Serves POST /__admin/faults (JSON S3FaultSpec or `{ clear: true, bucket? }`) and POST /__admin/backdate
 * (`{bucket, key, lastModified}`, backdate.ts), and nothing else under /__admin/.
 */
export function createAdminRoute(injector: FaultInjector, store: FilesystemStore): Middleware {
  return async (ctx, next) => {
    if (!ctx.path.startsWith("/__admin/")) return next();
    if (ctx.path === BACKDATE_PATH && ctx.method === "POST") {
      try {
        const command = parseBackdate(JSON.parse(await readBody(ctx)));
        if (await applyBackdate(store, command)) sendJson(ctx, 200, { ok: true });
        else sendJson(ctx, 404, { error: `no object ${JSON.stringify(command.key)} in bucket ${command.bucket}` });
      } catch (err) {
        sendJson(ctx, 400, { error: err instanceof Error ? err.message : String(err) });
      }
      return;
    }
    if (ctx.path !== FAULTS_PATH || ctx.method !== "POST") {
      sendJson(ctx, 404, { error: `only POST ${FAULTS_PATH} and POST ${BACKDATE_PATH} exist` });
      return;
    }
    try {
      const command = parseFaultCommand(JSON.parse(await readBody(ctx)));
      if (command.kind === "clear") injector.clear(command.bucket);
      else injector.setRule(command.spec);
      sendJson(ctx, 200, { ok: true });
    } catch (err) {
      sendJson(ctx, 400, { error: err instanceof Error ? err.message : String(err) });
    }
  };
}

/** Fails matching requests with an S3 XML error before they reach authentication. */
export function createFaultMiddleware(injector: FaultInjector, S3Error: S3ErrorClass): Middleware {
  return async (ctx, next) => {
    const operation = classifyOperation({
      method: ctx.method,
      path: ctx.path,
      query: new Set(Object.keys(ctx.query)),
      copySource: ctx.headers["x-amz-copy-source"] !== undefined,
    });
    const prefix = ctx.query.prefix;
    const isListing = operation === "ListObjectsV2" || operation === "ListObjects";
    const fault = injector.pickFault({
      method: ctx.method,
      bucket: readBucket(ctx.path),
      // A listing names no object: a keyPattern matches its prefix (so a test can fail one collection's listing).
      key: isListing ? (typeof prefix === "string" ? prefix : "") : readKey(ctx.path),
      operation,
    });
    if (fault === undefined) return next();
    ctx.req.resume(); // discard any upload body so the connection stays usable
    throw new S3Error(fault, FAULT_MESSAGES[fault]);
  };
}

/** Answers 403 AccessDenied to requests that carry no credentials at all (real S3 with a private bucket). */
export function createCredentialsRequired(S3Error: S3ErrorClass): Middleware {
  return async (ctx, next) => {
    const signed =
      ctx.headers.authorization !== undefined ||
      ctx.query["X-Amz-Signature"] !== undefined ||
      ctx.query["X-Amz-Algorithm"] !== undefined ||
      ctx.query.Signature !== undefined;
    // CORS preflights are never signed, on S3 either.
    if (signed || ctx.method === "OPTIONS") return next();
    ctx.req.resume();
    throw new S3Error("AccessDenied", "Access Denied");
  };
}

/** The object key of a path-style request (`/bucket/key…`), decoded; undefined for bucket-level requests. */
function readKey(path: string): string | undefined {
  const slash = path.indexOf("/", 1);
  if (slash === -1 || slash === path.length - 1) return undefined;
  try {
    return decodeURIComponent(path.slice(slash + 1));
  } catch {
    return undefined;
  }
}

function sendJson(ctx: KoaContext, status: number, body: object): void {
  ctx.status = status;
  ctx.type = "application/json";
  ctx.body = JSON.stringify(body);
  ctx.req.resume();
}

async function readBody(ctx: KoaContext): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of ctx.req) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks).toString("utf8");
}
