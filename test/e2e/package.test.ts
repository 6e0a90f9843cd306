// The release tarball: `npm pack` ships only the bundle, its map and the docs; `npm install -g` of it works offline
// with an empty cache (nothing to fetch: every dependency is bundled into dist/cli.js), and both bin names answer
// --help and --version.
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { copyFile, mkdir, symlink, writeFile } from "node:fs/promises";
import { isBuiltin } from "node:module";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI_PATH, cliPath } from "../support/cli.js";
import { makeTempDir } from "../support/tmp.js";
import { assertNoSecrets } from "./secret-scan.js";

const root = path.resolve(path.dirname(CLI_PATH), "..");
const pkg = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as {
  name: string;
  version: string;
  bin: Record<string, string>;
};
const NPM_TIMEOUT_MS = 180_000;
const BIN_NAMES = ["qdrant-backup-restore", "qdrant_backup_recovery"] as const;
/** npm always packs a LICENSE file; the project has none today. */
const LICENSES = readdirSync(root).filter((f) => /^licen[cs]e(\.|$)/i.test(f));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: readonly string[], opts: { cwd: string; env: Record<string, string> }): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, [...args], { cwd: opts.cwd, env: opts.env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** PATH with this node's directory first, so `npm` finds it. */
const PATH = `${path.dirname(process.execPath)}${path.delimiter}${process.env["PATH"] ?? ""}`;
/** PATH for the installed bins: their `#!/usr/bin/env -S node --` finds CLI_NODE (QBR_TEST_NODE, else this node). */
const BIN_PATH = cliPath();

/**
 * The environment for npm: none of the npm_* variables that `npm test` exports (its cache, prefix, user config),
 * an empty user config, and no update check; the command-line flags say the rest.
 */
function npmEnv(userconfig: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !/^npm_/i.test(k)) env[k] = v;
  }
  return { ...env, PATH, npm_config_userconfig: userconfig, npm_config_update_notifier: "false" };
}

function expectOk(r: Run, what: string): void {
  if (r.code !== 0) throw new Error(`${what} exited ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);
}

describe("npm pack and an offline global install", () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let packed: { filename: string; files: { path: string }[]; bundled: string[] };
  let prefix: string;
  let installed: string;
  let runCwd: string;

  beforeAll(async () => {
    if (!existsSync(CLI_PATH)) throw new Error(`${CLI_PATH} is missing: run npm run build (npm test does) first`);
    tmp = await makeTempDir("pack");
    const userconfig = path.join(tmp.dir, "npmrc");
    await writeFile(userconfig, "");
    const env = npmEnv(userconfig);
    const cache = path.join(tmp.dir, "cache"); // empty: nothing can come from a warm cache
    prefix = path.join(tmp.dir, "prefix");
    runCwd = path.join(tmp.dir, "cwd");
    await mkdir(runCwd);

    // --ignore-scripts: pack what is built; a prepack/prepare script must never rebuild or re-test from here.
    const pack = await run(
      "npm",
      ["pack", "--pack-destination", tmp.dir, "--json", "--ignore-scripts", "--offline", "--cache", cache],
      { cwd: root, env },
    );
    expectOk(pack, "npm pack");
    const out = JSON.parse(pack.stdout) as (typeof packed)[];
    expect(out).toHaveLength(1);
    packed = out[0]!;

    const install = await run(
      "npm",
      [
        "install",
        "-g",
        "--prefix",
        prefix,
        "--offline",
        "--cache",
        cache,
        "--no-audit",
        "--no-fund",
        `./${packed.filename}`,
      ],
      { cwd: tmp.dir, env },
    );
    expectOk(install, "npm install -g --offline");
    installed = path.join(prefix, "lib", "node_modules", pkg.name);
  }, NPM_TIMEOUT_MS);

  afterAll(async () => {
    await tmp?.cleanup();
  });

  it("packs exactly the bundle, its source map, the README, .env.sample and package.json", () => {
    const expected = ["dist/cli.js", "dist/cli.js.map", "README.md", ".env.sample", "package.json", ...LICENSES];
    expect(packed.files.map((f) => f.path).sort()).toEqual(expected.sort());
    expect(packed.bundled).toEqual([]);
    expect(packed.filename).toBe(`${pkg.name}-${pkg.version}.tgz`);
  });

  it("has nothing to install besides itself: no dependencies, and the bundle imports only Node built-ins", () => {
    const manifest = JSON.parse(readFileSync(path.join(installed, "package.json"), "utf8")) as Record<string, unknown>;
    for (const key of [
      "dependencies",
      "optionalDependencies",
      "peerDependencies",
      "bundleDependencies",
      "bundledDependencies",
    ]) {
      expect(manifest[key], key).toBeUndefined();
    }
    expect(existsSync(path.join(installed, "node_modules"))).toBe(false);
    expect(readdirSync(installed).sort()).toEqual(
      [".env.sample", "README.md", "dist", "package.json", ...LICENSES].sort(),
    );
    const bundle = readFileSync(path.join(installed, "dist", "cli.js"), "utf8");
    expect(bundle.startsWith("#!/usr/bin/env -S node --\n")).toBe(true);
    const imports = [...bundle.matchAll(/^import\s[^;]*?\bfrom\s*["']([^"']+)["']/gm)].map((m) => m[1]!);
    expect(imports.length).toBeGreaterThan(0);
    expect(imports.filter((m) => !isBuiltin(m))).toEqual([]);
  });

  it.each(BIN_NAMES)("%s --help lists the tasks and exits 0", async (name) => {
    expect(pkg.bin[name]).toBe("dist/cli.js");
    const r = await run(path.join(prefix, "bin", name), ["--help"], { cwd: runCwd, env: { PATH: BIN_PATH } });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: qdrant-backup-restore /);
    for (const task of [
      "get_coll",
      "create_snap",
      "get_snap",
      "get_snap_s3",
      "recover_snap",
      "get_colla",
      "recover_colla",
      "reset",
    ]) {
      expect(r.stdout).toMatch(new RegExp(`^ {2}${task}[| ]`, "m"));
    }
    await assertNoSecrets({ stdout: r.stdout, stderr: r.stderr, secrets: [] });
  });

  it.each(BIN_NAMES)("%s --version prints the package version", async (name) => {
    const r = await run(path.join(prefix, "bin", name), ["--version"], { cwd: runCwd, env: { PATH: BIN_PATH } });
    expect(r).toEqual({ code: 0, stdout: `${pkg.version}\n`, stderr: "" });
    await assertNoSecrets({ stdout: r.stdout, stderr: r.stderr, secrets: [] });
  });
});

describe("npm pack in a fresh clone (no dist/)", () => {
  it(
    "builds first (prepack), so the tarball holds dist/cli.js and its map",
    async () => {
      const pkgScripts = (
        JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as { scripts: Record<string, string> }
      ).scripts;
      expect(pkgScripts["prepack"]).toMatch(/\bbuild\b/);
      const tmp = await makeTempDir("pack-fresh");
      try {
        // The tracked files, as a clone has them (dist/ is ignored, so absent); the dependencies as `npm ci` would install them.
        const listed = await run("git", ["ls-files", "-z"], { cwd: root, env: { PATH } });
        expectOk(listed, "git ls-files");
        const clone = path.join(tmp.dir, "clone");
        for (const file of listed.stdout.split("\0").filter((f) => f !== "" && existsSync(path.join(root, f)))) {
          await mkdir(path.dirname(path.join(clone, file)), { recursive: true });
          await copyFile(path.join(root, file), path.join(clone, file));
        }
        expect(existsSync(path.join(clone, "dist"))).toBe(false);
        await symlink(path.join(root, "node_modules"), path.join(clone, "node_modules"), "dir");
        const userconfig = path.join(tmp.dir, "npmrc");
        await writeFile(userconfig, "");
        const pack = await run(
          "npm",
          ["pack", "--pack-destination", tmp.dir, "--json", "--offline", "--cache", path.join(tmp.dir, "cache")],
          { cwd: clone, env: npmEnv(userconfig) },
        );
        expectOk(pack, "npm pack in a fresh clone");
        // npm prints the prepack script's output before the JSON document.
        const out = JSON.parse(pack.stdout.slice(pack.stdout.indexOf("["))) as {
          files: { path: string; size: number }[];
        }[];
        const files = out[0]!.files;
        expect(files.map((f) => f.path)).toEqual(expect.arrayContaining(["dist/cli.js", "dist/cli.js.map"]));
        expect(files.find((f) => f.path === "dist/cli.js")!.size).toBeGreaterThan(100_000);
      } finally {
        await tmp.cleanup();
      }
    },
    NPM_TIMEOUT_MS,
  );
});
