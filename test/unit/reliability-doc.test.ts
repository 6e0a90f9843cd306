// RELIABILITY.md names, for each guarantee, the test that proves it. This keeps those names true: every
// `test/….ts` it cites exists, and every `› title` after it is the title of a test in that file.
import { readFileSync, existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const doc = readFileSync(path.join(root, "RELIABILITY.md"), "utf8");

/** Each backticked citation: `test/x.test.ts` or `test/x.test.ts › title`, and `› title` continuing the last file. */
function citations(): { file: string; title?: string }[] {
  const out: { file: string; title?: string }[] = [];
  let file = "";
  for (const m of doc.matchAll(/`([^`]+)`/g)) {
    const text = m[1] ?? "";
    const full = /^(test\/[^\s`]+\.ts)(?: › (.+))?$/.exec(text);
    if (full) {
      file = full[1] ?? "";
      out.push(full[2] === undefined ? { file } : { file, title: full[2] });
      continue;
    }
    const cont = /^› (.+)$/.exec(text);
    if (cont && file) out.push({ file, title: cont[1] });
  }
  return out;
}

describe("RELIABILITY.md", () => {
  const cited = citations();

  it("cites tests", () => {
    expect(cited.length).toBeGreaterThan(20);
  });

  it.each(cited.map((c) => [c.title === undefined ? c.file : `${c.file} › ${c.title}`, c] as const))(
    "%s exists",
    (_name, c) => {
      const file = path.join(root, c.file);
      expect(existsSync(file), `${c.file} does not exist`).toBe(true);
      if (c.title !== undefined) {
        const source = readFileSync(file, "utf8");
        const quoted = [`"${c.title}"`, `'${c.title}'`, `\`${c.title}\``];
        expect(
          quoted.some((q) => source.includes(q)),
          `no test titled ${JSON.stringify(c.title)} in ${c.file}`,
        ).toBe(true);
      }
    },
  );
});
