/**
 * JSON with exact big integers (Qdrant's u64 peer ids can exceed 2^53, which a JS number cannot hold).
 * Writing: `stringifyExact` prints a `bigint` as its exact decimal digits, a raw JSON number.
 * Reading: `parseJsonExact` parses like `parseJson` and remembers, per object and key, the exact value of every
 * integer literal a double cannot hold, so `exactInteger(holder, key)` (and `Reader.peerId`) can have it back.
 */
import { randomBytes } from "node:crypto";
import { formatError, parseJson, type Json, type JsonObject, type Reader, type Source } from "./json.js";

const MARK = `\u0000${randomBytes(6).toString("hex")}:`;
/** MARK as JSON text writes it (a raw NUL is not allowed in a JSON string). */
const MARK_TEXT = `\\u0000${MARK.slice(1)}`;
const MARKED = new RegExp(`"\\\\u0000${MARK.slice(1)}(-?\\d+)"`, "g");

/** `JSON.stringify`, except that a `bigint` anywhere in `value` is written as an exact JSON number. */
export function stringifyExact(value: unknown): string {
  try {
    return JSON.stringify(value);
  } catch (e) {
    if (!(e instanceof TypeError)) throw e;
  }
  const text = JSON.stringify(value, (_key, v: unknown) => (typeof v === "bigint" ? `${MARK}${v}` : v));
  return text.replace(MARKED, "$1");
}

/** holder (object or array) → key → the exact value of an integer literal beyond 2^53. */
const exact = new WeakMap<object, Map<string, bigint>>();

/** Parse `text` like `parseJson`, keeping the exact value of every integer literal a double rounds. */
export function parseJsonExact(text: string, source: Source = "body"): Json {
  let out = "";
  let last = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      if (ch === "\\") i++;
      else if (ch === '"') inString = false;
      continue;
    }
    if (ch === '"') inString = true;
    else if (ch === "-" || (ch !== undefined && ch >= "0" && ch <= "9")) {
      const m = /^-?\d+(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
      const literal = m?.[0] ?? ch;
      if (m && m[1] === undefined && m[2] === undefined && !Number.isSafeInteger(Number(literal))) {
        out += `${text.slice(last, i)}"${MARK_TEXT}${literal}"`;
        last = i + literal.length;
      }
      i += literal.length - 1;
    }
  }
  const parsed = parseJson(out + text.slice(last), source);
  return restore(parsed);
}

/** Replace marked strings by their (rounded) numbers, remembering the exact value beside them. */
function restore(v: Json): Json {
  if (Array.isArray(v)) {
    v.forEach((x, i) => (v[i] = restoreIn(v, String(i), x)));
    return v;
  }
  if (typeof v === "object" && v !== null) {
    for (const [k, x] of Object.entries(v)) v[k] = restoreIn(v, k, x);
    return v;
  }
  return typeof v === "string" && v.startsWith(MARK) ? Number(v.slice(MARK.length)) : v;
}

function restoreIn(holder: Json[] | JsonObject, key: string, v: Json): Json {
  if (typeof v === "string" && v.startsWith(MARK)) {
    const digits = v.slice(MARK.length);
    const known = exact.get(holder) ?? new Map<string, bigint>();
    known.set(key, BigInt(digits));
    exact.set(holder, known);
    return Number(digits);
  }
  return restore(v);
}

/** The exact integer `holder[key]` was parsed from by `parseJsonExact`, when a double could not hold it. */
export function exactInteger(holder: object, key: string): bigint | undefined {
  return exact.get(holder)?.get(key);
}

const U64_MAX = 2n ** 64n - 1n;

/** A u64 peer id field (serde `u64`), exact when the body was parsed by `parseJsonExact`. */
export function readPeerId(r: Reader, key: string): bigint {
  const rounded = r.uint(key);
  const value = exactInteger(r.obj, key) ?? BigInt(rounded);
  if (value > U64_MAX)
    throw formatError(
      r.source,
      `${r.path ? `${r.path}.` : ""}${key}: invalid value: integer \`${value}\`, expected u64`,
    );
  return value;
}
