// The image's ENTRYPOINT, run the way the container runs it (there is no Docker engine here): the command line is
// taken from the parsed Dockerfile; the files its runtime stage copies (the bundle and its map) sit in a read-only
// stand-in for /app with no node_modules anywhere above; the working directory is a stand-in for the WORKDIR
// (/state); /tmp and the image's ENV (HOME) point at a temp dir. A real backup runs against the Qdrant emulator
// and the local S3 server, and must leave the state files in the working directory and the code untouched.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { chmod, copyFile, lstat, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { CLI_NODE, type CliResult } from "../support/cli.js";
import { createAlias, seedCollection } from "../support/emulator/seed.js";
import { expectExit, expectLogLines, plainLines, readStateText } from "./harness.js";
import { readPackage, readStages, ROOT, runtimeStage, type Stage } from "./image.js";
import { startRig, type Rig } from "./rig.js";
import { assertNoSecrets } from "./secret-scan.js";

const s3 = inject("s3");
const { version: VERSION } = readPackage();
const stages = readStages();
const image = runtimeStage(stages);

let rig: Rig;
let base = "";
let appDir = "";
let appHash = "";
/** Container path → host directory standing for it. */
let mounts: [string, string][] = [];
let stateCount = 0;

/** Where the runtime stage's COPY puts each file: [host source, container destination]. */
function imageFiles(): [string, string][] {
  return image.copies.flatMap((c) => {
    const build: Stage | undefined = stages.find((s) => s.name === c.from);
    if (build === undefined) throw new Error(`COPY --from=${String(c.from)}: not a stage of the Dockerfile`);
    return c.sources.map((src): [string, string] => {
      // The build stage builds the repository checkout copied into its WORKDIR: that path is this checkout.
      const rel = path.posix.relative(build.workdir ?? "/", src);
      const dest = c.dest.endsWith("/") ? path.posix.join(c.dest, path.posix.basename(src)) : c.dest;
      return [path.join(ROOT, ...rel.split("/")), dest];
    });
  });
}

/** The host path standing for container path `p`, when `p` is under one of the stand-in directories. */
function hostPath(p: string): string | undefined {
  for (const [prefix, dir] of mounts) {
    if (p === prefix) return dir;
    if (p.startsWith(`${prefix}/`)) return path.join(dir, ...p.slice(prefix.length + 1).split("/"));
  }
  return undefined;
}

/** Names, types, modes and contents of every entry under `dir`. */
async function hashTree(dir: string): Promise<string> {
  const h = createHash("sha256");
  const walk = async (d: string): Promise<void> => {
    for (const name of (await readdir(d)).sort()) {
      const full = path.join(d, name);
      const info = await lstat(full);
      h.update(`${path.relative(dir, full)}\0${info.mode.toString(8)}\0`);
      if (info.isDirectory()) await walk(full);
      else h.update(await readFile(full));
    }
  };
  await walk(dir);
  return h.digest("hex");
}

async function setWritable(dir: string, writable: boolean): Promise<void> {
  const walk = async (p: string): Promise<void> => {
    const info = await lstat(p);
    if (info.isDirectory()) for (const name of await readdir(p)) await walk(path.join(p, name));
    await chmod(p, writable ? info.mode | 0o200 : info.mode & ~0o222);
  };
  await walk(dir);
}

interface Container {
  /** The WORKDIR. */
  state: string;
  /** /tmp. */
  tmp: string;
  /** HOME when the image sets none (a user without a home directory). */
  home: string;
}

/** A fresh container: an empty state directory (the WORKDIR, e.g. an emptyDir in a new pod), /tmp, a HOME. */
async function freshContainer(): Promise<Container> {
  stateCount += 1;
  const dirs = { state: `state-${stateCount}`, tmp: `tmp-${stateCount}`, home: `home-${stateCount}` };
  for (const dir of Object.values(dirs)) await mkdir(path.join(base, dir));
  return { state: path.join(base, dirs.state), tmp: path.join(base, dirs.tmp), home: path.join(base, dirs.home) };
}

/**
 * Runs ENTRYPOINT + `args` (what `docker run IMAGE args…` runs) in the container `c`, with the image's ENV, the
 * CLI's variables in `env`, TMPDIR for /tmp, a HOME of its own unless the image sets one, and a PATH holding only
 * node, like the image's.
 */
function runContainer(c: Container, args: readonly string[], env: Record<string, string>): Promise<CliResult> {
  const ep = image.entrypoint;
  if (ep === undefined || !("exec" in ep)) throw new Error("the Dockerfile's ENTRYPOINT is not in exec form");
  mounts = [
    ...mounts.filter(([p]) => p !== image.workdir && p !== "/tmp"),
    [image.workdir ?? "/state", c.state],
    ["/tmp", c.tmp],
  ];
  const [program, ...rest] = ep.exec.map((a) => hostPath(a) ?? a);
  if (program !== "node") throw new Error(`ENTRYPOINT runs ${String(program)}, expected node`);
  const imageEnv = Object.fromEntries(Object.entries(image.env).map(([k, v]) => [k, hostPath(v) ?? v]));
  const child = spawn(CLI_NODE, [...rest, ...args], {
    cwd: c.state,
    env: { HOME: c.home, ...imageEnv, PATH: path.dirname(CLI_NODE), TMPDIR: c.tmp, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
  child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

async function expectCodeUnchanged(): Promise<void> {
  expect(await hashTree(appDir), "the image's files are unchanged").toBe(appHash);
}

beforeAll(async () => {
  base = await mkdtemp(path.join(os.tmpdir(), "qbr-container-"));
  appDir = path.join(base, "app");
  await mkdir(appDir);
  const files = imageFiles();
  const destDirs = new Set(files.map(([, dest]) => path.posix.dirname(dest)));
  expect(destDirs.size, "the runtime stage copies into one directory").toBe(1);
  mounts = [[[...destDirs][0] ?? "/app", appDir]];
  for (const [src, dest] of files) {
    if (!existsSync(src)) throw new Error(`${src} is missing: run npm run build before the e2e tests`);
    await copyFile(src, hostPath(dest) ?? "");
  }
  await setWritable(appDir, false); // chmod -R a-w; tests run as root here, hence the hash as well
  appHash = await hashTree(appDir);
  rig = await startRig(s3, { label: "container", sourceNodes: 1, targetNodes: 1 });
  const src = rig.source.urls[0] ?? "";
  await seedCollection(src, "articles", { points: 40, dim: 4, apiKey: rig.apiKey });
  await seedCollection(src, "products", { points: 20, dim: 4, apiKey: rig.apiKey });
  await createAlias(src, "articles", "articles-live", rig.apiKey);
});

afterAll(async () => {
  await rig?.stop();
  if (appDir !== "") await setWritable(appDir, true).catch(() => undefined);
  if (base !== "") await rm(base, { recursive: true, force: true });
});

describe("the image's files", () => {
  it("are the bundle and its source map only, read-only, with no node_modules reachable from them or the WORKDIR", async () => {
    expect((await readdir(appDir)).sort()).toEqual(["cli.js", "cli.js.map"]);
    for (const name of await readdir(appDir)) expect((await lstat(path.join(appDir, name))).mode & 0o222, name).toBe(0);
    const c = await freshContainer();
    for (const start of [appDir, c.state]) {
      for (let dir = start; ; dir = path.dirname(dir)) {
        expect(existsSync(path.join(dir, "node_modules")), `${dir}/node_modules`).toBe(false);
        if (path.dirname(dir) === dir) break;
      }
    }
    expect(process.env["NODE_PATH"] ?? "").toBe("");
  });
});

describe("docker run IMAGE …", () => {
  it("without arguments runs the default CMD (--help)", async (ctx) => {
    if (image.cmd === undefined) ctx.skip(); // no CMD is allowed as well
    const cmd = image.cmd !== undefined && "exec" in image.cmd ? image.cmd.exec : [];
    const r = await runContainer(await freshContainer(), cmd, {});
    expectExit(r, 0);
    expect(r.stdout).toMatch(/^Usage: qdrant-backup-restore /);
    await assertNoSecrets({ stdout: r.stdout, stderr: r.stderr, secrets: rig.secrets });
    await expectCodeUnchanged();
  });

  it("--help lists the tasks, --version prints the package version", async () => {
    const c = await freshContainer();
    const help = await runContainer(c, ["--help"], {});
    expectExit(help, 0);
    for (const task of ["create_snap", "get_colla", "recover_snap", "recover_colla"])
      expect(help.stdout).toContain(task);
    const version = await runContainer(c, ["--version"], {});
    expectExit(version, 0);
    expect(version.stdout).toBe(`${VERSION}\n`);
    for (const x of [help, version])
      await assertNoSecrets({ stdout: x.stdout, stderr: x.stderr, secrets: rig.secrets });
    expect(await readdir(c.state)).toEqual([]);
    await expectCodeUnchanged();
  });

  it("create_snap get_colla: a real backup, exit 0, the state files in the working directory (the WORKDIR)", async () => {
    const c = await freshContainer();
    const r = await runContainer(c, ["create_snap", "get_colla"], rig.env());
    expectExit(r, 0);
    expect(r.stdout).toMatch(
      /^\[create_snap\] Snapshots created: 2, accepted: 0, failed: 0\n\[get_colla\] Aliases saved: 1 new/,
    );
    expectLogLines(r.stderr);
    expect((await readdir(c.state)).filter((f) => !f.startsWith(".")).sort()).toEqual([
      "collection_aliases",
      "collections",
      "snapshots",
    ]);
    const src = rig.source.urls[0] ?? "";
    expect(plainLines(await readStateText(c.state, "collections")).sort()).toEqual([
      `${src},articles`,
      `${src},products`,
    ]);
    expect(plainLines(await readStateText(c.state, "snapshots"))).toHaveLength(2);
    expect(plainLines(await readStateText(c.state, "collection_aliases"))).toEqual(["articles,articles-live"]);
    await assertNoSecrets({ stdout: r.stdout, stderr: r.stderr, stateDir: c.state, secrets: rig.secrets });
    await expectCodeUnchanged();
  });

  it("--env-file reaches the CLI (node does not take it for its own), relative to the WORKDIR", async () => {
    const c = await freshContainer();
    await mkdir(path.join(c.state, "conf"));
    await writeFile(
      path.join(c.state, "conf", "backup.env"),
      `QDRANT_SOURCE_HOSTS=${rig.source.urls[0] ?? ""}\nQDRANT_API_KEY=${rig.apiKey}\n`,
    );
    const r = await runContainer(c, ["--env-file", "conf/backup.env", "get_coll"], {});
    expectExit(r, 0);
    expect(plainLines(await readStateText(c.state, "collections"))).toHaveLength(2);
    await assertNoSecrets({ stdout: r.stdout, stderr: r.stderr, stateDir: c.state, secrets: rig.secrets });

    const missing = await runContainer(await freshContainer(), ["--env-file", "missing.env", "get_coll"], {});
    expectExit(missing, 2);
    expect(missing.stderr).toMatch(/ERROR: --env-file: cannot read .*missing\.env/);
    expectLogLines(missing.stderr);
    await assertNoSecrets({ stdout: missing.stdout, stderr: missing.stderr, secrets: rig.secrets });
    await expectCodeUnchanged();
  });

  it("reads .env from the WORKDIR, the state directory a volume or a Secret can provide", async () => {
    const c = await freshContainer();
    await writeFile(
      path.join(c.state, ".env"),
      `QDRANT_SOURCE_HOSTS=${rig.source.urls[0] ?? ""}\nQDRANT_API_KEY=${rig.apiKey}\n`,
    );
    const r = await runContainer(c, ["get_coll"], {});
    expectExit(r, 0);
    expect(plainLines(await readStateText(c.state, "collections"))).toHaveLength(2);
    await assertNoSecrets({ stdout: r.stdout, stderr: r.stderr, stateDir: c.state, secrets: rig.secrets });
    await expectCodeUnchanged();
  });
});
