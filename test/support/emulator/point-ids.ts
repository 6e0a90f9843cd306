/**
 * Point ids: unsigned integers or UUIDs. UUIDs are accepted in the forms the `uuid` crate parses
 * (hyphenated, simple, braced, urn) and always answered hyphenated lower-case, as Qdrant does.
 */
import { formatError, type Json } from "./json.js";

export type PointId = number | string;

const HEX32 = /^[0-9a-f]{32}$/;

/** Normalise a UUID string to `8-4-4-4-12` lower case, or return undefined when it is not one. */
export function normaliseUuid(s: string): string | undefined {
  let t = s.trim().toLowerCase();
  if (t.startsWith("urn:uuid:")) t = t.slice(9);
  if (t.startsWith("{") && t.endsWith("}")) t = t.slice(1, -1);
  const hyphenated = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(t);
  const hex = hyphenated ? t.replace(/-/g, "") : t;
  if (!HEX32.test(hex)) return undefined;
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Parse a point id from JSON; `where` names the field in the error message. */
export function parsePointId(v: Json | undefined, where: string): PointId {
  if (typeof v === "number") {
    if (!Number.isInteger(v) || v < 0) {
      throw formatError("body", `${where}: data did not match any variant of untagged enum ExtendedPointId`);
    }
    return v;
  }
  if (typeof v === "string") {
    const u = normaliseUuid(v);
    if (u === undefined) throw formatError("body", `${where}: Unable to parse UUID: ${v}`);
    return u;
  }
  throw formatError("body", `${where}: data did not match any variant of untagged enum ExtendedPointId`);
}

/** Map key that keeps integer 1 and UUID "1…" apart. */
export function pointKey(id: PointId): string {
  return typeof id === "number" ? `n:${id}` : `u:${id}`;
}

/** Qdrant's order: every integer id before every UUID; integers numeric, UUIDs as 128-bit values. */
export function comparePointIds(a: PointId, b: PointId): number {
  if (typeof a === "number" && typeof b === "number") return a - b;
  if (typeof a === "number") return -1;
  if (typeof b === "number") return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Stable FNV-1a hash of the id, used to route points to shards (same on every peer and run). */
export function hashPointId(id: PointId): number {
  const s = pointKey(id);
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}
