// The README's "Snapshot policy" setup, as cron would run it: nightly `create_snap create_full_snap get_colla
// prune_snap --confirm` into a backup directory with transfer mode, over nights simulated with the emulator's clock;
// then the README's restore (`recover_snap recover_colla` by upload, with health checks) onto a fresh node.
import { readdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, type CliResult } from "../support/cli.js";
import { startEmulator, type Emulator } from "../support/emulator/index.js";
import { createAlias, listAliases, readAllPoints, seedCollection } from "../support/emulator/seed.js";
import { makeTempDir } from "../support/tmp.js";
import { expectExit, plainLines, readStateText, type Env } from "./harness.js";
import { randomApiKey } from "./rig.js";
import { assertNoSecrets } from "./secret-scan.js";

const apiKey = randomApiKey("policy");
const DAY = 86_400_000;
/** Nightly runs at 02:00 UTC from 2026-09-20, for 20 nights: across a month boundary and four ISO weeks. */
const FIRST_NIGHT = Date.UTC(2026, 8, 20, 2, 0, 0);
const NIGHTS = 20;
let now = FIRST_NIGHT;
let source: Emulator;
let target: Emulator;
let backups = "";
let stateDir = "";
let envFile = "";
const temps: (() => Promise<void>)[] = [];

async function tempDir(label: string): Promise<string> {
  const t = await makeTempDir(label);
  temps.push(t.cleanup);
  return t.dir;
}

async function cli(args: string[], cwd: string, env: Env = {}): Promise<CliResult> {
  const r = await runCli(args, { env, cwd });
  await assertNoSecrets({ stdout: r.stdout, stderr: r.stderr, stateDir: cwd, secrets: { QDRANT_API_KEY: apiKey } });
  return r;
}

async function files(dir: string, sub: string): Promise<string[]> {
  try {
    return (await readdir(path.join(dir, sub), { recursive: true }))
      .map(String)
      .filter((f) => f.endsWith(".snapshot"))
      .sort();
  } catch {
    return [];
  }
}

beforeAll(async () => {
  source = await startEmulator({ nodes: 1, apiKey, clock: () => new Date(now) });
  target = await startEmulator({ nodes: 1, apiKey });
  const src = source.urls[0] ?? "";
  await seedCollection(src, "articles", { points: 80, dim: 8, apiKey });
  await seedCollection(src, "users", { points: 30, dim: 4, apiKey });
  await createAlias(src, "articles", "articles-live", apiKey);
  backups = await tempDir("policy-backups");
  stateDir = await tempDir("policy-state");
  // The README's env file, as written there (export lines), read through --env-file.
  envFile = path.join(await tempDir("policy-etc"), "env");
  await writeFile(
    envFile,
    [
      `export QDRANT_API_KEY="${apiKey}"`,
      `export QDRANT_SOURCE_HOSTS="${src}"`,
      `export QDRANT_BACKUP_DIR="${backups}"`,
      'export QDRANT_SNAPSHOT_TRANSFER="true"',
      'export QDRANT_DELETE_AFTER_TRANSFER="true"',
      'export QDRANT_KEEP_DAILY="7"',
      'export QDRANT_KEEP_WEEKLY="4"',
      'export QDRANT_KEEP_MONTHLY="6"',
      "",
    ].join("\n"),
    { mode: 0o600 },
  );
});

afterAll(async () => {
  await Promise.allSettled([source?.stop(), target?.stop()]);
  for (const cleanup of temps) await cleanup();
});

describe("the README's nightly policy, 20 nights", () => {
  it("keeps 7 daily, 4 weekly and 6 monthly snapshots of each collection and of the storage, nothing on the node", async () => {
    for (let night = 0; night < NIGHTS; night++) {
      now = FIRST_NIGHT + night * DAY;
      const r = await cli(
        ["create_snap", "create_full_snap", "get_colla", "prune_snap", "--confirm", "--env-file", envFile],
        stateDir,
      );
      expectExit(r, 0);
    }
    // 20 nights from 2026-09-20 (a Sunday) to 2026-10-09: 7 dailies (10-03..10-09); the newest of 4 ISO weeks
    // (10-09, 10-04, 09-27, 09-20); the newest of October and September (10-09, 09-30).
    const articles = await files(backups, "snapshots/articles");
    const full = await files(backups, "full_snapshots");
    const days = (names: string[]) => names.map((n) => /(\d{4}-\d{2}-\d{2})-02-00-00\.snapshot$/.exec(n)?.[1]).sort();
    const expected = [
      "2026-09-20",
      "2026-09-27",
      "2026-09-30",
      "2026-10-03",
      "2026-10-04",
      "2026-10-05",
      "2026-10-06",
      "2026-10-07",
      "2026-10-08",
      "2026-10-09",
    ];
    expect(days(articles)).toEqual(expected);
    expect(days(full)).toEqual(expected);
    expect(await files(backups, "snapshots/users")).toHaveLength(expected.length);
    // Transferred and verified, then deleted on the node: its disk holds nothing.
    const nodeDir = source.nodes[0]?.snapshotsDir ?? "";
    expect(await files(nodeDir, "")).toEqual([]);
    // Each deleted snapshot and its metadata object is one row, for 2 collections and the full snapshots.
    const pruned = plainLines(await readStateText(stateDir, "pruned_snapshots")).map((l) => l.split(",")[1] ?? "");
    expect(pruned.filter((k) => k.endsWith(".snapshot"))).toHaveLength((NIGHTS - expected.length) * 3);
    expect(pruned.filter((k) => k.startsWith("backup_metadata/"))).toHaveLength((NIGHTS - expected.length) * 3);
  }, 120_000); // 20 nights of four tasks each: about 1 s a night on an idle 2-core machine, past 30 s under load

  it("restores one night by upload onto a fresh node, checked, with the aliases", async () => {
    const restore = await cli(["recover_snap", "recover_colla", "--env-file", envFile], stateDir, {
      QDRANT_RESTORE_HOSTS: target.urls[0] ?? "",
      QDRANT_SNAPSHOT_DATETIME_FILTER: "2026-10-09",
    });
    expectExit(restore, 0);
    expect(restore.stdout).toContain(
      "[recover_snap] Snapshots recovered: 2, accepted: 0, already recovered: 0, failed: 0",
    );
    const [src = "", dst = ""] = [source.urls[0], target.urls[0]];
    for (const c of ["articles", "users"])
      expect(await readAllPoints(dst, c, apiKey), c).toEqual(await readAllPoints(src, c, apiKey));
    expect((await listAliases(dst, apiKey)).map((a) => `${a.alias_name}->${a.collection_name}`)).toEqual([
      "articles-live->articles",
    ]);
  });
});
