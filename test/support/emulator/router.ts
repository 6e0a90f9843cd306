/** A tiny method + path-pattern router (`/collections/:name/snapshots/:snapshot`). */
import type { Handler } from "./context.js";

export interface Route {
  method: string;
  path: string;
  handler: Handler;
  /** Served without an API key (Qdrant's whitelist: `/`, health probes). */
  open?: boolean;
}

interface Compiled {
  route: Route;
  segments: string[];
}

export interface Match {
  route: Route;
  params: Record<string, string>;
}

export class Router {
  private readonly compiled: Compiled[];

  constructor(routes: Route[]) {
    // Literal segments win over parameters at the same depth (e.g. `snapshots/recover` vs `snapshots/:name`).
    this.compiled = routes
      .map((route) => ({ route, segments: route.path.split("/").filter((s) => s !== "") }))
      .sort((a, b) => specificity(b.segments) - specificity(a.segments));
  }

  /** Find the route for a method and a raw (still percent-encoded) pathname. */
  match(method: string, pathname: string): Match | undefined {
    const parts = pathname.split("/").filter((s) => s !== "");
    for (const c of this.compiled) {
      if (c.route.method !== method || c.segments.length !== parts.length) continue;
      const params = matchSegments(c.segments, parts);
      if (params) return { route: c.route, params };
    }
    return undefined;
  }
}

function specificity(segments: string[]): number {
  return segments.reduce((acc, s, i) => acc + (s.startsWith(":") ? 0 : 2 ** (16 - i)), 0);
}

function matchSegments(pattern: string[], parts: string[]): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i] ?? "";
    const part = parts[i] ?? "";
    if (p.startsWith(":")) {
      let decoded: string;
      try {
        decoded = decodeURIComponent(part);
      } catch {
        return undefined;
      }
      params[p.slice(1)] = decoded;
    } else if (p !== part) {
      return undefined;
    }
  }
  return params;
}
