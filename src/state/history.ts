/**
 * Keys for the in-memory Sets over state rows, so a command can ask "already done?" in O(1) per item instead of
 * rescanning a history file (the bash tool grepped the file once per snapshot).
 */

/** Joins key parts with NUL, which no state field can contain (the CSV layer rejects it), so keys never collide. */
export function joinKey(...parts: readonly string[]): string {
  return parts.join("\u0000");
}
