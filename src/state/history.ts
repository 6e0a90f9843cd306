/**
 * Keys for the in-memory Sets over state rows, so a command can ask "already done?" in O(1) per item instead of
 * rescanning a history file (the bash tool grepped the file once per snapshot).
 */

/** Joins key parts with NUL, which no state field can contain (the CSV layer rejects it), so keys never collide. */
export function joinKey(...parts: readonly string[]): string {
  // The two-part key (host and snapshot, collection and name) is built once per row and item of every run: a template
  // is several times cheaper than join() there, and gives the same string.
  return parts.length === 2 ? `${parts[0]}\u0000${parts[1]}` : parts.join("\u0000");
}

const ALIAS_DONE_PREFIX = "ok@";

/** Status written to alias_recovery_history: `ok@<restore host>`, so each restore host resumes on its own. */
export function aliasDoneStatus(host: string): string {
  return `${ALIAS_DONE_PREFIX}${host}`;
}

/** The restore host of an alias_recovery_history status written by {@link aliasDoneStatus}, else undefined. */
export function aliasDoneHost(status: string): string | undefined {
  return status.startsWith(ALIAS_DONE_PREFIX) ? status.slice(ALIAS_DONE_PREFIX.length) : undefined;
}
