/**
 * An HTTP proxy in front of one emulator node that damages snapshot downloads on the way, for faults the emulator has
 * no rule for: a body that breaks off mid-way (the connection is destroyed after `truncateAfter` bytes, with the full
 * Content-Length already promised), a body that ends early but cleanly (`clean`: chunked, no Content-Length), or a
 * body with one byte flipped (same length, different SHA-256). Everything else is
 * passed through unchanged. The tool is pointed at the proxy's URL instead of the node's.
 */
import { createServer, request, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";

export interface TamperRule {
  method?: string;
  /** Tested against the request's pathname. */
  path: RegExp;
  /** Destroy the connection after this many body bytes. */
  truncateAfter?: number;
  /** With truncateAfter: end the answer cleanly there instead (chunked, no Content-Length), as if it were complete. */
  clean?: boolean;
  /** XOR this byte offset of the body with 0xff. */
  flipByteAt?: number;
  /** Apply this many times (default: always). */
  times?: number;
}

export interface TamperProxy {
  url: string;
  add(rule: TamperRule): void;
  /** How many responses were damaged. */
  damaged(): number;
  close(): Promise<void>;
}

/** Starts a proxy on 127.0.0.1 forwarding to `target` (e.g. `http://127.0.0.1:6333`). */
export async function startTamperProxy(target: string): Promise<TamperProxy> {
  const rules: { rule: TamperRule; left: number }[] = [];
  let damaged = 0;
  const upstream = new URL(target);
  const server = createServer((req, res) => {
    const pathname = new URL(req.url ?? "/", "http://proxy.invalid").pathname;
    const live = rules.find((r) => r.left > 0 && (r.rule.method ?? "GET") === req.method && r.rule.path.test(pathname));
    if (live) live.left -= 1;
    const headers: IncomingHttpHeaders = { ...req.headers, host: upstream.host };
    const up = request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers },
      (upRes) => {
        const rule = live?.rule;
        const answer = { ...upRes.headers };
        if (rule?.clean) delete answer["content-length"];
        res.writeHead(upRes.statusCode ?? 502, answer);
        if (rule === undefined || (upRes.statusCode ?? 0) >= 300) {
          upRes.pipe(res);
          return;
        }
        damaged += 1;
        let offset = 0;
        upRes.on("data", (chunk: Buffer) => {
          let out = chunk;
          if (rule.flipByteAt !== undefined && rule.flipByteAt >= offset && rule.flipByteAt < offset + chunk.length) {
            out = Buffer.from(chunk);
            out[rule.flipByteAt - offset] = (out[rule.flipByteAt - offset] ?? 0) ^ 0xff;
          }
          if (rule.truncateAfter !== undefined && offset + chunk.length >= rule.truncateAfter) {
            upRes.destroy();
            if (rule.clean) res.end(out.subarray(0, rule.truncateAfter - offset));
            else res.write(out.subarray(0, rule.truncateAfter - offset), () => res.socket?.destroy());
            offset += chunk.length;
            return;
          }
          offset += chunk.length;
          res.write(out);
        });
        upRes.on("end", () => res.end());
      },
    );
    up.on("error", () => res.socket?.destroy());
    req.pipe(up);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    add: (rule) => void rules.push({ rule, left: rule.times ?? Infinity }),
    damaged: () => damaged,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
