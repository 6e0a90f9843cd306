// JSON with exact integers: Qdrant's peer ids are u64 and clusters created before Qdrant 1.2 keep ids above 2^53, which
// JSON.parse rounds (jq before 1.7 did the same to the bash tool). Integers outside the safe range become bigint on
// parse and are written back as their digits; every other number stays a JS number. Built on lossless-json.
import { isInteger, isSafeNumber, parse, stringify } from "lossless-json";

/** JSON.parse, except that an integer beyond ±(2^53 − 1) becomes a bigint with its exact digits. */
export function parseExactJson(text: string): unknown {
  return parse(text, null, (digits) =>
    isInteger(digits) && !isSafeNumber(digits) ? BigInt(digits) : Number.parseFloat(digits),
  );
}

/** JSON.stringify that writes bigints as plain JSON numbers (their exact digits). */
export function stringifyExactJson(value: unknown, space?: number): string {
  const text = stringify(value, undefined, space);
  if (text === undefined) throw new Error("value has no JSON form");
  return text;
}
