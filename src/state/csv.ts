/**
 * The CSV dialect of the state files: headerless, comma-separated, one record per line.
 *
 * Written per RFC 4180 but quoting only where needed, so files whose values need no quoting are byte-for-byte
 * what the bash tool wrote and stay readable by it. Read tolerantly (the script's plain lines, CRLF, a BOM,
 * blank lines, a missing final newline) and strictly (column count, unterminated quotes, NUL bytes, records over
 * MAX_RECORD_CHARS), with errors that name the file and the 1-based line where the offending record starts.
 */
import { CsvError, parse } from "csv-parse/sync";
import { stringify, type Options } from "csv-stringify/sync";
import { StateFileError } from "../errors.js";

/**
 * The longest record a state file may hold, in characters. Its fields are host URLs, collection, alias and snapshot
 * names (Qdrant caps names at 255 characters) and statuses; anything far longer is not a row this tool or the bash
 * tool wrote, and would otherwise be sent to Qdrant and logged whole.
 */
export const MAX_RECORD_CHARS = 64 * 1024;

// csv-stringify quotes `,`, `"` and `\n` itself; a lone `\r` and edge whitespace are added, because a reader
// could otherwise split a record on the `\r` or trim the field.
const STRINGIFY_OPTIONS: Options = { quoted_match: [/\r/, /^\s|\s$/], record_delimiter: "unix" };

/**
 * Formats one record as a line ending in `\n`.
 *
 * A field is wrapped in double quotes (inner quotes doubled) only when it contains `,`, `"`, `\r`, `\n`, or
 * starts or ends with whitespace; every other field is written as is.
 *
 * @throws Error when a field contains a NUL byte: the reader rejects NUL, so writing it would make the file
 *   unreadable.
 */
export function formatCsvRow(fields: readonly string[]): string {
  fields.forEach((field, index) => {
    if (field.includes("\0")) throw new Error(`field ${index + 1} contains a NUL byte, which a state file cannot hold`);
  });
  // The common case, fields that need no quoting, written directly: csv-stringify writes them bare too (checked
  // against it in test/unit/state-overhead.test.ts), at a fraction of the cost per row.
  if (!fields.some((field) => NEEDS_QUOTES.test(field))) return `${fields.join(",")}\n`;
  return stringify([[...fields]], STRINGIFY_OPTIONS);
}

/** What makes csv-stringify (with STRINGIFY_OPTIONS) quote a field: a delimiter, a quote, a line break, edge whitespace. */
const NEEDS_QUOTES = /[,"\r\n]|^\s|\s$/;

/** Where the rows come from and what shape they must have. */
export interface ParseCsvOptions {
  /** The file's path, used in error messages only. */
  file: string;
  /** The exact number of fields every record must have. */
  columns: number;
}

/**
 * Parses the text of a state file into records of exactly `opts.columns` fields each.
 *
 * Accepts unquoted and RFC 4180 quoted fields, a quote inside an unquoted field (the bash tool wrote such names
 * bare), LF or CRLF line endings (mixed too), a leading UTF-8 BOM, blank or whitespace-only lines (skipped) and a
 * missing final newline. Field values are otherwise kept exactly, whitespace included.
 *
 * @throws StateFileError naming `opts.file` and the line where the bad record starts: wrong field count,
 *   unterminated quoted field, NUL byte, a record over MAX_RECORD_CHARS, or any other malformed CSV.
 */
export function parseCsvRows(text: string, opts: ParseCsvOptions): string[][] {
  // Stripped here rather than with csv-parse's `bom` option so its byte offsets match our own buffer.
  const body = text.startsWith("\uFEFF") ? text.slice(1) : text;

  const nul = body.indexOf("\0");
  if (nul !== -1) throw new StateFileError(opts.file, lineOfIndex(body, nul), "NUL byte");

  return parsePlain(body, opts.columns) ?? parseWithCsvParse(body, opts);
}

/**
 * parseCsvRows by csv-parse, for any text (BOM stripped, NUL checked): the reference for quoted fields and the one
 * that words every error. Exported for the test that holds the fast path to it.
 */
export function parseWithCsvParse(body: string, opts: ParseCsvOptions): string[][] {
  // Byte offset just past each record (its line delimiter included), to find where the next one starts.
  const ends: number[] = [];
  let records: string[][];
  try {
    records = parse(body, {
      on_record: (record, context) => {
        ends.push(context.bytes);
        return record;
      },
      relax_column_count: true, // checked below against the expected count, not against the first record
      relax_quotes: true,
      skip_empty_lines: true,
      record_delimiter: ["\r\n", "\n"],
      max_record_size: MAX_RECORD_CHARS,
    });
  } catch (err) {
    if (!(err instanceof CsvError)) throw err;
    const consumed = typeof err.bytes_records === "number" ? err.bytes_records : 0;
    const detail =
      err.code === "CSV_QUOTE_NOT_CLOSED"
        ? "unterminated quoted field"
        : err.code === "CSV_MAX_RECORD_SIZE"
          ? `record longer than ${MAX_RECORD_CHARS} characters`
          : err.message;
    throw new StateFileError(opts.file, lineOfByte(body, consumed), detail);
  }

  const rows: string[][] = [];
  for (const [index, record] of records.entries()) {
    // A line of spaces or tabs is blank to a person; csv-parse sees a one-field record.
    if (record.length === 1 && /^[ \t]*$/.test(record[0] ?? "")) continue;
    if (record.length !== opts.columns) {
      const start = index === 0 ? 0 : (ends[index - 1] ?? 0);
      throw new StateFileError(
        opts.file,
        lineOfByte(body, start),
        `expected ${opts.columns} fields, got ${record.length}`,
      );
    }
    rows.push(record);
  }
  return rows;
}

/**
 * The records of a file without a single `"` (every file whose values needed no quoting, i.e. nearly all), split
 * directly: what csv-parse gives for such text with the options above (checked against it in
 * test/unit/state-overhead.test.ts), at a fraction of its cost on a 100,000-row history. Undefined for anything
 * else, or anything wrong (a wrong field count, a line over MAX_RECORD_CHARS): csv-parse then reads the file and
 * says what and where.
 */
function parsePlain(body: string, columns: number): string[][] | undefined {
  if (body.includes('"')) return undefined;
  const rows: string[][] = [];
  let start = 0;
  while (start < body.length) {
    let end = body.indexOf("\n", start);
    if (end === -1) end = body.length;
    // "\r\n" ends a record as "\n" does; a lone "\r" (the last character included) is data.
    const stop = end < body.length && end > start && body.charCodeAt(end - 1) === 0x0d ? end - 1 : end;
    if (stop - start > MAX_RECORD_CHARS) return undefined;
    if (stop > start) {
      const record = body.slice(start, stop).split(",");
      // A line of spaces or tabs is blank, as below.
      if (!(record.length === 1 && /^[ \t]*$/.test(record[0] ?? ""))) {
        if (record.length !== columns) return undefined;
        rows.push(record);
      }
    }
    start = end + 1;
  }
  return rows;
}

function lineOfIndex(text: string, index: number): number {
  let line = 1;
  for (let at = text.indexOf("\n"); at !== -1 && at < index; at = text.indexOf("\n", at + 1)) line++;
  return line;
}

/**
 * The 1-based line of the first record starting at or after UTF-8 byte `offset` (csv-parse reports positions
 * in bytes): blank lines csv-parse skipped are stepped over. Only runs on the error path.
 */
function lineOfByte(text: string, offset: number): number {
  const bytes = Buffer.from(text, "utf8");
  let start = offset;
  while (start < bytes.length && (bytes[start] === 0x0a || bytes[start] === 0x0d)) start++;
  let line = 1;
  for (let at = bytes.indexOf(0x0a); at !== -1 && at < start; at = bytes.indexOf(0x0a, at + 1)) line++;
  return line;
}
