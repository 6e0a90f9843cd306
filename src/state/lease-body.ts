// The lease object: its body, how it is parsed and encoded, and how its holder is described in messages.
import { parseJsonObject } from "../lib/json.js";
import { formatAge } from "./lock-holder.js";

/** The lease object's body. */
export interface LeaseBody {
  tool: string;
  host: string;
  pid: number;
  /** ISO 8601 times, by the holder's clock. */
  startedAt: string;
  renewedAt: string;
  expiresAt: string;
  /** Random per run: a run releases or adopts only a lease with its own runId. */
  runId: string;
}

/** "pid 1234 on host h since 2026-…, 3 min ago, renewed 20 s ago". */
export function describeLease(b: LeaseBody, now: Date): string {
  const ago = (iso: string) => formatAge(now.getTime() - Date.parse(iso));
  return `pid ${b.pid} on host ${b.host} since ${b.startedAt}, ${ago(b.startedAt)} ago, renewed ${ago(b.renewedAt)} ago`;
}

/** Parses a lease object into a checked body, or undefined. */
export function parseLease(raw: Uint8Array): LeaseBody | undefined {
  const v = parseJsonObject(raw);
  if (v === undefined) return undefined;
  const str = (k: string): string | undefined => (typeof v[k] === "string" ? (v[k] as string) : undefined);
  const [tool, host, startedAt, renewedAt, expiresAt, runId] = [
    "tool",
    "host",
    "startedAt",
    "renewedAt",
    "expiresAt",
    "runId",
  ].map(str);
  const pid = v["pid"];
  if (tool === undefined || host === undefined || runId === undefined || typeof pid !== "number") return undefined;
  if ([startedAt, renewedAt, expiresAt].some((t) => t === undefined || Number.isNaN(Date.parse(t)))) return undefined;
  return { tool, host, pid, startedAt: startedAt!, renewedAt: renewedAt!, expiresAt: expiresAt!, runId };
}

export function encodeLease(body: LeaseBody): Uint8Array {
  return Buffer.from(`${JSON.stringify(body)}\n`, "utf8");
}
