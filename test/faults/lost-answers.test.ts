// The fault suite, answers lost after the work was done, or while it was still going on: a proxy in front of every
// node lets the first snapshot create, recovery (by URL or by upload), alias update and node-copy delete of each node
// run to completion, then drops the connection or answers 504 (an ingress) instead of passing the answer on; or it
// answers 504 while the node is still at it. A create or a recovery is never sent again blindly after such an answer:
// the tool looks (a new snapshot in the node's listing is adopted; a collection that settled as the backup metadata
// says is adopted). So each node ends with exactly one new snapshot per item, and never runs two recoveries of one
// collection at once. An alias update is safe to repeat and is retried; a retried delete that finds the copy gone
// (404) counts as done.
import { afterAll, describe, expect, inject, it } from "vitest";
import { startEmulator, type Emulator } from "../support/emulator/index.js";
import { createAlias, seedCollection } from "../support/emulator/seed.js";
import { makeTempDir } from "../support/tmp.js";
import { runCli } from "../support/cli.js";
import { expectExit, plainLines, readStateText, type Env } from "../e2e/harness.js";
import { randomApiKey, startRig } from "../e2e/rig.js";
import { assertNoSecrets } from "../e2e/secret-scan.js";
import { expectTargetsEqualSources } from "./helpers/fault-mix.js";
import { startLostAnswerProxy, type LoseRule, type LostAnswerProxy } from "./helpers/lost-answer-proxy.js";

const s3 = inject("s3");
const HOME: Record<string, 0 | 1> = { articles: 0, products: 0, users: 1, orders: 1 };
const ALIASES: readonly (readonly [string, string])[] = [
  ["articles", "articles-live"],
  ["users", "users-current"],
];
const CREATE: LoseRule = { method: "POST", path: /^\/collections\/[^/]+\/snapshots$/ };
const RECOVER: LoseRule = { method: "PUT", path: /^\/collections\/[^/]+\/snapshots\/recover$/ };
const UPLOAD: LoseRule = { method: "POST", path: /^\/collections\/[^/]+\/snapshots\/upload$/ };
const ALIAS_UPDATE: LoseRule = { method: "POST", path: /^\/collections\/aliases$/ };
const DELETE: LoseRule = { method: "DELETE", path: /^\/collections\/[^/]+\/snapshots\/[^/]+$/ };
const cleanups: (() => Promise<void>)[] = [];

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

async function seed(source: Emulator, apiKey: string): Promise<void> {
  for (const [i, [collection, node]] of Object.entries(HOME).entries()) {
    await seedCollection(source.urls[node]!, collection, { points: 25 + 10 * i, dim: 4, apiKey });
  }
  for (const [collection, alias] of ALIASES)
    await createAlias(source.urls[HOME[collection]!]!, collection, alias, apiKey);
}

async function proxies(emu: Emulator, rules: readonly LoseRule[]): Promise<LostAnswerProxy[]> {
  const started = await Promise.all(emu.urls.map((url) => startLostAnswerProxy(url, rules)));
  cleanups.push(async () => void (await Promise.all(started.map((p) => p.close()))));
  return started;
}

/** Every pair of `rule`'s requests to one node and one path whose spans (arrival to the end of the answer) overlap. */
function overlapping(emu: Emulator, rule: LoseRule): string[] {
  const spans = emu.requests().filter((q) => q.method === rule.method && rule.path.test(q.path));
  const found: string[] = [];
  for (const [i, a] of spans.entries()) {
    for (const b of spans.slice(i + 1)) {
      if (
        a.node === b.node &&
        a.path === b.path &&
        a.arrivedAt < b.arrivedAt + b.ms &&
        b.arrivedAt < a.arrivedAt + a.ms
      )
        found.push(`node ${a.node} ${a.method} ${a.path}`);
    }
  }
  return found;
}

/** Per node of `emu`, one rule for its proxy: `rules[node]`. */
async function proxiesPerNode(emu: Emulator, rules: readonly (readonly LoseRule[])[]): Promise<LostAnswerProxy[]> {
  const started = await Promise.all(emu.urls.map((url, node) => startLostAnswerProxy(url, rules[node] ?? [])));
  cleanups.push(async () => void (await Promise.all(started.map((p) => p.close()))));
  return started;
}

/** The calls a node carried out (answered 200), per node, matching `rule`. */
function executed(emu: Emulator, rule: LoseRule): number[] {
  return emu.urls.map(
    (_, node) =>
      emu
        .requests()
        .filter((q) => q.node === node && q.method === rule.method && rule.path.test(q.path) && q.status === 200)
        .length,
  );
}

describe("answers lost after the node did the work", () => {
  it(
    "legacy tasks (S3 snapshot storage, recovery by URL), answers dropped or 504: exit 0, each item recorded once, one snapshot per item, the targets equal the sources",
    { timeout: 120_000 },
    async () => {
      const rig = await startRig(s3, { label: "faults-lost-legacy", sourceNodes: 2, targetNodes: 2 });
      cleanups.push(() => rig.stop());
      await seed(rig.source, rig.apiKey);
      // Node 0 answers 504 after the work, node 1 drops the connection.
      const sources = await proxiesPerNode(rig.source, [[{ ...CREATE, answer: 504 }], [CREATE]]);
      const targets = await proxiesPerNode(rig.target, [
        [{ ...RECOVER, answer: 504, times: 2 }, ALIAS_UPDATE],
        [{ ...RECOVER, times: 2 }, ALIAS_UPDATE],
      ]);
      const dir = (await makeTempDir("faults-lost-legacy")).dir;
      const env = rig.env({
        QDRANT_SOURCE_HOSTS: sources.map((p) => p.url).join(","),
        QDRANT_RESTORE_HOSTS: targets.map((p) => p.url).join(","),
      });
      rig.source.resetRequests();
      rig.target.resetRequests();

      expectExit(await rig.run(["create_snap", "get_colla"], dir, env), 0);
      expectExit(await rig.run(["recover_snap", "recover_colla"], dir, env), 0);

      for (const p of [...sources, ...targets]) expect(p.lost().every((l) => l.status === 200)).toBe(true);
      expect(sources.map((p) => p.lost().length)).toEqual([1, 1]);
      expect(targets.map((p) => p.lost().length)).toEqual([3, 3]);
      // A create or recovery whose answer was lost was adopted, not sent again; an alias update is retried.
      expect(executed(rig.source, CREATE)).toEqual([2, 2]);
      expect(executed(rig.target, RECOVER)).toEqual([4, 4]);
      expect(overlapping(rig.target, RECOVER)).toEqual([]);
      expect(executed(rig.target, ALIAS_UPDATE)).toEqual([2 + 1, 2 + 1]);
      expect(
        plainLines(await readStateText(dir, "snapshots"))
          .map((l) => l.split(",")[1])
          .sort(),
      ).toEqual(["articles", "orders", "products", "users"]);
      // 8 recoveries, each recorded once as `ok` and once as `verified` (its check).
      const history = plainLines(await readStateText(dir, "snapshot_recovery_history"));
      expect(history).toHaveLength(16);
      expect(new Set(history).size).toBe(16);
      expect(plainLines(await readStateText(dir, "alias_recovery_history"))).toHaveLength(4);
      const home = Object.fromEntries(Object.entries(HOME).map(([c, n]) => [c, rig.source.urls[n]!]));
      await expectTargetsEqualSources(rig.source.urls, rig.target.urls, home, rig.apiKey);
    },
  );

  it(
    "transfer mode into a directory with QDRANT_DELETE_AFTER_TRANSFER=true, recovery by upload: exit 0, each item recorded once, one snapshot and one upload per item, the targets equal the sources",
    { timeout: 120_000 },
    async () => {
      const apiKey = randomApiKey("faults-lost-transfer");
      const source = await startEmulator({ nodes: 2, apiKey });
      const target = await startEmulator({ nodes: 2, apiKey });
      cleanups.push(
        () => source.stop(),
        () => target.stop(),
      );
      await seed(source, apiKey);
      const sources = await proxies(source, [CREATE, DELETE]);
      const targets = await proxies(target, [UPLOAD, ALIAS_UPDATE]);
      const tmp = await makeTempDir("faults-lost-transfer");
      cleanups.push(tmp.cleanup);
      const backups = await makeTempDir("faults-lost-backups");
      cleanups.push(backups.cleanup);
      const env: Env = {
        QDRANT_API_KEY: apiKey,
        QDRANT_SOURCE_HOSTS: sources.map((p) => p.url).join(","),
        QDRANT_RESTORE_HOSTS: targets.map((p) => p.url).join(","),
        QDRANT_SNAPSHOT_TRANSFER: "true",
        QDRANT_BACKUP_DIR: backups.dir,
        QDRANT_DELETE_AFTER_TRANSFER: "true",
      };
      source.resetRequests();
      target.resetRequests();

      for (const tasks of [
        ["create_snap", "get_colla"],
        ["recover_snap", "recover_colla"],
      ]) {
        const r = await runCli(tasks, { env, cwd: tmp.dir });
        await assertNoSecrets({
          stdout: r.stdout,
          stderr: r.stderr,
          stateDir: tmp.dir,
          secrets: { QDRANT_API_KEY: apiKey },
        });
        expectExit(r, 0);
      }

      expect(sources.map((p) => p.lost().length)).toEqual([2, 2]);
      expect(targets.map((p) => p.lost().length)).toEqual([2, 2]);
      expect(executed(source, CREATE)).toEqual([2, 2]);
      // The retried delete finds the copy gone (404): that is the goal reached, not a failure.
      expect(executed(source, DELETE)).toEqual([2, 2]);
      expect(source.requests().filter((q) => q.method === "DELETE" && q.status === 404)).toHaveLength(2);
      expect(executed(target, UPLOAD)).toEqual([4, 4]);
      expect(overlapping(target, UPLOAD)).toEqual([]);
      expect(plainLines(await readStateText(tmp.dir, "snapshots"))).toHaveLength(4);
      expect(new Set(plainLines(await readStateText(tmp.dir, "snapshot_recovery_history"))).size).toBe(16);
      const home = Object.fromEntries(Object.entries(HOME).map(([c, n]) => [c, source.urls[n]!]));
      await expectTargetsEqualSources(source.urls, target.urls, home, apiKey);
    },
  );

  it(
    "answers 504 while the node is still creating or recovering: exit 0, exactly one snapshot per item, never two recoveries of one collection at once on a host",
    { timeout: 120_000 },
    async () => {
      const rig = await startRig(s3, { label: "faults-lost-early", sourceNodes: 2, targetNodes: 2 });
      cleanups.push(() => rig.stop());
      await seed(rig.source, rig.apiKey);
      // The node takes 1.5 s over its first create and first recovery; the ingress gives up after 0.3 s.
      const WORK_MS = 1_500;
      for (const node of [0, 1]) {
        rig.source.faults.add({ node, method: "POST", path: CREATE.path, latencyMs: WORK_MS, times: 1 });
        rig.target.faults.add({ node, method: "PUT", path: RECOVER.path, latencyMs: WORK_MS, times: 1 });
      }
      const sources = await proxies(rig.source, [{ ...CREATE, earlyMs: 300 }]);
      const targets = await proxies(rig.target, [{ ...RECOVER, earlyMs: 300 }]);
      const dir = (await makeTempDir("faults-lost-early")).dir;
      const env = rig.env({
        QDRANT_SOURCE_HOSTS: sources.map((p) => p.url).join(","),
        QDRANT_RESTORE_HOSTS: targets.map((p) => p.url).join(","),
      });
      rig.source.resetRequests();
      rig.target.resetRequests();

      const backup = await rig.run(["create_snap", "get_colla"], dir, env);
      expectExit(backup, 0);
      const restore = await rig.run(["recover_snap", "recover_colla"], dir, env);
      expectExit(restore, 0);

      for (const p of [...sources, ...targets]) expect(p.lost()).toHaveLength(1);
      expect(executed(rig.source, CREATE)).toEqual([2, 2]);
      expect(executed(rig.target, RECOVER)).toEqual([4, 4]);
      expect(overlapping(rig.target, RECOVER)).toEqual([]);
      expect(backup.stderr).toContain("504");
      expect(backup.stderr).toMatch(
        /Adopted \S+, the snapshot of \w+ on \S+ made by the request whose answer was lost/,
      );
      expect(restore.stderr).toMatch(/the recovery whose answer was lost is adopted, not sent again/);
      expect(plainLines(await readStateText(dir, "snapshots"))).toHaveLength(4);
      // Each (target, snapshot) recorded ok once, then verified once by its health check.
      const history = plainLines(await readStateText(dir, "snapshot_recovery_history"));
      expect(history.filter((l) => l.endsWith(",ok"))).toHaveLength(8);
      expect(new Set(history.filter((l) => l.endsWith(",ok"))).size).toBe(8);
      expect(history.filter((l) => l.endsWith(",verified"))).toHaveLength(8);
      const home = Object.fromEntries(Object.entries(HOME).map(([c, n]) => [c, rig.source.urls[n]!]));
      await expectTargetsEqualSources(rig.source.urls, rig.target.urls, home, rig.apiKey);
    },
  );

  it(
    "create_full_snap in transfer mode with QDRANT_DELETE_AFTER_TRANSFER=true, the create's and the delete's answers dropped: exit 0, one full snapshot per host, the retried delete's 404 is done",
    { timeout: 120_000 },
    async () => {
      const apiKey = randomApiKey("faults-lost-full");
      const source = await startEmulator({ nodes: 2, apiKey });
      cleanups.push(() => source.stop());
      await seed(source, apiKey);
      const FULL_CREATE: LoseRule = { method: "POST", path: /^\/snapshots$/ };
      const FULL_DELETE: LoseRule = { method: "DELETE", path: /^\/snapshots\/[^/]+$/ };
      const sources = await proxies(source, [FULL_CREATE, FULL_DELETE]);
      const tmp = await makeTempDir("faults-lost-full");
      cleanups.push(tmp.cleanup);
      const backups = await makeTempDir("faults-lost-full-backups");
      cleanups.push(backups.cleanup);
      const env: Env = {
        QDRANT_API_KEY: apiKey,
        QDRANT_SOURCE_HOSTS: sources.map((p) => p.url).join(","),
        QDRANT_SNAPSHOT_TRANSFER: "true",
        QDRANT_BACKUP_DIR: backups.dir,
        QDRANT_DELETE_AFTER_TRANSFER: "true",
      };
      source.resetRequests();
      const r = await runCli(["create_full_snap"], { env, cwd: tmp.dir });
      expectExit(r, 0);
      expect(sources.map((p) => p.lost().length)).toEqual([2, 2]);
      expect(executed(source, FULL_CREATE)).toEqual([1, 1]);
      expect(r.stderr).toMatch(/Adopted \S+, the full snapshot on \S+ made by the request whose answer was lost/);
      expect(source.requests().filter((q) => q.method === "DELETE" && q.status === 404)).toHaveLength(2);
      expect(r.stderr).not.toContain("deleting it on");
      expect(plainLines(await readStateText(tmp.dir, "full_snapshots"))).toHaveLength(2);
    },
  );
});
