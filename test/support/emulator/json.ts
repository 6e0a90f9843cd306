/**
 * Checked JSON access. Request bodies and archive files are parsed into `Json` and then read
 * through these helpers, so nothing off the wire is trusted by a cast.
 */
import { ApiError } from "./envelope.js";

export type Json = null | boolean | number | string | Json[] | JsonObject;
export interface JsonObject {
  [key: string]: Json;
}

/** Where a value came from, used to build Qdrant-like error messages. */
export type Source = "body" | "file";

export function isObject(v: Json | undefined): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Parse text as JSON; a syntax error becomes Qdrant's 400 `Format error in JSON body`. */
export function parseJson(text: string, source: Source = "body"): Json {
  if (text.trim() === "") throw formatError(source, "EOF while parsing a value at line 1 column 0");
  try {
    return toJson(JSON.parse(text));
  } catch (e) {
    if (e instanceof ApiError) throw e;
    const msg = e instanceof Error ? e.message : String(e);
    throw formatError(source, msg);
  }
}

/** Rebuild the parser's output as `Json`, checking every node (JSON.parse returns `any`). */
function toJson(v: unknown): Json {
  if (v === null || typeof v === "boolean" || typeof v === "number" || typeof v === "string") return v;
  if (Array.isArray(v)) return v.map(toJson);
  if (typeof v === "object") {
    const out: JsonObject = {};
    for (const [k, val] of Object.entries(v)) out[k] = toJson(val);
    return out;
  }
  throw new Error(`unexpected JSON value of type ${typeof v}`);
}

export function formatError(source: Source, msg: string): ApiError {
  return source === "body"
    ? new ApiError(400, `Format error in JSON body: ${msg}`)
    : new ApiError(500, `Service internal error: ${msg}`);
}

/** Typed field readers: each throws a format error naming the field path. */
export class Reader {
  constructor(
    readonly obj: JsonObject,
    readonly path: string,
    readonly source: Source = "body",
  ) {}

  static of(v: Json, path: string, source: Source = "body"): Reader {
    if (!isObject(v)) throw formatError(source, `${path || "body"}: invalid type: expected a map`);
    return new Reader(v, path, source);
  }

  private where(key: string): string {
    return this.path ? `${this.path}.${key}` : key;
  }

  fail(key: string, expected: string): never {
    throw formatError(this.source, `${this.where(key)}: invalid type: expected ${expected}`);
  }

  has(key: string): boolean {
    return this.obj[key] !== undefined && this.obj[key] !== null;
  }

  raw(key: string): Json | undefined {
    return this.obj[key];
  }

  optString(key: string): string | undefined {
    const v = this.obj[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== "string") this.fail(key, "a string");
    return v;
  }

  string(key: string): string {
    const v = this.optString(key);
    if (v === undefined) throw formatError(this.source, `missing field \`${key}\``);
    return v;
  }

  optNumber(key: string): number | undefined {
    const v = this.obj[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== "number") this.fail(key, "a number");
    return v;
  }

  /** Non-negative integer (serde `usize`/`u32`/`u64`). */
  optUint(key: string): number | undefined {
    const v = this.optNumber(key);
    if (v !== undefined && (!Number.isInteger(v) || v < 0)) this.fail(key, "an unsigned integer");
    return v;
  }

  uint(key: string): number {
    const v = this.optUint(key);
    if (v === undefined) throw formatError(this.source, `missing field \`${key}\``);
    return v;
  }

  optBool(key: string): boolean | undefined {
    const v = this.obj[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== "boolean") this.fail(key, "a boolean");
    return v;
  }

  optObject(key: string): JsonObject | undefined {
    const v = this.obj[key];
    if (v === undefined || v === null) return undefined;
    if (!isObject(v)) this.fail(key, "a map");
    return v;
  }

  optReader(key: string): Reader | undefined {
    const v = this.optObject(key);
    return v === undefined ? undefined : new Reader(v, this.where(key), this.source);
  }

  optArray(key: string): Json[] | undefined {
    const v = this.obj[key];
    if (v === undefined || v === null) return undefined;
    if (!Array.isArray(v)) this.fail(key, "a sequence");
    return v;
  }

  optEnum<T extends string>(key: string, allowed: readonly T[]): T | undefined {
    const v = this.optString(key);
    if (v === undefined) return undefined;
    const hit = allowed.find((a) => a === v);
    if (hit === undefined) {
      throw formatError(
        this.source,
        `${this.where(key)}: unknown variant \`${v}\`, expected one of ${allowed.map((a) => `\`${a}\``).join(", ")}`,
      );
    }
    return hit;
  }
}

/** Deep structural equality of two JSON values (object key order ignored). */
export function jsonEqual(a: Json | undefined, b: Json | undefined): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]));
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    return ka.length === kb.length && ka.every((k) => jsonEqual(a[k], b[k]));
  }
  return false;
}
