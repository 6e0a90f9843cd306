/**
 * In-memory indexes over state rows, so a command can ask "already done?" in O(1) per item instead of
 * rescanning a history file (the bash tool grepped the file once per snapshot).
 */

/** Joins key parts with NUL, which no state field can contain (the CSV layer rejects it), so keys never collide. */
export function joinKey(...parts: readonly string[]): string {
  return parts.join("\u0000");
}

/** A set of items compared by a derived string key. */
export interface KeySet<T> {
  /** True when an item with the same key was given to the constructor or added since. */
  has(item: T): boolean;
  /** Adds the item's key, e.g. right after the item's row was appended to the history file. */
  add(item: T): void;
  /** The number of distinct keys. */
  readonly size: number;
}

/**
 * Builds a KeySet from existing rows.
 *
 * @param rows the rows already done, filtered by the caller (e.g. history rows with status `ok`)
 * @param keyOf the identity of an item, e.g. `(r) => joinKey(r.host, r.snapshot)`; host is part of the key so a
 *   snapshot recovered on one restore host is not skipped on the others (a bug of the bash tool)
 * @example
 * // T is the key's shape, so history rows (which have a status too) and plain { host, snapshot } both fit.
 * const done = createKeySet<{ host: string; snapshot: string }>(
 *   history.filter((r) => r.status === "ok"), (r) => joinKey(r.host, r.snapshot));
 * if (!done.has({ host, snapshot })) { ... }
 */
export function createKeySet<T>(rows: Iterable<T>, keyOf: (item: T) => string): KeySet<T> {
  const keys = new Set<string>();
  for (const row of rows) keys.add(keyOf(row));
  return {
    has: (item) => keys.has(keyOf(item)),
    add: (item) => {
      keys.add(keyOf(item));
    },
    get size() {
      return keys.size;
    },
  };
}
