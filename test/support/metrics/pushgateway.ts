// A local stand-in for a Prometheus Pushgateway that checks what one checks before it accepts a push: the method
// (PUT replaces a group, POST the families it carries), the path /metrics/job/<job>{/<label>/<value>}, the text
// format's content type, a body that parses with no duplicate series, and pushed labels that agree with the group's.
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { parseExposition, type Family } from "./exposition.js";

export interface Push {
  readonly method: string;
  readonly path: string;
  readonly contentType: string;
  readonly body: string;
  /** The answer's status. */
  readonly status: number;
}

export interface FakePushgateway {
  readonly url: string;
  /** Every request, accepted or not. */
  readonly pushes: Push[];
  /** Group (the grouping key as `job=…,task=…`) → its families, as a Pushgateway would keep them. */
  readonly groups: Map<string, Map<string, Family>>;
  stop(): Promise<void>;
}

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** `hang`: accept connections and never answer (a gateway behind a black-holed route). */
export async function startFakePushgateway(opts: { hang?: boolean } = {}): Promise<FakePushgateway> {
  const pushes: Push[] = [];
  const groups = new Map<string, Map<string, Family>>();
  const server: Server = createServer((req, res) => {
    if (opts.hang) return; // never answered; closed by stop()
    void readBody(req).then((body) => {
      const answer = (status: number, text: string) => {
        pushes.push({
          method: req.method ?? "",
          path: req.url ?? "",
          contentType: String(req.headers["content-type"]),
          body,
          status,
        });
        res.writeHead(status, { "content-type": "text/plain" }).end(text);
      };
      const key = groupingKey(req.url ?? "");
      if (typeof key === "string") return answer(404, key);
      if (req.method !== "PUT" && req.method !== "POST") return answer(405, `method ${req.method} not allowed`);
      const ct = String(req.headers["content-type"]);
      if (!/^text\/plain; ?version=0\.0\.4(; ?charset=utf-8)?$/i.test(ct)) return answer(415, `content type ${ct}`);
      let families: Family[];
      try {
        families = parseExposition(body);
      } catch (err) {
        return answer(400, `text format parsing error: ${(err as Error).message}`);
      }
      for (const f of families)
        for (const s of f.series)
          for (const [name, value] of Object.entries(key))
            if (s.labels[name] !== undefined && s.labels[name] !== value)
              return answer(
                400,
                `pushed metric ${f.name} has label ${name}="${s.labels[name]}", the group's is "${value}"`,
              );
      const id = Object.entries(key)
        .map(([k, v]) => `${k}=${v}`)
        .join(",");
      const group = req.method === "PUT" ? new Map<string, Family>() : (groups.get(id) ?? new Map<string, Family>());
      for (const f of families) group.set(f.name, f);
      groups.set(id, group);
      return answer(200, "");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    pushes,
    groups,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The grouping key of a push path, or a string saying why the path is not one. */
function groupingKey(url: string): Record<string, string> | string {
  const parts = url.split("?")[0]!.split("/").slice(1);
  if (parts[0] !== "metrics" || parts[1] !== "job" || !parts[2]) return `${url}: not /metrics/job/<job>`;
  const key: Record<string, string> = { job: decodeURIComponent(parts[2]) };
  const rest = parts.slice(3);
  if (rest.length % 2 !== 0) return `${url}: a label name without a value`;
  for (let i = 0; i < rest.length; i += 2) {
    const name = rest[i]!;
    if (!LABEL_NAME.test(name) || name.startsWith("__") || name in key) return `${url}: bad label name ${name}`;
    key[name] = decodeURIComponent(rest[i + 1]!);
  }
  return key;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}
