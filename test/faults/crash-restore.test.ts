// Crash safety of the restore tasks through the built CLI: `recover_snap` and `recover_colla` are SIGKILLed at
// seeded points of their request sequence (the Nth recovery call, the Nth verification read, the Nth alias
// creation), then run again to completion. The re-run exits 0, the targets end up identical to the source, every
// state file parses strictly, and nothing the killed run recorded as done is done again.
import { copyFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { RequestLogEntry } from "../support/emulator/index.js";
import { createAlias, listAliases, qdrantCall, readAllPoints, seedCollection } from "../support/emulator/seed.js";
import { makeTempDir } from "../support/tmp.js";
import { expectExit } from "../e2e/harness.js";
import { startRig, type Rig } from "../e2e/rig.js";
import { duplicates, planKills, readStateStrict, runKilledAt, sorted, type KillTarget } from "./crash-helpers.js";

const SEED = 6211;
const s3 = inject("s3");
const COLLECTIONS = ["c1", "c2", "c3"];
const ALIASES: readonly (readonly [string, string])[] = [
  ["c1", "a1"],
  ["c2", "a2"],
  ["c3", "a3"],
  ["c1", "a1-live"],
];
const TARGETS = 2;
const RECOVER = /^\/collections\/([^/]+)\/snapshots\/recover$/;
const RECOVER_TARGETS: KillTarget[] = [
  { label: "PUT recover", method: "PUT", path: RECOVER, total: COLLECTIONS.length * TARGETS },
  // Each recovered collection is read at least once per restore host by the health check.
  {
    label: "GET collection (verify)",
    method: "GET",
    path: /^\/collections\/[^/]+$/,
    total: COLLECTIONS.length * TARGETS,
  },
];
const ALIAS_TARGETS: KillTarget[] = [
  { label: "POST aliases", method: "POST", path: /^\/collections\/aliases$/, total: ALIASES.length * TARGETS },
];
const RECOVER_KILLS = planKills(SEED, RECOVER_TARGETS, 5);
const ALIAS_KILLS = planKills(SEED + 1, ALIAS_TARGETS, 4);

let rig: Rig;
let backupDir = "";
/** Snapshot name → collection (one snapshot per collection in the backup). */
const snapshotOf = new Map<string, string>();
const temps: (() => Promise<void>)[] = [];

/** A fresh state directory holding the backup's `snapshots` (and `collection_aliases`). */
async function restoreDir(label: string): Promise<string> {
  const t = await makeTempDir(label);
  temps.push(t.cleanup);
  for (const f of ["snapshots", "collection_aliases"]) await copyFile(path.join(backupDir, f), path.join(t.dir, f));
  return t.dir;
}

async function wipeTargets(what: "collections" | "aliases"): Promise<void> {
  for (const url of rig.target.urls) {
    for (const a of await listAliases(url, rig.apiKey)) {
      await qdrantCall(url, "POST", "/collections/aliases", rig.apiKey, {
        actions: [{ delete_alias: { alias_name: a.alias_name } }],
      });
    }
    if (what === "collections")
      for (const c of COLLECTIONS) await qdrantCall(url, "DELETE", `/collections/${c}`, rig.apiKey);
  }
}

/** `target-url|snapshot` of each recovery call in `log`. */
function recoveries(log: readonly RequestLogEntry[]): string[] {
  return log
    .filter((q) => q.method === "PUT" && RECOVER.test(q.path))
    .map((q) => `${rig.target.urls[q.node]}|${snapshotOf.get(RECOVER.exec(q.path)?.[1] ?? "") ?? "?"}`);
}

async function expectTargetsEqualSource(): Promise<void> {
  const source = rig.source.urls[0] ?? "";
  for (const url of rig.target.urls) {
    for (const c of COLLECTIONS)
      expect(await readAllPoints(url, c, rig.apiKey), `${c} on ${url}`).toEqual(
        await readAllPoints(source, c, rig.apiKey),
      );
  }
}

beforeAll(async () => {
  rig = await startRig(s3, { label: "crash-restore", sourceNodes: 1, targetNodes: TARGETS });
  const source = rig.source.urls[0] ?? "";
  for (const [i, c] of COLLECTIONS.entries())
    await seedCollection(source, c, { points: 30 + 7 * i, dim: 4, apiKey: rig.apiKey });
  for (const [c, a] of ALIASES) await createAlias(source, c, a, rig.apiKey);
  const t = await makeTempDir("crash-restore-backup");
  temps.push(t.cleanup);
  backupDir = t.dir;
  expectExit(await rig.run(["create_snap", "get_colla"], backupDir), 0);
  const rows = await readStateStrict(backupDir);
  for (const [, collection = "", name = ""] of rows.snapshots) snapshotOf.set(collection, name);
  expect(sorted(snapshotOf.keys())).toEqual(COLLECTIONS);
});

afterAll(async () => {
  await rig?.stop();
  for (const cleanup of temps) await cleanup();
});

describe(`recover_snap killed with SIGKILL at seeded points (seed ${SEED})`, () => {
  for (const point of RECOVER_KILLS) {
    it(`${point.title}: the re-run exits 0, redoes no recorded recovery, targets equal the source`, async () => {
      await wipeTargets("collections");
      const dir = await restoreDir("crash-recover");
      await runKilledAt(rig.target, point, () => rig.start(["recover_snap"], dir));
      const before = await readStateStrict(dir);
      expect(before.failed_snapshot_recovery, "a kill is no failure of a snapshot").toEqual([]);
      const okBefore = before.snapshot_recovery_history
        .filter((r) => r[2] === "ok")
        .map(([host, snap]) => `${host}|${snap}`);

      rig.target.resetRequests();
      const again = await rig.run(["recover_snap"], dir);
      expectExit(again, 0);
      const after = await readStateStrict(dir);
      const redone = recoveries(rig.target.requests());
      expect(
        redone.filter((p) => okBefore.includes(p)),
        `recorded before the kill (${point.title}, seed ${SEED}), recovered again`,
      ).toEqual([]);
      const okAfter = after.snapshot_recovery_history
        .filter((r) => r[2] === "ok")
        .map(([host, snap]) => `${host}|${snap}`);
      expect(duplicates(okAfter), "a (host, snapshot) recorded ok twice").toEqual([]);
      expect(sorted(okAfter)).toEqual(
        sorted(rig.target.urls.flatMap((u) => [...snapshotOf.values()].map((s) => `${u}|${s}`))),
      );
      expect(
        after.snapshot_recovery_history.slice(0, before.snapshot_recovery_history.length),
        "rows written before the kill are kept as they were",
      ).toEqual(before.snapshot_recovery_history);
      expect(after.failed_snapshot_recovery).toEqual([]);
      await expectTargetsEqualSource();
    });
  }
});

describe(`recover_colla killed with SIGKILL at seeded points (seed ${SEED + 1})`, () => {
  beforeAll(async () => {
    await wipeTargets("collections");
    expectExit(await rig.run(["recover_snap"], await restoreDir("crash-colla-base")), 0);
  });

  for (const point of ALIAS_KILLS) {
    it(`${point.title}: the re-run exits 0, creates no alias recorded done, aliases equal the source`, async () => {
      await wipeTargets("aliases");
      const dir = await restoreDir("crash-colla");
      // One alias at a time (both hosts in parallel), so a later kill point finds earlier aliases recorded.
      await runKilledAt(rig.target, point, () =>
        rig.start(["recover_colla"], dir, rig.env({ QDRANT_CONCURRENCY: "1" })),
      );
      const before = await readStateStrict(dir);
      const doneBefore = before.alias_recovery_history.map(([, alias, status]) => `${alias}|${status}`);

      rig.target.resetRequests();
      const again = await rig.run(["recover_colla"], dir);
      expectExit(again, 0);
      const after = await readStateStrict(dir);
      // One create request per (alias, host): a host gets one for each alias not recorded done on it before the kill.
      for (const [node, url] of rig.target.urls.entries()) {
        const created = rig.target
          .requests()
          .filter((q) => q.node === node && q.method === "POST" && q.path === "/collections/aliases").length;
        const recorded = doneBefore.filter((d) => d.endsWith(`|ok@${url}`)).length;
        expect(
          created,
          `alias creations on ${url} in the re-run (${recorded} recorded before the kill at ${point.title})`,
        ).toBe(ALIASES.length - recorded);
      }
      const doneAfter = after.alias_recovery_history.map(([, alias, status]) => `${alias}|${status}`);
      expect(duplicates(doneAfter), "an alias recorded done twice on one host").toEqual([]);
      expect(sorted(doneAfter)).toEqual(sorted(rig.target.urls.flatMap((u) => ALIASES.map(([, a]) => `${a}|ok@${u}`))));
      const sourceAliases = await listAliases(rig.source.urls[0] ?? "", rig.apiKey);
      for (const url of rig.target.urls) expect(await listAliases(url, rig.apiKey), url).toEqual(sourceAliases);
    });
  }
});
