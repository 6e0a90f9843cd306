/**
 * An HTTP proxy in front of one emulator node that loses answers: for the first `times` requests matching a rule that
 * the node carried out (a 2xx answer), the client's connection is destroyed (or, with `answer: 504`, a gateway
 * timeout is answered) instead of passing the answer on, as when an ingress or a load balancer drops a connection
 * after the node did the work. With `earlyMs`, the 504 is answered that long after the request went to the node,
 * while the node is still working (an ingress's read timeout shorter than the work); the node's own answer, when it
 * comes, is thrown away. The emulator's own
 * `reset` fault destroys the connection before doing anything, so it cannot show what a retry of a non-idempotent
 * call does; this can. Everything else passes through unchanged. The tool is pointed at the proxy's URL.
 */
import { createServer, request, type IncomingHttpHeaders, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface LoseRule {
  method: string;
  /** Tested against the request's pathname. */
  path: RegExp;
  /** Lose this many answers (default 1). */
  times?: number;
  /** What the client gets instead: the connection dropped (default) or a 504 gateway timeout. */
  answer?: "drop" | 504;
  /** Answer 504 this many ms after the request was forwarded, not waiting for the node (implies `answer: 504`). */
  earlyMs?: number;
}

export interface LostAnswerProxy {
  url: string;
  /** `METHOD pathname` of every answer lost so far, with the status the node had answered. */
  lost(): { method: string; path: string; status: number }[];
  close(): Promise<void>;
}

/** An ingress's 504 page. */
function gatewayTimeout(res: ServerResponse): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(504, { "content-type": "text/html" });
  res.end(
    "<html><head><title>504 Gateway Time-out</title></head><body><center><h1>504 Gateway Time-out</h1></center></body></html>\n",
  );
}

/** Starts a proxy on 127.0.0.1 that forwards to `target` (e.g. an emulator node's URL) and loses answers per `rules`. */
export async function startLostAnswerProxy(target: string, rules: readonly LoseRule[]): Promise<LostAnswerProxy> {
  const live = rules.map((rule) => ({ rule, left: rule.times ?? 1 }));
  const lost: { method: string; path: string; status: number }[] = [];
  const upstream = new URL(target);
  const server = createServer((req, res) => {
    const method = req.method ?? "GET";
    const pathname = new URL(req.url ?? "/", "http://proxy.invalid").pathname;
    const headers: IncomingHttpHeaders = { ...req.headers, host: upstream.host };
    const matching = (r: { rule: LoseRule; left: number }) =>
      r.left > 0 && r.rule.method === method && r.rule.path.test(pathname);
    const early = live.find((r) => r.rule.earlyMs !== undefined && matching(r));
    if (early) {
      early.left -= 1;
      // Answered once the whole request went out and earlyMs passed; the node goes on with the work regardless.
      req.on("end", () => {
        setTimeout(() => {
          lost.push({ method, path: pathname, status: 0 });
          gatewayTimeout(res);
        }, early.rule.earlyMs);
      });
    }
    const up = request({ host: upstream.hostname, port: upstream.port, method, path: req.url, headers }, (upRes) => {
      if (early) {
        upRes.resume();
        return;
      }
      const done = (upRes.statusCode ?? 0) >= 200 && (upRes.statusCode ?? 0) < 300;
      const hit = done ? live.find((r) => r.rule.earlyMs === undefined && matching(r)) : undefined;
      if (hit) {
        hit.left -= 1;
        // Let the node finish (its whole answer is read), then drop the client without a byte of the answer.
        upRes.resume();
        upRes.on("end", () => {
          lost.push({ method, path: pathname, status: upRes.statusCode ?? 0 });
          if (hit.rule.answer === 504) gatewayTimeout(res);
          else req.socket.destroy();
        });
        return;
      }
      res.writeHead(upRes.statusCode ?? 502, upRes.headers);
      upRes.pipe(res);
    });
    up.on("error", () => req.socket.destroy());
    req.pipe(up);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    lost: () => [...lost],
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
