// The Dockerfile and .dockerignore, read statically (there is no Docker engine in the test environment):
// a pinned multi-stage build, a runtime stage with Node and the bundle only, a numeric non-root user, the
// state directory as working directory and volume, an exec-form ENTRYPOINT, no secrets, OCI labels.
// test/e2e/container.test.ts runs the ENTRYPOINT against the bundle.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { VARIABLE_NAMES } from "../../src/variables.js";
import { numericUser, readPackage, readStages, ROOT, runtimeStage, type Stage } from "../e2e/image.js";

const { name: NAME, version: VERSION, license: LICENSE, nodeMajor: ENGINE_MIN } = readPackage();

const stages = readStages();
const runtime = runtimeStage(stages);
const builders = stages.slice(0, -1);
const stageNames = new Set(stages.map((s) => s.name).filter((n): n is string => n !== undefined));
/** A full x.y.z version, optionally with a variant suffix (`24.11.1-bookworm-slim`). */
const PINNED_TAG = /^\d+\.\d+\.\d+(-[a-z0-9][a-z0-9.-]*)?$/;

function buildStageOf(name: string | undefined): Stage {
  const stage = stages.find((s) => s.name === name);
  if (stage === undefined) throw new Error(`no stage named ${String(name)}`);
  return stage;
}

describe("Dockerfile stages", () => {
  it("has a build stage and a runtime stage", () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(
      builders.every((s) => s.name !== undefined),
      "every stage but the last is named",
    ).toBe(true);
  });

  it("pins every base image to a full x.y.z tag (never latest), optionally with a digest", () => {
    for (const s of stages) {
      if (stageNames.has(s.image)) continue; // FROM an earlier stage
      expect(s.tag, `FROM ${s.image}`).not.toBeNull();
      expect(s.tag ?? "", `FROM ${s.image}`).toMatch(PINNED_TAG);
      if (s.digest !== null) expect(s.digest, `FROM ${s.image}`).toMatch(/^sha256:[0-9a-f]{64}$/);
    }
  });

  it("builds and runs on the same Node image: an LTS (even major) at least the engines minimum, slim", () => {
    const bases = new Set(stages.filter((s) => !stageNames.has(s.image)).map((s) => s.image));
    expect(bases.size, [...bases].join(", ")).toBe(1);
    const base = stages[0]!;
    expect(base.imageName).toBe("node");
    const major = Number(base.tag?.split(".")[0]);
    expect(major % 2, "an even (LTS) Node major").toBe(0);
    expect(major).toBeGreaterThanOrEqual(ENGINE_MIN);
    expect(base.tag).toMatch(/-slim$/);
  });

  it("the build stage installs from the lock file with dev dependencies and builds the bundle", () => {
    const runs = builders.flatMap((s) => s.runs).join("\n");
    expect(runs).toMatch(/\bnpm ci\b/);
    expect(runs).not.toMatch(/--omit[= ]dev|--production\b/);
    expect(runs).toMatch(/\bnpm run build\b/);
    for (const s of builders) {
      for (const c of s.copies.filter((c) => c.from === undefined)) {
        for (const src of c.sources) expect(existsSync(path.join(ROOT, src)), `COPY ${src}`).toBe(true);
      }
    }
  });
});

describe("Dockerfile runtime stage", () => {
  it("copies only the bundle and its source map, from the build stage, not writable by the runtime user", () => {
    expect(runtime.adds).toEqual([]);
    expect(runtime.copies.length).toBeGreaterThan(0);
    const copied: string[] = [];
    for (const c of runtime.copies) {
      expect(c.from, "COPY --from a build stage").toBeDefined();
      const build = buildStageOf(c.from);
      expect(builders).toContain(build);
      expect(
        Object.keys(c.flags).filter((f) => f !== "from" && f !== "chmod"),
        "no --chown, --link, …",
      ).toEqual([]);
      for (const src of c.sources) {
        const rel = path.posix.relative(build.workdir ?? "/", src);
        expect(["dist/cli.js", "dist/cli.js.map"], `COPY --from=${String(c.from)} ${src}`).toContain(rel);
        copied.push(rel);
      }
    }
    expect(copied).toContain("dist/cli.js");
  });

  it("installs nothing at run time: no npm, no node_modules", () => {
    for (const run of runtime.runs) expect(run).not.toMatch(/\bnpm\b|\byarn\b|\bpnpm\b|node_modules/);
  });

  it("runs as a numeric non-root user and group", () => {
    const user = numericUser(runtime.user);
    expect(user, `USER ${String(runtime.user)}`).toBeDefined();
    expect(user?.uid).not.toBe(0);
    expect(user?.gid).toBeDefined();
    expect(user?.gid).not.toBe(0);
  });

  it("works in the state directory /state, a volume", () => {
    expect(runtime.workdir).toBe("/state");
    expect(runtime.volumes).toContain("/state");
  });

  it("ENTRYPOINT runs the bundle with node in exec form, with `--` so node leaves --env-file to the CLI", () => {
    const ep = runtime.entrypoint;
    if (ep === undefined || !("exec" in ep))
      throw new Error(`ENTRYPOINT must be in exec form, got ${JSON.stringify(ep)}`);
    const [node, dashes, script, ...rest] = ep.exec;
    expect(node).toBe("node");
    expect(dashes).toBe("--");
    expect(rest).toEqual([]);
    const dests = runtime.copies.flatMap((c) => c.sources.map((s) => path.posix.join(c.dest, path.posix.basename(s))));
    expect(dests).toContain(script);
    expect(path.posix.basename(script ?? "")).toBe("cli.js");
  });

  it("has no CMD, or CMD --help", () => {
    if (runtime.cmd !== undefined) expect(runtime.cmd).toEqual({ exec: ["--help"] });
  });

  it("sets NODE_ENV=production", () => {
    expect(runtime.env["NODE_ENV"]).toBe("production");
  });

  it("carries the OCI labels, with the package's name, version and license", () => {
    const l = runtime.labels;
    expect(l["org.opencontainers.image.title"]).toBe(NAME);
    expect(l["org.opencontainers.image.version"]).toBe(VERSION);
    expect(l["org.opencontainers.image.licenses"]).toBe(LICENSE);
    expect(l["org.opencontainers.image.description"]).toMatch(/\S/);
    expect(l["org.opencontainers.image.source"]).toMatch(/^https:\/\//);
  });
});

describe("Dockerfile secrets", () => {
  it("no stage has an ENV or ARG that looks like a secret, nor bakes in a variable of the CLI", () => {
    for (const s of stages) {
      for (const name of [...Object.keys(s.env), ...s.args]) {
        expect(name, `${s.name ?? "runtime"} stage`).not.toMatch(/KEY|SECRET|TOKEN|PASSWORD|PASSWD|CREDENTIAL/i);
        expect(VARIABLE_NAMES.has(name), `${name}: configuration comes from the environment at run time`).toBe(false);
      }
    }
  });
});

/**
 * Whether `file` (relative, `/`-separated) is left out of the build context by the .dockerignore `patterns`:
 * Docker's rules: the last matching pattern wins, `!` re-includes, a pattern matching a directory covers what is
 * in it, `*` and `?` stay within a path segment, `**` spans segments.
 */
function isIgnored(patterns: readonly string[], file: string): boolean {
  const toRegExp = (glob: string): RegExp => {
    let re = "";
    for (let i = 0; i < glob.length; i++) {
      const c = glob[i]!;
      if (c === "*" && glob[i + 1] === "*") {
        re += glob[i + 2] === "/" ? "(?:.*/)?" : ".*";
        i += glob[i + 2] === "/" ? 2 : 1;
      } else if (c === "*") re += "[^/]*";
      else if (c === "?") re += "[^/]";
      else re += c.replace(/[.+^${}()|[\]\\]/g, "\\$&");
    }
    return new RegExp(`^${re}$`);
  };
  const parts = file.split("/");
  const prefixes = parts.map((_, i) => parts.slice(0, i + 1).join("/"));
  let ignored = false;
  for (const raw of patterns) {
    const negated = raw.startsWith("!");
    const glob = path.posix.normalize((negated ? raw.slice(1) : raw).trim()).replace(/^\/+/, "");
    if (prefixes.some((p) => toRegExp(glob).test(p))) ignored = !negated;
  }
  return ignored;
}

describe(".dockerignore", () => {
  const patterns = readFileSync(path.join(ROOT, ".dockerignore"), "utf8")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"));

  it("the matcher follows Docker's rules (sanity check of this test)", () => {
    expect(isIgnored(["node_modules"], "node_modules/x/y.js")).toBe(true);
    expect(isIgnored(["node_modules"], "src/node_modules/x.js")).toBe(false);
    expect(isIgnored(["**/node_modules"], "src/node_modules/x.js")).toBe(true);
    expect(isIgnored(["*.env", "!keep.env"], "keep.env")).toBe(false);
    expect(isIgnored(["*"], "package.json")).toBe(true);
  });

  it("keeps local installs and builds, credentials, version control and test output out of the build context", () => {
    for (const file of [
      "node_modules/esbuild/package.json",
      "dist/cli.js",
      ".env",
      ".env.production",
      "prod.env",
      ".git/config",
      "coverage/index.html",
      "qdrant-backup-restore-0.1.0.tgz",
      "bench-results.json",
      "test/e2e/rig.ts",
    ]) {
      expect(isIgnored(patterns, file), file).toBe(true);
    }
  });

  it("keeps every file the build stage copies from the context", () => {
    const wanted = builders.flatMap((s) => s.copies.filter((c) => c.from === undefined).flatMap((c) => c.sources));
    expect(wanted).toEqual(expect.arrayContaining(["package.json", "package-lock.json"]));
    const files = wanted.flatMap((src) => {
      const full = path.join(ROOT, src);
      if (!statSync(full).isDirectory()) return [src];
      return readdirSync(full, { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile())
        .map((e) => path.relative(ROOT, path.join(e.parentPath, e.name)).split(path.sep).join("/"));
    });
    expect(files).toEqual(expect.arrayContaining(["src/cli.ts", "scripts/build.mjs"]));
    for (const file of files) expect(isIgnored(patterns, file), file).toBe(false);
  });
});
