// Comments that name a file must name one that exists: a newcomer following "see X" should find X.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

function sources(dir: string): string[] {
  return readdirSync(path.join(root, dir), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith(".ts"))
    .map((e) => path.relative(root, path.join(e.parentPath, e.name)));
}

/** The text of a line's comment: after `//`, or a line of a block comment (starting with `/*` or `*`). */
function commentOf(line: string): string | undefined {
  const t = line.trim();
  if (t.startsWith("/*") || t.startsWith("*")) return t;
  const at = line.indexOf("// ");
  return at >= 0 ? line.slice(at) : undefined;
}

/** A named .ts or .md file resolves from the repository root, from src/, or from the commenting file's folder. */
function resolves(file: string, name: string): boolean {
  return [root, path.join(root, "src"), path.join(root, path.dirname(file))].some((base) =>
    existsSync(path.join(base, name)),
  );
}

describe("comments", () => {
  it("name only .ts and .md files that exist in the repository (src/, bench/)", () => {
    const dangling: string[] = [];
    for (const file of [...sources("src"), ...sources("bench")]) {
      readFileSync(path.join(root, file), "utf8")
        .split("\n")
        .forEach((line, i) => {
          const comment = commentOf(line);
          if (comment === undefined) return;
          for (const [name] of comment.matchAll(/(?<![\w./-])[\w][\w./-]*\.(?:ts|md)\b/g)) {
            if (!resolves(file, name)) dangling.push(`${file}:${i + 1}: ${name}`);
          }
        });
    }
    expect(dangling).toEqual([]);
  });
});
