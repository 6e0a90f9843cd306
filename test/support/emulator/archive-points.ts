/** Decode one stored point from the emulator's segment points file, checking every field. */
import { serviceError } from "./envelope.js";
import { isObject, type Json } from "./json.js";
import { normaliseUuid, type PointId } from "./point-ids.js";
import type { StoredPoint, VectorValue } from "./state.js";

const corrupt = (what: string): Error => serviceError(`Failed to read segment state: ${what}`);

function numbers(v: Json | undefined): number[] | undefined {
  return Array.isArray(v) && v.every((x): x is number => typeof x === "number") ? v : undefined;
}

function decodeId(v: Json | undefined): PointId {
  if (typeof v === "number" && Number.isInteger(v) && v >= 0) return v;
  if (typeof v === "string") {
    const u = normaliseUuid(v);
    if (u !== undefined) return u;
  }
  throw corrupt(`bad point id ${JSON.stringify(v)}`);
}

function decodeVector(v: Json | undefined): VectorValue {
  const single = numbers(v);
  if (single) return single;
  if (!isObject(v)) throw corrupt("bad vector");
  const out: { [name: string]: number[] } = {};
  for (const [name, values] of Object.entries(v)) {
    const n = numbers(values);
    if (!n) throw corrupt(`bad vector ${name}`);
    out[name] = n;
  }
  return out;
}

export function decodePoint(line: Json): StoredPoint {
  if (!isObject(line)) throw corrupt("bad point record");
  const payload = line["payload"];
  if (!isObject(payload)) throw corrupt("bad payload");
  return { id: decodeId(line["id"]), vector: decodeVector(line["vector"]), payload };
}
