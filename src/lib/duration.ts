/**
 * Durations as the tool's variables spell them (`QDRANT_S3_LINK_EXPIRY_DURATION`, `CURL_TIMEOUT`).
 * The bash tool documented seconds but passed the value to mc as a duration with a unit; the port accepts both.
 */

const SECONDS_PER_UNIT: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600, d: 86_400 };

// One whole number and an optional unit; no sign, no fraction, no compound forms like `1h30m`.
const DURATION = /^(\d+)([smhd]?)$/i;

/**
 * Parses a duration into whole seconds.
 *
 * Accepts a bare number of seconds (`3600`) or a number with one unit: `s`, `m`, `h` or `d`
 * (`3600s`, `60m`, `1h`, `1d`), case-insensitive, surrounding whitespace ignored.
 * The result is always a positive safe integer; there is no upper bound here (the caller caps,
 * e.g. presigned URLs at 7 days).
 *
 * @param text the raw value, e.g. from an environment variable
 * @returns the duration in seconds (> 0)
 * @throws Error with a short message for anything else (empty, `0`, `-1`, `1.5h`, `10x`, `1h30m`, too large);
 *   the caller prefixes the variable name.
 */
export function parseDuration(text: string): number {
  const match = DURATION.exec(text.trim());
  const digits = match?.[1];
  const unit = match?.[2];
  if (digits !== undefined && unit !== undefined) {
    const seconds = Number(digits) * (SECONDS_PER_UNIT[unit.toLowerCase()] ?? 1);
    // Zero is rejected: every use (expiry, timeout) needs a positive span. Unsafe integers would lose precision.
    if (seconds > 0 && Number.isSafeInteger(seconds)) return seconds;
  }
  throw new Error(
    `expected a positive whole number of seconds or a duration like 3600s, 60m, 1h; got ${JSON.stringify(text)}`,
  );
}
