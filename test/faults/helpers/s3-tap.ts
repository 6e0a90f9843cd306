/**
 * A plain HTTP proxy in front of the local S3 server whose requests can be matched as the emulator's are (method and
 * pathname `/bucket/key`, `onMatch` as a request arrives, a log of the requests once their connection closes), so
 * `runKilledAt` can SIGKILL the CLI while a given S3 request (a state mirror upload) is in flight. Headers are passed
 * through unchanged, the Host header included, so the request's signature still holds; a request is sent on only
 * once its body is complete.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { KillSource, KillSourceRule } from "../crash-helpers.js";

export interface S3Tap extends KillSource {
  /** The proxy's endpoint: use it as QDRANT_S3_ENDPOINT_URL. */
  endpoint: string;
  stop(): Promise<void>;
}

export async function startS3Tap(upstream: string): Promise<S3Tap> {
  const target = new URL(upstream);
  if (target.protocol !== "http:") throw new Error(`startS3Tap: ${upstream} is not plain http`);
  const rules = new Set<{ rule: KillSourceRule; count: number }>();
  const log: { method: string; path: string }[] = [];
  const server = http.createServer((req, res) => {
    const method = req.method ?? "GET";
    const pathname = new URL(req.url ?? "/", "http://tap").pathname;
    for (const r of rules) {
      if (r.rule.method !== method || !r.rule.path.test(pathname)) continue;
      r.count += 1;
      r.rule.onMatch?.({ count: r.count });
    }
    res.on("close", () => void log.push({ method, path: pathname }));
    // The body is taken in whole before it is sent on, and a request whose client died before its end is dropped, as
    // S3 refuses a body shorter than its Content-Length (the local S3 server would store it cut short).
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const out = http.request(
        { host: target.hostname, port: target.port, method, path: req.url, headers: req.headers, timeout: 30_000 },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      out.on("error", () => res.destroy());
      out.on("timeout", () => out.destroy());
      out.end(Buffer.concat(chunks));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    faults: {
      add: (rule) => {
        const entry = { rule, count: 0 };
        rules.add(entry);
        return () => void rules.delete(entry);
      },
    },
    requests: () => [...log],
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
