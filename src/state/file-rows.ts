// A state file's bytes as rows of its kind, and rows as the bytes appended: headerless CSV in the kind's columns.
import { decodeUtf8 } from "../lib/fs.js";
import { formatCsvRow, parseCsvRows } from "./csv.js";
import { fieldOf, STATE_FILES, type Row, type StateKind } from "./file-table.js";

/**
 * The rows of `kind` in `bytes` (the content of `file`, named in errors).
 * @throws StateFileError naming the file (and the line, when known) for non-UTF-8 or malformed content
 */
export function parseRows<K extends StateKind>(kind: K, bytes: Buffer, file: string): Row<K>[] {
  const columns: readonly string[] = STATE_FILES[kind].columns;
  return parseCsvRows(decodeUtf8(bytes, file), { file, columns: columns.length }).map((fields) => {
    // Checked: parseCsvRows guarantees exactly one field per column.
    const row: Record<string, string> = {};
    for (let index = 0; index < columns.length; index++) row[columns[index]!] = fields[index] ?? "";
    return row as Row<K>;
  });
}

/** `rows` as CSV lines in `kind`'s columns. @throws Error when a value holds a NUL byte or is not a string */
export function formatRows<K extends StateKind>(kind: K, rows: readonly Row<K>[]): string {
  const columns: readonly string[] = STATE_FILES[kind].columns;
  return rows.map((row) => formatCsvRow(columns.map((column) => fieldOf(row, column)))).join("");
}

/** True when `bytes` hold only blank lines (whitespace and an optional BOM). */
export function isBlank(bytes: Buffer): boolean {
  const start = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  for (let i = start; i < bytes.length; i++) {
    const byte = bytes[i];
    if (byte !== 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0d) return false;
  }
  return true;
}
