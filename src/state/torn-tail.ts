/**
 * A state file's last line without a newline: a whole row (a hand-edited file, a bash-written one) or the start of a
 * row cut off by a crash or a full disk (an older version of this tool, or the bash tool, could leave one).
 *
 * Every writer ends its rows with a newline, so only the last line can be torn, and only its last field can be cut
 * while the field count stays right. That field is checked against what the file's last column allows: a snapshot
 * name ends in `.snapshot` (or is the bash tool's `unknown`), a history status is one of the known words, a
 * deletion time is a whole ISO 8601 instant, a restore host a whole URL. A collection or alias name (the last column
 * of `collections` and `collection_aliases`) has no such form: there only the field count and the encoding are
 * checked, and a name cut at a valid UTF-8 boundary cannot be told from a whole one.
 */
import { parseCsvRows } from "./csv.js";

/** The torn tail of a file: where the whole rows end, the text of the torn line, and why it is not a row. */
export interface TornTail {
  /** Length in bytes of the file up to and including its last newline: what is kept. */
  keep: number;
  /** The torn line (decoded leniently), for the warning. */
  text: string;
  reason: string;
}

/** What the last column of each file may hold; undefined = anything non-empty. Keyed by file name. */
const LAST_FIELD: Record<string, ((value: string) => string | undefined) | undefined> = {
  snapshots: snapshotName,
  full_snapshots: snapshotName,
  snapshot_recovery_history: (v) =>
    ["ok", "accepted", "verified"].includes(v) ? undefined : `"${v}" is not a recovery status`,
  failed_snapshot_recovery: (v) =>
    /^[a-z][a-z0-9_]*(-[a-z0-9_]+)*$/.test(v) && !/^http-\d{0,2}$/.test(v)
      ? undefined
      : `"${v}" is not a failure status`,
  alias_recovery_history: aliasStatus,
  drill_history: (v) => (["passed", "failed"].includes(v) ? undefined : `"${v}" is not a drill verdict`),
  pruned_snapshots: (v) =>
    /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?Z$/.test(v) ? undefined : `"${v}" is not a whole deletion time`,
};

function snapshotName(value: string): string | undefined {
  return value === "unknown" || value.endsWith(".snapshot")
    ? undefined
    : `"${value}" is not a whole snapshot name (no .snapshot ending)`;
}

function aliasStatus(value: string): string | undefined {
  if (value === "ok") return undefined;
  if (!value.startsWith("ok@")) return `"${value}" is not an alias recovery status`;
  try {
    const url = new URL(value.slice(3));
    if (/^https?:$/.test(url.protocol) && url.hostname !== "") return undefined;
  } catch {
    // reported below
  }
  return `"${value}" does not name a whole restore host`;
}

/**
 * Checks the last line of `bytes` (the whole file) when it lacks a final newline.
 * @returns undefined when the file ends in a newline, is empty, or its last line is a whole row; else the torn tail
 */
export function findTornTail(bytes: Buffer, name: string, columns: number): TornTail | undefined {
  if (bytes.length === 0 || bytes[bytes.length - 1] === 0x0a) return undefined;
  const keep = bytes.lastIndexOf(0x0a) + 1;
  const line = bytes.subarray(keep);
  const text = line.toString("utf8");
  const torn = (reason: string): TornTail => ({ keep, text, reason });
  let decoded: string;
  try {
    decoded = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(line);
  } catch {
    return torn("it ends inside a UTF-8 character");
  }
  // Only whitespace (a BOM on an otherwise empty file included): a blank line, nothing to take as a row.
  if (/^[\uFEFF \t\r]*$/.test(decoded)) return undefined;
  // A quoted field may hold newlines: with an odd number of quotes before this line, the row began on an earlier
  // line, and the whole file's parse (which reports an unterminated quote with its line) is the judge.
  let quotes = 0;
  for (let i = bytes.indexOf(0x22); i !== -1 && i < keep; i = bytes.indexOf(0x22, i + 1)) quotes++;
  if (quotes % 2 === 1) return undefined;
  let rows: string[][];
  try {
    rows = parseCsvRows(decoded.startsWith("\uFEFF") ? decoded.slice(1) : decoded, { file: name, columns });
  } catch {
    return torn(`it is not a row of ${columns} fields`);
  }
  const row = rows[0];
  if (rows.length !== 1 || row === undefined) return torn(`it is not a row of ${columns} fields`);
  const last = row[row.length - 1] ?? "";
  if (last === "") return torn("its last field is empty");
  const problem = LAST_FIELD[name]?.(last);
  return problem === undefined ? undefined : torn(problem);
}
