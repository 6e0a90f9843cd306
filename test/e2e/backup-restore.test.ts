// The built CLI, as a user runs it: a full backup of two source nodes and a restore onto two target nodes through
// S3, with an API key; the state files, stdout/stderr and --json; .env and --env-file.
import { mkdir, readdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createAlias, listAliases, readAllPoints, seedCollection } from "../support/emulator/seed.js";
import { makeTempDir } from "../support/tmp.js";
import {
  closedPort,
  expectExit,
  expectLogLines,
  parseJsonSummary,
  plainLines,
  readStateText,
  snapshotDir,
} from "./harness.js";
import { startRig, type Rig } from "./rig.js";

const s3 = inject("s3");
let rig: Rig;
let srcA = "";
let srcB = "";
const temps: (() => Promise<void>)[] = [];
/** Collection → index of the source node that holds it. */
const HOME: Record<string, 0 | 1> = { articles: 0, products: 0, users: 1 };
const ALIASES = [
  ["articles", "articles-live"],
  ["products", "products-current"],
  ["users", "users-current"],
] as const;

async function tempDir(label: string): Promise<string> {
  const t = await makeTempDir(label);
  temps.push(t.cleanup);
  return t.dir;
}

beforeAll(async () => {
  rig = await startRig(s3, { label: "backup-restore", sourceNodes: 2, targetNodes: 2 });
  [srcA, srcB] = [rig.source.urls[0] ?? "", rig.source.urls[1] ?? ""];
  const apiKey = rig.apiKey;
  await seedCollection(srcA, "articles", { points: 150, dim: 8, apiKey });
  await seedCollection(srcA, "products", { points: 60, dim: 4, distance: "Dot", apiKey });
  await seedCollection(srcB, "users", { points: 90, dim: 4, distance: "Euclid", apiKey });
  for (const [collection, alias] of ALIASES)
    await createAlias(HOME[collection] === 0 ? srcA : srcB, collection, alias, apiKey);
});

afterAll(async () => {
  await rig?.stop();
  for (const cleanup of temps) await cleanup();
});

describe("backup from 2 sources, restore onto 2 targets", () => {
  let dir = "";
  const snapshotNames: Record<string, string> = {};

  beforeAll(async () => {
    dir = await tempDir("backup-restore");
  });

  it("create_snap get_colla: exit 0, a summary line per task on stdout, timestamped logs on stderr", async () => {
    const r = await rig.run(["create_snap", "get_colla"], dir);
    expectExit(r, 0);
    const out = r.stdout.split("\n");
    expect(out).toHaveLength(3);
    expect(out[0]).toMatch(/^\[create_snap\] Snapshots created: 3, accepted: 0, failed: 0$/);
    expect(out[1]).toMatch(/^\[get_colla\] Aliases saved: 3 new, 0 already saved$/);
    expect(out[2]).toBe("");
    expectLogLines(r.stderr);
    expect(r.stderr).toMatch(/Created snapshot articles-/);
  });

  it("writes the bash tool's state files: plain `a,b,c` lines, one row per collection, snapshot and alias", async () => {
    expect((await readdir(dir)).filter((f) => !f.startsWith(".")).sort()).toEqual([
      "collection_aliases",
      "collections",
      "snapshots",
    ]);

    const collections = plainLines(await readStateText(dir, "collections"));
    expect([...collections].sort()).toEqual([`${srcA},articles`, `${srcA},products`, `${srcB},users`].sort());

    const snapshots = plainLines(await readStateText(dir, "snapshots"));
    expect(snapshots).toHaveLength(3);
    for (const line of snapshots) {
      const [host, collection, name, ...rest] = line.split(",");
      expect(rest).toEqual([]);
      const home = HOME[collection ?? ""];
      if (home === undefined || name === undefined) throw new Error(`unexpected snapshots row ${line}`);
      expect(host).toBe(rig.source.urls[home]);
      const peerId = rig.source.nodes[home]?.peerId ?? -1;
      expect(name).toMatch(
        new RegExp(`^${collection}-${peerId}-\\d{4}-\\d{2}-\\d{2}-\\d{2}-\\d{2}-\\d{2}\\.snapshot$`),
      );
      snapshotNames[collection ?? ""] = name;
    }
    expect(Object.keys(snapshotNames).sort()).toEqual(["articles", "products", "users"]);

    const aliases = plainLines(await readStateText(dir, "collection_aliases"));
    expect([...aliases].sort()).toEqual(ALIASES.map(([c, a]) => `${c},${a}`).sort());
  });

  it("recover_snap recover_colla --json: one JSON document on stdout, every snapshot on every target", async () => {
    const r = await rig.run(["recover_snap", "recover_colla", "--json", "--items"], dir);
    expectExit(r, 0);
    const summary = parseJsonSummary(r.stdout);
    expect(summary).toMatchObject({ ok: true, exitCode: 0 });
    expect(summary.tasks.map((t) => t.task)).toEqual(["recover_snap", "recover_colla"]);
    expect(summary.tasks[0]).toMatchObject({ done: 6, skipped: 0, failed: 0, accepted: 0, exitCode: 0 });
    expect(summary.tasks[1]).toMatchObject({ done: 6, skipped: 0, failed: 0, exitCode: 0 });
    expect(summary.tasks[0]?.items).toHaveLength(6);
    expectLogLines(r.stderr);
    expect(r.stderr).toMatch(/Recovered articles from articles-/);
  });

  it("records each (target, snapshot) and (alias, target) once in the history files", async () => {
    const [t1, t2] = rig.target.urls;
    const history = plainLines(await readStateText(dir, "snapshot_recovery_history"));
    // Each recovery's `ok`, and the `verified` of its passing check.
    const want = [t1, t2].flatMap((t) =>
      Object.values(snapshotNames).flatMap((n) => [`${t},${n},ok`, `${t},${n},verified`]),
    );
    expect([...history].sort()).toEqual(want.sort());
    const aliasHistory = plainLines(await readStateText(dir, "alias_recovery_history"));
    expect([...aliasHistory].sort()).toEqual(
      [t1, t2].flatMap((t) => ALIASES.map(([c, a]) => `${c},${a},ok@${t}`)).sort(),
    );
    expect(await readStateText(dir, "failed_snapshot_recovery")).toBeUndefined();
  });

  it("the targets hold the sources' points and aliases", async () => {
    const wantAliases = [...(await listAliases(srcA, rig.apiKey)), ...(await listAliases(srcB, rig.apiKey))].sort(
      (a, b) => a.alias_name.localeCompare(b.alias_name),
    );
    expect(wantAliases).toHaveLength(3);
    for (const target of rig.target.urls) {
      for (const [collection, home] of Object.entries(HOME)) {
        const want = await readAllPoints(rig.source.urls[home] ?? "", collection, rig.apiKey);
        expect(want.length).toBeGreaterThan(0);
        expect(await readAllPoints(target, collection, rig.apiKey)).toEqual(want);
      }
      expect(await listAliases(target, rig.apiKey)).toEqual(wantAliases);
    }
  });

  it("a second restore has nothing to do: exit 0, no recovery or alias call, state unchanged", async () => {
    const before = await snapshotDir(dir);
    rig.target.resetRequests();
    const r = await rig.run(["recover_snap", "recover_colla"], dir);
    expectExit(r, 0);
    expect(r.stdout).toBe(
      "[recover_snap] Snapshots recovered: 0, accepted: 0, already recovered: 6, failed: 0\n" +
        "[recover_colla] Aliases recovered: 0, already recovered: 6, failed: 0\n",
    );
    const mutations = rig.target.requests().filter((q) => q.method !== "GET");
    expect(mutations).toEqual([]);
    expect(await snapshotDir(dir)).toEqual(before);
  });
});

describe("--json when the run fails", () => {
  it("still prints one JSON document: ok false, the exit code and the error", async () => {
    const dir = await tempDir("json-failure");
    const r = await rig.run(["get_coll", "--json"], dir, rig.env({ QDRANT_API_KEY: "a-wrong-key-1234" }));
    expectExit(r, 4);
    expect(r.stdout.trimEnd().split("\n")).toHaveLength(1);
    const doc: unknown = JSON.parse(r.stdout);
    expect(doc).toMatchObject({
      ok: false,
      exitCode: 4,
      error: expect.stringMatching(/\/collections: 401 Invalid API key/),
    });
    expect(r.stdout).not.toContain("a-wrong-key-1234");
    expectLogLines(r.stderr);
  });
});

describe(".env and --env-file", () => {
  it("loads ./.env from the working directory (bash-style `export`, quotes and comments)", async () => {
    const dir = await tempDir("dotenv");
    await writeFile(
      path.join(dir, ".env"),
      `# written for the bash tool\nexport QDRANT_SOURCE_HOSTS="${srcA}"\nQDRANT_API_KEY='${rig.apiKey}' # the key\n`,
    );
    const r = await rig.run(["get_coll"], dir, {});
    expectExit(r, 0);
    expect(plainLines(await readStateText(dir, "collections")).sort()).toEqual([
      `${srcA},articles`,
      `${srcA},products`,
    ]);
  });

  it("the real environment wins over ./.env", async () => {
    const dir = await tempDir("dotenv-wins");
    const port = await closedPort();
    await writeFile(
      path.join(dir, ".env"),
      `QDRANT_SOURCE_HOSTS=http://127.0.0.1:${port}\nQDRANT_API_KEY=wrong-key-from-dotenv\n`,
    );
    const r = await rig.run(["get_coll"], dir, { QDRANT_SOURCE_HOSTS: srcB, QDRANT_API_KEY: rig.apiKey });
    expectExit(r, 0);
    expect(plainLines(await readStateText(dir, "collections"))).toEqual([`${srcB},users`]);
  });

  it("--env-file loads that file instead of ./.env, relative to the working directory", async () => {
    const dir = await tempDir("env-file");
    // Loading ./.env as well would be a configuration error.
    await writeFile(path.join(dir, ".env"), "QDRANT_RETRIES=not-a-number\n");
    await mkdir(path.join(dir, "conf"));
    await writeFile(
      path.join(dir, "conf", "backup.env"),
      `QDRANT_SOURCE_HOSTS=${srcB}\nQDRANT_API_KEY=${rig.apiKey}\n`,
    );
    const r = await rig.run(["--env-file", "conf/backup.env", "get_coll"], dir, {});
    expectExit(r, 0);
    expect(plainLines(await readStateText(dir, "collections"))).toEqual([`${srcB},users`]);
  });

  it("a missing --env-file is a usage error (exit 2) naming the file; nothing is written", async () => {
    const dir = await tempDir("env-file-missing");
    const r = await rig.run(["get_coll", "--env-file", "missing.env"], dir, {
      QDRANT_SOURCE_HOSTS: srcA,
      QDRANT_API_KEY: rig.apiKey,
    });
    expectExit(r, 2);
    expect(r.stdout).toBe("");
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/--env-file.*missing\.env/);
    expectLogLines(r.stderr);
    expect(await readdir(dir)).toEqual([]);
  });
});
