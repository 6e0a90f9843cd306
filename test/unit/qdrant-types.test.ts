// The tool's Qdrant wire types are generated from the OpenAPI document in the repository, never edited by hand.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

describe("src/qdrant/openapi/schema.d.ts", () => {
  it("is what npm run gen:qdrant-types generates from src/qdrant/openapi/qdrant-openapi.json", () => {
    const pkg = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as {
      scripts: Record<string, string>;
    };
    const [bin, ...args] = pkg.scripts["gen:qdrant-types"]!.split(" ");
    expect(bin).toBe("openapi-typescript");
    const r = spawnSync(
      process.execPath,
      [path.join(root, "node_modules/openapi-typescript/bin/cli.js"), ...args, "--check"],
      { cwd: root, encoding: "utf8" },
    );
    expect(`${r.stdout}${r.stderr}`).not.toMatch(/not up-to-date/);
    expect(r.status, `${r.stdout}${r.stderr}`).toBe(0);
  }, 60_000);
});
