// Counts and lists in README.md that the code or the repository decides: they must say what is true.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { STATE_FILES } from "../../src/state/files.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const readme = readFileSync(path.join(root, "README.md"), "utf8");
const NUMBERS = [
  "zero",
  "one",
  "two",
  "three",
  "four",
  "five",
  "six",
  "seven",
  "eight",
  "nine",
  "ten",
  "eleven",
  "twelve",
];

/** The folders under test/ that hold test files (what `vitest run` runs: test/**\/*.test.ts). */
function testFolders(): string[] {
  const dirs = new Set<string>();
  const walk = (dir: string): void => {
    for (const e of readdirSync(path.join(root, dir), { withFileTypes: true })) {
      const rel = `${dir}/${e.name}`;
      if (e.isDirectory()) walk(rel);
      else if (e.name.endsWith(".test.ts")) dirs.add(rel.split("/").slice(0, 2).join("/"));
    }
  };
  walk("test");
  return [...dirs].sort();
}

describe("README.md facts", () => {
  it("every `npm test` line lists each test folder npm test runs", () => {
    const config = readFileSync(path.join(root, "vitest.config.ts"), "utf8");
    expect(config).toContain(`include: ["test/**/*.test.ts"]`);
    const lines = readme.split("\n").filter((l) => /^npm test\s+#/.test(l));
    expect(lines.length).toBeGreaterThanOrEqual(2);
    const folders = testFolders();
    expect(folders).toContain("test/faults");
    for (const line of lines) {
      expect([...new Set(line.match(/\btest\/[a-z0-9-]+/g) ?? [])].sort(), line).toEqual(folders);
    }
  });

  it("counts the state files as the code does, and its table lists each of them", () => {
    const count = Object.keys(STATE_FILES).length;
    const said = [...readme.matchAll(/\bthe (\w+) state files\b/g)].map((m) => m[1]!);
    expect(said.length).toBeGreaterThan(0);
    for (const word of said) expect(word).toBe(NUMBERS[count]);
    for (const f of Object.values(STATE_FILES))
      expect(readme, f.name).toMatch(new RegExp(`^\\| \`${f.name}\` \\| `, "m"));
  });
});
