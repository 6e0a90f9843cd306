// The state store's per-row shortcuts (bench/overhead.ts measures them) must not change what lands in the files.
import { stringify } from "csv-stringify/sync";
import { appendFile, mkdtemp, readFile, readdir, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { StateFileError } from "../../src/errors.js";
import { formatCsvRow, MAX_RECORD_CHARS, parseCsvRows, parseWithCsvParse } from "../../src/state/csv.js";
import { StateStore } from "../../src/state/files.js";
import { createSeededRandom } from "../support/seeded-random.js";

describe("formatCsvRow's fast path", () => {
  it("writes what csv-stringify writes, for any field", () => {
    const random = createSeededRandom(7);
    const alphabet = [
      "a",
      "Z",
      "0",
      ",",
      '"',
      "\r",
      "\n",
      " ",
      "\t",
      "\u00a0",
      "\u2028",
      "\u3000",
      "\uFEFF",
      "\v",
      "\f",
      "é",
      "😀",
      "'",
      "=",
      "+",
      "-",
      "@",
      ";",
      "\\",
      "|",
      "#",
      "/",
      ":",
    ];
    for (let i = 0; i < 20_000; i++) {
      const fields = Array.from({ length: 1 + (i % 3) }, () =>
        Array.from({ length: Math.floor(random() * 6) }, () => alphabet[Math.floor(random() * alphabet.length)]).join(
          "",
        ),
      );
      const expected = stringify([fields], { quoted_match: [/\r/, /^\s|\s$/], record_delimiter: "unix" });
      expect(formatCsvRow(fields), JSON.stringify(fields)).toBe(expected);
    }
  });
});

describe("parseCsvRows's fast path for files without quotes", () => {
  const outcome = (fn: () => string[][]): string[][] | string => {
    try {
      return fn();
    } catch (err) {
      if (err instanceof StateFileError) return `${err.line}: ${err.message}`;
      throw err;
    }
  };
  const opts = { file: "/state/snapshots", columns: 3 };

  it("reads what csv-parse reads, and fails where and as it fails", () => {
    const random = createSeededRandom(11);
    const alphabet = [
      "a",
      "b",
      "é",
      "😀",
      ",",
      ",",
      "\n",
      "\n",
      "\r",
      "\r\n",
      " ",
      "\t",
      "\u2028",
      "'",
      "x,y,z\n",
      "h,c,s\r\n",
    ];
    for (let i = 0; i < 20_000; i++) {
      const text = Array.from(
        { length: Math.floor(random() * 14) },
        () => alphabet[Math.floor(random() * alphabet.length)],
      ).join("");
      expect(
        outcome(() => parseCsvRows(text, opts)),
        JSON.stringify(text),
      ).toEqual(outcome(() => parseWithCsvParse(text, opts)));
    }
  });

  it("reads a large history as csv-parse does", () => {
    const text =
      Array.from(
        { length: 20_000 },
        (_, i) =>
          `http://127.0.0.1:6333,c${i % 97}-1-2026-01-${(i % 28) + 1}.snapshot,ok${i % 5 === 0 ? "\r\n" : "\n"}`,
      ).join("") + "\n \n\t\nh,s,ok";
    expect(parseCsvRows(text, opts)).toEqual(parseWithCsvParse(text, opts));
  });

  it("leaves errors to csv-parse: a long record, a wrong field count", () => {
    const long = `h,${"x".repeat(MAX_RECORD_CHARS)},ok\n`;
    expect(outcome(() => parseCsvRows(`h,s,ok\n${long}`, opts))).toEqual(
      outcome(() => parseWithCsvParse(`h,s,ok\n${long}`, opts)),
    );
    expect(outcome(() => parseCsvRows("h,s,ok\n\nh,s\n", opts))).toBe(
      "3: state file /state/snapshots line 3: expected 3 fields, got 2",
    );
  });
});

describe("StateStore's kept append descriptor", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "state-overhead-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const text = (name: string) => readFile(join(dir, name), "utf8");
  const row = (collection: string) => ({ host: "h", collection });

  it("writes every row once, in order, across many appends", async () => {
    const store = new StateStore(dir);
    for (let i = 0; i < 50; i++) await store.append("collections", row(`c${i}`));
    await store.close();
    expect(await text("collections")).toBe(Array.from({ length: 50 }, (_, i) => `h,c${i}\n`).join(""));
  });

  it("follows the file when it is removed and created again between appends", async () => {
    const store = new StateStore(dir);
    await store.append("collections", row("a"));
    await rm(join(dir, "collections"));
    await store.append("collections", row("b"));
    await writeFile(join(dir, "collections"), "h,x\n");
    await store.append("collections", row("c"));
    await store.close();
    expect(await text("collections")).toBe("h,x\nh,c\n");
  });

  it("follows the file when it is renamed away between appends", async () => {
    const store = new StateStore(dir);
    await store.append("collections", row("a"));
    await rename(join(dir, "collections"), join(dir, "collections.old"));
    await store.append("collections", row("b"));
    await store.close();
    expect(await text("collections")).toBe("h,b\n");
    expect(await text("collections.old")).toBe("h,a\n");
  });

  it("adds the newline another writer left out, as on the first append", async () => {
    const store = new StateStore(dir);
    await store.append("collections", row("a"));
    await appendFile(join(dir, "collections"), "h,hand-edited");
    await store.append("collections", row("b"));
    await store.close();
    expect(await text("collections")).toBe("h,a\nh,hand-edited\nh,b\n");
  });

  it("writes to the new file after replace, moveAside and reset", async () => {
    const store = new StateStore(dir);
    await store.append("collections", row("a"));
    await store.replace("collections", Buffer.from("h,r\n"));
    await store.append("collections", row("b"));
    expect(await text("collections")).toBe("h,r\nh,b\n");
    const aside = await store.moveAside("collections", new Date(2026, 0, 1), ".local.bkp");
    await store.append("collections", row("c"));
    expect(await text("collections")).toBe("h,c\n");
    expect(await readFile(aside!, "utf8")).toBe("h,r\nh,b\n");
    await store.reset({ bkp: false, now: new Date() });
    await store.append("collections", row("d"));
    await store.close();
    expect(await text("collections")).toBe("h,d\n");
    expect((await readdir(dir)).sort()).toEqual(["collections", "collections-2026-01-01_00-00-00.local.bkp"]);
  });
});
