/**
 * A proxy in front of one emulator node that can mangle its answers, for the malformed-answer cases of the bad-input
 * corpus: truncated JSON, fields of the wrong type, an envelope without `result`. The real answer is fetched from
 * the node and then rewritten, so everything not rewritten behaves exactly as the emulator does. (The `html` fault
 * of faults.ts covers the ingress page; this covers a 200 whose body is not what Qdrant sends.)
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server } from "node:http";
import { listenAll } from "./listen.js";

/** The node's answer as the proxy received it. */
export interface Answer {
  status: number;
  contentType: string;
  body: string;
}

/** Returns the answer to send instead, or undefined to pass the node's answer through unchanged. */
export type Rewrite = (req: { method: string; path: string }, answer: Answer) => Answer | undefined;

export interface AnswerRewriter {
  /** The proxy's base URL, to be used as a Qdrant host. */
  url: string;
  /** Replaces the rewrite rule (undefined = pass everything through). */
  set(rewrite: Rewrite | undefined): void;
  stop(): Promise<void>;
}

/** Ready-made rewrites of a JSON envelope. */
export const MANGLE = {
  /** The first half of the body, still labelled application/json. */
  truncate: (a: Answer): Answer => ({ ...a, body: a.body.slice(0, Math.max(1, Math.floor(a.body.length / 2))) }),
  /** `result` replaced by `value` (e.g. a string where an object is expected). */
  result:
    (value: unknown) =>
    (a: Answer): Answer => ({ ...a, body: JSON.stringify({ ...envelope(a), result: value }) }),
  /** The envelope without its `result`. */
  dropResult: (a: Answer): Answer => {
    const { result: _dropped, ...rest } = envelope(a);
    return { ...a, body: JSON.stringify(rest) };
  },
};

function envelope(a: Answer): Record<string, unknown> {
  const value: unknown = JSON.parse(a.body);
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new Error(`not a JSON envelope: ${a.body.slice(0, 80)}`);
  return { ...value };
}

/** Starts a proxy to `target` (an emulator node's base URL) on a loopback port. */
export async function startAnswerRewriter(target: string): Promise<AnswerRewriter> {
  let rewrite: Rewrite | undefined;
  const upstream = new URL(target);
  const server: Server = createServer((req, res) => {
    void forward(req, upstream).then(
      (answer) => {
        const method = (req.method ?? "GET").toUpperCase();
        const path = new URL(req.url ?? "/", "http://proxy.invalid").pathname;
        const out = rewrite?.({ method, path }, answer) ?? answer;
        res.writeHead(out.status, { "content-type": out.contentType, "content-length": Buffer.byteLength(out.body) });
        res.end(out.body);
      },
      () => res.destroy(),
    );
  });
  const [port] = await listenAll([server], ["127.0.0.1"], 0, false);
  const url = `http://127.0.0.1:${port ?? 0}`;
  return {
    url,
    set: (r) => {
      rewrite = r;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function forward(req: IncomingMessage, upstream: URL): Promise<Answer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(String(c)));
  const headers = { ...req.headers, host: upstream.host };
  return new Promise<Answer>((resolve, reject) => {
    const out = httpRequest(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers },
      (res) => {
        const body: Buffer[] = [];
        res.on("data", (c: Buffer) => body.push(c));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 502,
            contentType: String(res.headers["content-type"] ?? ""),
            body: Buffer.concat(body).toString("utf8"),
          }),
        );
        res.on("error", reject);
      },
    );
    out.on("error", reject);
    out.end(Buffer.concat(chunks));
  });
}
