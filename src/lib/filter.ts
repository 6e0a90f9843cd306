/**
 * The snapshot-name filter (`QDRANT_SNAPSHOT_DATETIME_FILTER`).
 *
 * The bash tool kept names that *contain* the text, while its README described a glob over the whole name.
 * Both are honoured: a pattern with a wildcard is a glob, anything else a substring, so existing settings such
 * as `2026-01-29-11-44` keep selecting exactly what they selected before.
 */

/**
 * Builds a predicate over snapshot names.
 *
 * - empty pattern: every name matches;
 * - pattern containing `*` or `?`: a glob that must match the WHOLE name; `*` matches any run of characters
 *   (including none), `?` exactly one character; every other character, `[` included, is literal;
 * - otherwise: the name matches when it contains the pattern (case-sensitive).
 *
 * @param pattern the filter text, used as given (the caller decides about trimming)
 */
export function createSnapshotFilter(pattern: string): (name: string) => boolean {
  if (pattern === "") return () => true;
  if (!pattern.includes("*") && !pattern.includes("?")) return (name) => name.includes(pattern);
  const body = Array.from(pattern, (char) => {
    if (char === "*") return "[\\s\\S]*";
    if (char === "?") return "[\\s\\S]";
    return escapeRegExp(char);
  }).join("");
  // `u`: `?` stands for one code point, not half of a surrogate pair.
  const regexp = new RegExp(`^${body}$`, "u");
  return (name) => regexp.test(name);
}

// Only syntax characters may be escaped in a `u` regexp; everything else is literal already.
function escapeRegExp(char: string): string {
  return /[\\^$.*+?()[\]{}|/]/.test(char) ? `\\${char}` : char;
}
