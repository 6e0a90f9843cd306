import { parse } from "csv-parse/sync";
import { describe, expect, it } from "vitest";
import { StateFileError } from "../../src/errors.js";
import { formatCsvRow, parseCsvRows } from "../../src/state/csv.js";

const opts = (columns: number) => ({ file: "/state/snapshots", columns });

/** Runs fn and returns the StateFileError it throws. */
function stateError(fn: () => unknown): StateFileError {
  try {
    fn();
  } catch (err) {
    if (err instanceof StateFileError) return err;
    throw err;
  }
  throw new Error("expected a StateFileError");
}

const hostile: string[][] = [
  ["http://qdrant-0:6333", "coll,with,commas", 'say "hi"'],
  ["h", "line\nbreak", "cr\ronly"],
  ["h", "crlf\r\ninside", '"'],
  ["h", '""', ","],
  [" leading", "trailing ", "\ttab"],
  ["h", "", ""],
  ["", "", ""],
  ["h", "unicode: é ü 中文 😀 \u2028 \u00a0", "ünïcödé"],
  ["h", "x".repeat(255), `${"é".repeat(254)},`],
  ["h", 'a"b', "'single'"],
  ["\uFEFFbom-in-field", "h", "c"],
  ["h", " ", "  "],
];

describe("formatCsvRow", () => {
  it("writes plain fields bare, exactly like the bash tool's echo", () => {
    expect(formatCsvRow(["http://qdrant-0:6333", "my_coll", "my_coll-1-2026-01-29-11-44-03.snapshot"])).toBe(
      "http://qdrant-0:6333,my_coll,my_coll-1-2026-01-29-11-44-03.snapshot\n",
    );
    expect(formatCsvRow(["h", 'a"b'])).toBe('h,"a""b"\n');
  });

  it.each([
    ["a,b", '"a,b"'],
    ['a"b', '"a""b"'],
    ["a\nb", '"a\nb"'],
    ["a\rb", '"a\rb"'],
    [" a", '" a"'],
    ["a ", '"a "'],
    ["\ta", '"\ta"'],
    ["a\u00a0", '"a\u00a0"'],
    ["", ""],
    ["a b", "a b"],
    ["é😀", "é😀"],
    ["'", "'"],
  ])("formats %j as %j", (field, expected) => {
    expect(formatCsvRow(["x", field])).toBe(`x,${expected}\n`);
  });

  it("refuses a NUL byte instead of writing a file it could not read back", () => {
    expect(() => formatCsvRow(["h", "a\u0000b"])).toThrow(/NUL/);
  });

  it.each(hostile.map((row) => [row]))("round-trips %j through csv-parse and parseCsvRows", (row) => {
    const line = formatCsvRow(row);
    expect(parse(line)).toEqual([row]);
    expect(parseCsvRows(line, opts(3))).toEqual([row]);
  });

  it("round-trips a whole file of hostile rows", () => {
    const text = hostile.map(formatCsvRow).join("");
    expect(parseCsvRows(text, opts(3))).toEqual(hostile);
  });
});

describe("parseCsvRows", () => {
  it("reads the bash tool's plain lines", () => {
    const text = "http://a:6333,c1,c1-1-2026.snapshot\nhttp://b:6333,c2,c2-2-2026.snapshot\n";
    expect(parseCsvRows(text, opts(3))).toEqual([
      ["http://a:6333", "c1", "c1-1-2026.snapshot"],
      ["http://b:6333", "c2", "c2-2-2026.snapshot"],
    ]);
  });

  it("reads a bare quote inside a field as the bash tool wrote it", () => {
    expect(parseCsvRows('h,my"alias\n', opts(2))).toEqual([["h", 'my"alias']]);
  });

  it("accepts a missing final newline", () => {
    expect(parseCsvRows("a,b\nc,d", opts(2))).toEqual([
      ["a", "b"],
      ["c", "d"],
    ]);
  });

  it("accepts CRLF and mixed line endings", () => {
    expect(parseCsvRows("a,b\r\nc,d\r\n", opts(2))).toEqual([
      ["a", "b"],
      ["c", "d"],
    ]);
    expect(parseCsvRows("a,b\nc,d\r\ne,f", opts(2))).toEqual([
      ["a", "b"],
      ["c", "d"],
      ["e", "f"],
    ]);
  });

  it("strips a UTF-8 BOM at the start only", () => {
    expect(parseCsvRows("\uFEFFa,b\n", opts(2))).toEqual([["a", "b"]]);
  });

  it("skips blank and whitespace-only lines", () => {
    expect(parseCsvRows("\n\na,b\n\n \t\r\n\r\nc,d\n\n", opts(2))).toEqual([
      ["a", "b"],
      ["c", "d"],
    ]);
    expect(parseCsvRows("", opts(2))).toEqual([]);
    expect(parseCsvRows("\n\r\n  \n", opts(2))).toEqual([]);
    expect(parseCsvRows("\uFEFF", opts(2))).toEqual([]);
  });

  it("keeps field values exactly, whitespace included", () => {
    expect(parseCsvRows(" a , b \n", opts(2))).toEqual([[" a ", " b "]]);
  });

  it("keeps empty fields", () => {
    expect(parseCsvRows("a,,\n,,\n", opts(3))).toEqual([
      ["a", "", ""],
      ["", "", ""],
    ]);
  });

  describe("errors", () => {
    it("names the file and line of a record with too few fields", () => {
      const err = stateError(() => parseCsvRows("a,b,c\nd,e\n", opts(3)));
      expect(err.file).toBe("/state/snapshots");
      expect(err.line).toBe(2);
      expect(err.message).toBe("state file /state/snapshots line 2: expected 3 fields, got 2");
      expect(err.exitCode).toBe(2);
    });

    it("checks the first record against the expected count too", () => {
      const err = stateError(() => parseCsvRows("a,b\nc,d,e\n", opts(3)));
      expect(err.line).toBe(1);
      expect(err.message).toContain("expected 3 fields, got 2");
    });

    it("reports too many fields", () => {
      const err = stateError(() => parseCsvRows("a,b\nc,d\ne,f,g", opts(2)));
      expect(err.line).toBe(3);
      expect(err.message).toContain("expected 2 fields, got 3");
    });

    it("counts blank lines, CRLF lines, a BOM and multi-line quoted fields when naming the line", () => {
      const text = '\uFEFF\r\na,"x\r\ny\nz"\n\n\r\n   \nc,d,e\n';
      const err = stateError(() => parseCsvRows(text, opts(2)));
      expect(err.line).toBe(8);
    });

    it("names the start line of a bad multi-line record", () => {
      const text = 'a,b\n\n"x\ny",z,extra\nc,d\n';
      expect(stateError(() => parseCsvRows(text, opts(2))).line).toBe(3);
    });

    it("counts lines in characters, not bytes, after unicode", () => {
      const text = "é😀,中文\n\n中,文,字\n";
      expect(stateError(() => parseCsvRows(text, opts(2))).line).toBe(3);
    });

    it("ignores a lone CR inside a quoted field when counting lines", () => {
      const text = 'a,"x\ry"\nb,c,d\n';
      expect(stateError(() => parseCsvRows(text, opts(2))).line).toBe(2);
    });

    it("reports an unterminated quoted field at the line where it opens", () => {
      const err = stateError(() => parseCsvRows('a,b\n\n\nc,"d\ne,f\n\n', opts(2)));
      expect(err.line).toBe(4);
      expect(err.message).toBe("state file /state/snapshots line 4: unterminated quoted field");
    });

    it("reports an unterminated quote on the first line", () => {
      expect(stateError(() => parseCsvRows('"a,b\n', opts(2))).line).toBe(1);
    });

    it("reports a NUL byte with its line", () => {
      const err = stateError(() => parseCsvRows("a,b\nc,d\u0000\n", opts(2)));
      expect(err.line).toBe(2);
      expect(err.message).toContain("NUL byte");
      expect(stateError(() => parseCsvRows("\u0000", opts(2))).line).toBe(1);
    });

    it("reports a single field on a line as a wrong count, not as blank", () => {
      expect(stateError(() => parseCsvRows("a,b\nlonely\n", opts(2))).line).toBe(2);
    });
  });
});
