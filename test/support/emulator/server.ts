/**
 * The HTTP front of one node: request log, faults, auth, routing, then writing the reply
 * (optionally slowly). Everything Qdrant-specific lives in the route handlers.
 */
import {
  createServer,
  STATUS_CODES,
  type IncomingMessage,
  type RequestListener,
  type Server,
  type ServerResponse,
} from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { pipeline } from "node:stream/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { authenticate, type AuthConfig } from "./auth.js";
import type { NodeRuntime, RequestCtx } from "./context.js";
import { ApiError, errorReply, toApiError, type Reply } from "./envelope.js";
import { nginxPage, type Faults } from "./faults.js";
import type { Router } from "./router.js";

export interface RequestLogEntry {
  /** Index of the node in `emulator.nodes`. */
  node: number;
  method: string;
  /** Pathname only (no query string). */
  path: string;
  /** HTTP status answered; 0 when the connection was reset by a fault. */
  status: number;
  /** Milliseconds from the request's arrival to the end of the answer (injected latency included). */
  ms: number;
  /** When the request arrived, by performance.now() of the emulator's process: with `ms`, the span the node spent on it. */
  arrivedAt: number;
}

/** An answer as a node sends it, for EmulatorOptions.onAnswer. */
export interface AnswerRecord {
  node: number;
  method: string;
  /** Pathname only; the query string is in `query` (with its `?`, or ""). */
  path: string;
  query: string;
  status: number;
  headers: Record<string, string>;
  /** The body's bytes; undefined for a streamed body (a snapshot download). */
  body: Buffer | undefined;
}

export interface ServerDeps {
  router: Router;
  auth: AuthConfig;
  faults: Faults;
  log: RequestLogEntry[];
  /** Called with every answer (but a reset) just before it is sent. */
  onAnswer?: (answer: AnswerRecord) => void;
  /** Serve https with this key and certificate (PEM) instead of http. */
  tls?: { key: string; cert: string };
}

async function drain(req: IncomingMessage): Promise<void> {
  for await (const _chunk of req) {
    // discard: answer only after the client has sent everything, as a proxy would
  }
}

async function writeSlowly(res: ServerResponse, body: Buffer, totalMs: number): Promise<void> {
  const pieces = Math.max(1, Math.min(20, body.length));
  const size = Math.ceil(body.length / pieces);
  for (let i = 0; i < body.length; i += size) {
    if (res.destroyed) return;
    res.write(body.subarray(i, i + size));
    await sleep(totalMs / pieces);
  }
  res.end();
}

async function send(res: ServerResponse, reply: Reply, slowBodyMs: number): Promise<void> {
  res.statusCode = reply.status;
  for (const [k, v] of Object.entries(reply.headers)) res.setHeader(k, v);
  let body = reply.body;
  if (slowBodyMs > 0 && !Buffer.isBuffer(body)) {
    const chunks: Buffer[] = [];
    for await (const c of body) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(String(c)));
    body = Buffer.concat(chunks);
  }
  if (Buffer.isBuffer(body)) {
    if (!res.hasHeader("content-length")) res.setHeader("content-length", body.length);
    if (slowBodyMs > 0) await writeSlowly(res, body, slowBodyMs);
    else res.end(body);
    return;
  }
  try {
    await pipeline(body, res);
  } catch {
    // Client went away or the source failed mid-stream: the connection is torn down either way.
    res.destroy();
  }
}

async function handle(node: NodeRuntime, deps: ServerDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const method = (req.method ?? "GET").toUpperCase();
  const url = new URL(req.url ?? "/", "http://emulator.invalid");
  const decision = deps.faults.decide(node.index, method, url.pathname);
  const reply = (r: Reply, slowBodyMs: number): Promise<void> => {
    deps.onAnswer?.({
      node: node.index,
      method,
      path: url.pathname,
      query: url.search,
      status: r.status,
      headers: r.headers,
      body: Buffer.isBuffer(r.body) ? r.body : undefined,
    });
    return send(res, r, slowBodyMs);
  };
  if (decision.holds.length > 0) await Promise.allSettled(decision.holds);
  if (decision.latencyMs > 0) await sleep(decision.latencyMs);
  const outcome = decision.outcome;
  if (outcome?.kind === "reset") {
    req.socket.destroy();
    return;
  }
  if (outcome?.kind === "html") {
    await drain(req);
    const page = nginxPage(outcome.status, STATUS_CODES[outcome.status] ?? "Error");
    return reply({ status: outcome.status, headers: { "content-type": "text/html" }, body: Buffer.from(page) }, 0);
  }
  const startedAt = performance.now();
  if (outcome?.kind === "status") {
    await drain(req);
    return reply(errorReply(new ApiError(outcome.status, outcome.error), startedAt), 0);
  }
  let answer: Reply;
  try {
    const match = deps.router.match(method, url.pathname);
    const access = match?.route.open ? "manage" : authenticate(req.headers, deps.auth);
    if (!match) {
      // actix answers unknown routes with an empty 404.
      answer = { status: 404, headers: {}, body: Buffer.alloc(0) };
    } else {
      const ctx: RequestCtx = {
        node,
        method,
        pathname: url.pathname,
        params: match.params,
        query: url.searchParams,
        headers: req.headers,
        access,
        startedAt,
        req,
      };
      answer = await match.route.handler(ctx);
    }
  } catch (e) {
    answer = errorReply(toApiError(e), startedAt);
  }
  await reply(answer, decision.slowBodyMs);
}

/** Create (not yet listening) the HTTP (or, with `deps.tls`, HTTPS) server of one node. */
export function createNodeServer(node: NodeRuntime, deps: ServerDeps): Server {
  const listener: RequestListener = (req, res) => {
    const method = (req.method ?? "GET").toUpperCase();
    const path = new URL(req.url ?? "/", "http://emulator.invalid").pathname;
    const arrived = performance.now();
    res.on("close", () => {
      deps.log.push({
        node: node.index,
        method,
        path,
        status: res.headersSent ? res.statusCode : 0,
        ms: performance.now() - arrived,
        arrivedAt: arrived,
      });
    });
    handle(node, deps, req, res).catch(() => res.destroy());
  };
  const server = deps.tls
    ? createHttpsServer({ key: deps.tls.key, cert: deps.tls.cert }, listener)
    : createServer(listener);
  server.keepAliveTimeout = 5_000;
  return server;
}
