// Parsers of the variables' values, each recording a problem naming its variable so that buildConfig reports them all.
import { SNAPSHOTS_PREFIX } from "./keys.js";

export function parseHostList(name: string, raw: string | undefined, problems: string[]): string[] {
  if (raw === undefined) return [];
  const parts = raw.split(",").map((p) => p.trim());
  const out: string[] = [];
  parts.forEach((part, i) => {
    if (part === "") {
      problems.push(`${name}: entry ${i + 1} is empty (stray comma?)`);
      return;
    }
    if (checkUrl(name, part, problems)) out.push(part.replace(/\/+$/, ""));
  });
  return out;
}

export function checkUrl(name: string, value: string, problems: string[]): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    problems.push(`${name}: "${value}" is not a URL (expected e.g. http://host:6333)`);
    return false;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    problems.push(`${name}: "${url.protocol}" URLs are not supported, use http:// or https://`);
    return false;
  }
  if (url.username || url.password || url.search || url.hash) {
    problems.push(`${name}: "${url.origin}${url.pathname}" must not carry credentials, a query or a fragment`);
    return false;
  }
  return true;
}

/** QDRANT_PUSHGATEWAY_URL: an http(s) URL without credentials or query, without its trailing slashes; unset = none. */
export function parsePushgatewayUrl(raw: string | undefined, problems: string[]): string | undefined {
  if (raw === undefined) return undefined;
  return checkUrl("QDRANT_PUSHGATEWAY_URL", raw, problems) ? raw.replace(/\/+$/, "") : undefined;
}

/** `state/prod` → `state/prod/`; refuses keys S3 tools mangle and Qdrant's own snapshot layout. */
export function parseStatePrefix(raw: string | undefined, problems: string[]): string | undefined {
  if (raw === undefined) return undefined;
  const prefix = raw.endsWith("/") ? raw : `${raw}/`;
  const segments = prefix.slice(0, -1).split("/");
  const problem =
    // eslint-disable-next-line no-control-regex
    /[\u0000-\u001f\u007f\\]/.test(prefix)
      ? "must not contain control characters or backslashes"
      : prefix.startsWith("/")
        ? "must not start with / (S3 keys have no leading slash)"
        : segments.some((s) => s === "" || s === "." || s === "..")
          ? "must not have empty, . or .. path segments"
          : segments[0] === SNAPSHOTS_PREFIX
            ? `must not be inside ${SNAPSHOTS_PREFIX}/, where Qdrant keeps its snapshots`
            : Buffer.byteLength(prefix) > 512
              ? "is longer than 512 bytes"
              : undefined;
  if (problem === undefined) return prefix;
  problems.push(`QDRANT_STATE_S3_PREFIX: ${JSON.stringify(raw)} ${problem} (e.g. state/prod-backup/)`);
  return undefined;
}

// Each parser returns a placeholder after recording a problem: buildConfig throws before the config is used.

export function oneOf<T extends string>(
  name: string,
  raw: string,
  values: readonly [T, ...T[]],
  problems: string[],
): T {
  const found = values.find((v) => v === raw.toLowerCase());
  if (found === undefined) problems.push(`${name}: expected ${values.join(" or ")}, got ${JSON.stringify(raw)}`);
  return found ?? values[0];
}

export function parseBool(name: string, raw: string, problems: string[]): boolean {
  const v = raw.toLowerCase();
  if (v === "true") return true;
  if (v === "false") return false;
  problems.push(`${name}: expected true or false, got "${raw}"`);
  return false;
}

/** A number >= 0 with optional decimals (`0`, `2.5`); no sign, exponent or unit. */
export function parsePercentage(name: string, raw: string, problems: string[]): number {
  const n = /^\d+(\.\d+)?$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isFinite(n) || n > 1_000_000) {
    problems.push(`${name}: expected a number >= 0 (a percentage, e.g. 2 or 0.5), got "${raw}"`);
    return 0;
  }
  return n;
}

export function parseInteger(name: string, raw: string, min: number, max: number, problems: string[]): number {
  const n = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    problems.push(`${name}: expected a whole number from ${min} to ${max}, got "${raw}"`);
    return min;
  }
  return n;
}
