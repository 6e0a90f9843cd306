// The fault suite, one host down: a restore host (or a source host) that fails every call. The run ends with exit 3;
// every item that did not need that host is done and recorded in the state files; a later run with the host healthy
// finishes the rest, and on the restore side never sends again what the history records as done (the emulators'
// request logs show it). Every run goes through the secret scan.
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createAlias, seedCollection } from "../support/emulator/seed.js";
import { makeTempDir } from "../support/tmp.js";
import { expectExit, plainLines, readStateText } from "../e2e/harness.js";
import { startRig, type Rig } from "../e2e/rig.js";
import { expectTargetsEqualSources } from "./helpers/fault-mix.js";

const s3 = inject("s3");
const HOME: Record<string, 0 | 1> = { articles: 0, products: 0, users: 1, orders: 1 };
const ALIASES: readonly (readonly [string, string])[] = [
  ["articles", "articles-live"],
  ["users", "users-current"],
  ["orders", "orders-live"],
];
const cleanups: (() => Promise<void>)[] = [];

async function tempDir(label: string): Promise<string> {
  const t = await makeTempDir(label);
  cleanups.push(t.cleanup);
  return t.dir;
}

async function seededRig(label: string): Promise<Rig> {
  const rig = await startRig(s3, { label, sourceNodes: 2, targetNodes: 2 });
  cleanups.push(() => rig.stop());
  for (const [i, [collection, node]] of Object.entries(HOME).entries()) {
    await seedCollection(rig.source.urls[node]!, collection, { points: 30 + 10 * i, dim: 4, apiKey: rig.apiKey });
  }
  for (const [collection, alias] of ALIASES)
    await createAlias(rig.source.urls[HOME[collection]!]!, collection, alias, rig.apiKey);
  return rig;
}

const homeUrls = (rig: Rig): Record<string, string> =>
  Object.fromEntries(Object.entries(HOME).map(([c, n]) => [c, rig.source.urls[n]!]));
const byNode = (rig: Rig, side: "source" | "target", node: number, method: string, path: RegExp) =>
  rig[side].requests().filter((q) => q.node === node && q.method === method && path.test(q.path));
const RECOVER = /^\/collections\/[^/]+\/snapshots\/recover$/;
const ALIAS_UPDATE = /^\/collections\/aliases$/;

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

describe("one restore host failing every call", () => {
  let rig: Rig;
  beforeAll(async () => {
    rig = await seededRig("faults-restore-down");
  });

  it(
    "recover_snap and recover_colla exit 3 with the healthy host done and recorded; a later run does only the rest",
    { timeout: 120_000 },
    async () => {
      const dir = await tempDir("faults-restore-down");
      const env = rig.env({ QDRANT_RETRIES: "2" });
      expectExit(await rig.run(["create_snap", "get_colla"], dir, env), 0);
      const snapshots = plainLines(await readStateText(dir, "snapshots")).map((l) => l.split(",")[2]!);
      expect(snapshots).toHaveLength(4);
      const [healthy, broken] = [rig.target.urls[0]!, rig.target.urls[1]!];

      // Target 1 answers every call with a 500, as a node with a broken disk does.
      const heal = rig.target.faults.add({
        node: 1,
        status: 500,
        error: "Service internal error: injected, host down",
      });
      rig.target.resetRequests();
      const snap = await rig.run(["recover_snap"], dir, env);
      const alias = await rig.run(["recover_colla"], dir, env);
      expectExit(snap, 3);
      expectExit(alias, 3);
      expect(snap.stdout).toBe("[recover_snap] Snapshots recovered: 4, accepted: 0, already recovered: 0, failed: 4\n");
      expect(alias.stdout).toBe("[recover_colla] Aliases recovered: 3, already recovered: 0, failed: 3\n");
      expect(plainLines(await readStateText(dir, "snapshot_recovery_history")).sort()).toEqual(
        snapshots.flatMap((n) => [`${healthy},${n},ok`, `${healthy},${n},verified`]).sort(),
      );
      expect(plainLines(await readStateText(dir, "failed_snapshot_recovery")).sort()).toEqual(
        snapshots.map((n) => `${broken},${n},http-500`).sort(),
      );
      expect(plainLines(await readStateText(dir, "alias_recovery_history")).sort()).toEqual(
        ALIASES.map(([c, a]) => `${c},${a},ok@${healthy}`).sort(),
      );
      // A 500 is final (not retried): the broken host saw each recovery once.
      expect(byNode(rig, "target", 1, "PUT", RECOVER)).toHaveLength(4);

      heal();
      rig.target.resetRequests();
      const again = await rig.run(["recover_snap", "recover_colla"], dir, env);
      expectExit(again, 0);
      expect(again.stdout).toBe(
        "[recover_snap] Snapshots recovered: 4, accepted: 0, already recovered: 4, failed: 0\n" +
          "[recover_colla] Aliases recovered: 3, already recovered: 3, failed: 0\n",
      );
      // Nothing recorded as done is sent again: the healthy host gets no recovery and no alias call.
      expect(byNode(rig, "target", 0, "PUT", RECOVER)).toEqual([]);
      expect(byNode(rig, "target", 0, "POST", ALIAS_UPDATE)).toEqual([]);
      expect(byNode(rig, "target", 1, "PUT", RECOVER).map((q) => q.status)).toEqual([200, 200, 200, 200]);
      expect(plainLines(await readStateText(dir, "snapshot_recovery_history")).sort()).toEqual(
        [healthy, broken].flatMap((h) => snapshots.flatMap((n) => [`${h},${n},ok`, `${h},${n},verified`])).sort(),
      );
      await expectTargetsEqualSources(rig.source.urls, rig.target.urls, homeUrls(rig), rig.apiKey);
    },
  );
});

describe("one source host failing every call", () => {
  let rig: Rig;
  beforeAll(async () => {
    rig = await seededRig("faults-source-down");
  });

  it(
    "create_snap exits 3 with the healthy host's snapshots recorded; a later run backs up the rest; the restore is complete",
    { timeout: 120_000 },
    async () => {
      const dir = await tempDir("faults-source-down");
      const env = rig.env({ QDRANT_RETRIES: "2" });
      // The collections and aliases were listed by an earlier run (a nightly backup's state); then source 1 breaks.
      expectExit(await rig.run(["get_coll", "get_colla"], dir, env), 0);
      const [healthy, broken] = [rig.source.urls[0]!, rig.source.urls[1]!];
      const heal = rig.source.faults.add({
        node: 1,
        status: 500,
        error: "Service internal error: injected, host down",
      });

      const first = await rig.run(["create_snap"], dir, env);
      expectExit(first, 3);
      // get_coll listed each host, so each is asked only for its own collections: the broken host's two fail, and
      // it is not asked for the healthy host's (which it could not even say it lacks).
      expect(first.stdout).toBe("[create_snap] Snapshots created: 2, accepted: 0, failed: 2\n");
      const recorded = plainLines(await readStateText(dir, "snapshots")).map((l) => l.split(","));
      expect(recorded.map(([host, collection]) => `${host},${collection}`).sort()).toEqual([
        `${healthy},articles`,
        `${healthy},products`,
      ]);
      expect(byNode(rig, "source", 1, "POST", /\/snapshots$/).every((q) => q.status === 500)).toBe(true);

      heal();
      const second = await rig.run(["create_snap"], dir, env);
      expectExit(second, 0);
      const after = plainLines(await readStateText(dir, "snapshots")).map((l) => l.split(","));
      // The rows of the first run stay as they were; the broken host's collections are backed up now.
      expect(after.slice(0, recorded.length)).toEqual(recorded);
      expect(
        after
          .filter(([host]) => host === broken)
          .map(([, c]) => c)
          .sort(),
      ).toEqual(["orders", "users"]);

      expectExit(await rig.run(["recover_snap", "recover_colla"], dir, env), 0);
      await expectTargetsEqualSources(rig.source.urls, rig.target.urls, homeUrls(rig), rig.apiKey);
    },
  );
});
