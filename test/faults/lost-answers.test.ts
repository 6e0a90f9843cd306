// The fault suite, answers lost after the work was done: a proxy in front of every node lets the first snapshot
// create, recovery (by URL or by upload) and alias update of each node run to completion, then drops the connection
// instead of answering. The tool retries those calls (a reset looks the same whether or not the node did the work);
// these tests show that a repeat is harmless: both runs exit 0, every item is recorded once, and the targets equal
// the sources. The price is an extra snapshot on the source node for each lost create answer (prune_snap removes it);
// a lost answer of QDRANT_DELETE_AFTER_TRANSFER's delete makes the retry find the copy gone (404), which counts as done.
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
  for (const [collection, alias] of ALIASES) await createAlias(source.urls[HOME[collection]!]!, collection, alias, apiKey);
}

async function proxies(emu: Emulator, rules: readonly LoseRule[]): Promise<LostAnswerProxy[]> {
  const started = await Promise.all(emu.urls.map((url) => startLostAnswerProxy(url, rules)));
  cleanups.push(async () => void (await Promise.all(started.map((p) => p.close()))));
  return started;
}

/** The calls a node carried out (answered 200), per node, matching `rule`. */
function executed(emu: Emulator, rule: LoseRule): number[] {
  return emu.urls.map((_, node) => emu.requests().filter((q) => q.node === node && q.method === rule.method && rule.path.test(q.path) && q.status === 200).length);
}

describe("answers lost after the node did the work", () => {
  it("legacy tasks (S3 snapshot storage, recovery by URL): exit 0, each item recorded once, the targets equal the sources", { timeout: 120_000 }, async () => {
    const rig = await startRig(s3, { label: "faults-lost-legacy", sourceNodes: 2, targetNodes: 2 });
    cleanups.push(() => rig.stop());
    await seed(rig.source, rig.apiKey);
    const sources = await proxies(rig.source, [CREATE]);
    const targets = await proxies(rig.target, [RECOVER, ALIAS_UPDATE]);
    const dir = (await makeTempDir("faults-lost-legacy")).dir;
    const env = rig.env({ QDRANT_SOURCE_HOSTS: sources.map((p) => p.url).join(","), QDRANT_RESTORE_HOSTS: targets.map((p) => p.url).join(",") });
    rig.source.resetRequests();
    rig.target.resetRequests();

    expectExit(await rig.run(["create_snap", "get_colla"], dir, env), 0);
    expectExit(await rig.run(["recover_snap", "recover_colla"], dir, env), 0);

    for (const p of [...sources, ...targets]) expect(p.lost().every((l) => l.status === 200)).toBe(true);
    expect(sources.map((p) => p.lost().length)).toEqual([1, 1]);
    expect(targets.map((p) => p.lost().length)).toEqual([2, 2]);
    // Each lost answer's call was carried out twice by its node: once lost, once answered.
    expect(executed(rig.source, CREATE)).toEqual([2 + 1, 2 + 1]);
    expect(executed(rig.target, RECOVER)).toEqual([4 + 1, 4 + 1]);
    expect(executed(rig.target, ALIAS_UPDATE)).toEqual([2 + 1, 2 + 1]);
    expect(plainLines(await readStateText(dir, "snapshots")).map((l) => l.split(",")[1]).sort()).toEqual(["articles", "orders", "products", "users"]);
    // 8 recoveries, each recorded once as `ok` and once as `verified` (its check).
    const history = plainLines(await readStateText(dir, "snapshot_recovery_history"));
    expect(history).toHaveLength(16);
    expect(new Set(history).size).toBe(16);
    expect(plainLines(await readStateText(dir, "alias_recovery_history"))).toHaveLength(4);
    const home = Object.fromEntries(Object.entries(HOME).map(([c, n]) => [c, rig.source.urls[n]!]));
    await expectTargetsEqualSources(rig.source.urls, rig.target.urls, home, rig.apiKey);
  });

  it("transfer mode into a directory with QDRANT_DELETE_AFTER_TRANSFER=true, recovery by upload: exit 0, each item recorded once, the targets equal the sources", { timeout: 120_000 }, async () => {
    const apiKey = randomApiKey("faults-lost-transfer");
    const source = await startEmulator({ nodes: 2, apiKey });
    const target = await startEmulator({ nodes: 2, apiKey });
    cleanups.push(() => source.stop(), () => target.stop());
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

    for (const tasks of [["create_snap", "get_colla"], ["recover_snap", "recover_colla"]]) {
      const r = await runCli(tasks, { env, cwd: tmp.dir });
      await assertNoSecrets({ stdout: r.stdout, stderr: r.stderr, stateDir: tmp.dir, secrets: { QDRANT_API_KEY: apiKey } });
      expectExit(r, 0);
    }

    expect(sources.map((p) => p.lost().length)).toEqual([2, 2]);
    expect(targets.map((p) => p.lost().length)).toEqual([2, 2]);
    expect(executed(source, CREATE)).toEqual([2 + 1, 2 + 1]);
    // The retried delete finds the copy gone (404): that is the goal reached, not a failure.
    expect(executed(source, DELETE)).toEqual([2, 2]);
    expect(source.requests().filter((q) => q.method === "DELETE" && q.status === 404)).toHaveLength(2);
    expect(executed(target, UPLOAD)).toEqual([4 + 1, 4 + 1]);
    expect(plainLines(await readStateText(tmp.dir, "snapshots"))).toHaveLength(4);
    expect(new Set(plainLines(await readStateText(tmp.dir, "snapshot_recovery_history"))).size).toBe(16);
    const home = Object.fromEntries(Object.entries(HOME).map(([c, n]) => [c, source.urls[n]!]));
    await expectTargetsEqualSources(source.urls, target.urls, home, apiKey);
  });
});
