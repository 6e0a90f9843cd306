// The layers of src/ (ARCHITECTURE.md): every import points down this list or stays in its own folder, except that no
// command imports another (shared logic goes to src/backup/).
// The test reads each file's import specifiers, resolves the relative ones and fails on an edge that points up.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), "../../src");

/** Layer of a file under src/, from the top (entry) down to the shared floor. */
const LAYERS: readonly { name: string; files: RegExp }[] = [
  { name: "entry", files: /^cli\.ts$/ },
  {
    name: "composition",
    files:
      /^((main|program|task-flags|completion|runner|runtime|session|outcome|env-file|shutdown|tasks)\.ts$|tasks\/)/,
  },
  { name: "progress", files: /^progress\// },
  { name: "reporting", files: /^metrics\// },
  { name: "commands", files: /^commands\// },
  { name: "domain", files: /^backup\// },
  { name: "state", files: /^state\// },
  { name: "store", files: /^store\// },
  { name: "clients", files: /^(qdrant|s3)\// },
  { name: "core", files: /^(core\/|lib\/|(config|errors|log|variables)\.ts$)/ },
];

function layerOf(file: string): number {
  const i = LAYERS.findIndex((l) => l.files.test(file));
  if (i < 0)
    throw new Error(`${file}: in no layer of the import-graph test; add its folder to LAYERS and ARCHITECTURE.md`);
  return i;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return e.name.endsWith(".ts") ? [relative(SRC, p)] : [];
  });
}

const files = sourceFiles(SRC);

/** The relative import specifiers of a file, resolved to paths under src/ (`.ts`, or `.d.ts` for generated types). */
function importsOf(file: string): string[] {
  const text = readFileSync(join(SRC, file), "utf8");
  const specs = [
    ...text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+"(\.[^"]+)"/g),
    ...text.matchAll(/import\("(\.[^"]+)"\)/g),
  ];
  return specs.map((m) => {
    const target = relative(SRC, resolve(dirname(join(SRC, file)), m[1]!.replace(/\.js$/, "")));
    return files.includes(`${target}.d.ts`) ? `${target}.d.ts` : `${target}.ts`;
  });
}

describe("the import graph of src/", () => {
  it("sees every file of src/ in a layer", () => {
    expect(files.length).toBeGreaterThan(50);
    for (const f of files) layerOf(f);
  });

  it("has no upward edge: no module imports one of a layer above it", () => {
    const upward: string[] = [];
    for (const from of files) {
      for (const to of importsOf(from)) {
        if (!files.includes(to)) throw new Error(`${from} imports ${to}, which does not exist`);
        if (layerOf(to) < layerOf(from))
          upward.push(`${from} -> ${to} (${LAYERS[layerOf(from)]!.name} -> ${LAYERS[layerOf(to)]!.name})`);
      }
    }
    expect(upward).toEqual([]);
  });

  it("has no edge between commands: shared logic goes to src/backup/, never into another command", () => {
    const sideways = files
      .filter((from) => from.startsWith("commands/"))
      .flatMap((from) =>
        importsOf(from)
          .filter((to) => to.startsWith("commands/"))
          .map((to) => `${from} -> ${to}`),
      );
    expect(sideways).toEqual([]);
  });
});

describe("lazily loaded dependencies", () => {
  it("prom-client is loaded only by import() (the bundle keeps it lazy: --help and runs without metrics never evaluate it)", () => {
    const users = files.filter((f) => /prom-client/.test(readFileSync(join(SRC, f), "utf8")));
    expect(users).toEqual(["metrics/render.ts"]);
    const text = readFileSync(join(SRC, "metrics/render.ts"), "utf8");
    expect(text).not.toMatch(/(?:^|\n)\s*import\s[^;]*from\s+"prom-client"/);
    expect(text).toMatch(/await import\("prom-client"\)/);
  });
});

describe("ARCHITECTURE.md", () => {
  const doc = readFileSync(resolve(SRC, "../ARCHITECTURE.md"), "utf8");

  it("links only to files and folders that exist", () => {
    const links = [...doc.matchAll(/\]\(([^)#]+)\)/g)].map((m) => m[1]!).filter((l) => !l.startsWith("http"));
    expect(links.length).toBeGreaterThan(20);
    const missing = links.filter((l) => !existsSync(resolve(SRC, "..", l)));
    expect(missing).toEqual([]);
  });

  it("names every folder of src/ in its table of layers", () => {
    const folders = readdirSync(SRC, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name);
    for (const f of folders) expect(doc, f).toContain(`src/${f}/`);
  });
});
