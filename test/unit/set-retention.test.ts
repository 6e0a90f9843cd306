// The pure rules of set retention: which sets a policy deletes, the sweep's plan, the key guard, --legacy's groups,
// and how a retention report joins a task's summary.
import { describe, expect, it } from "vitest";
import { groupLegacySnapshots } from "../../src/backup/sets/legacy-prune.js";
import { PruneItems, withPruneReport } from "../../src/backup/sets/prune-report.js";
import { refusalOf } from "../../src/backup/sets/set-delete.js";
import { planSets, setsPolicyOf, type SetsPolicy } from "../../src/backup/sets/set-retention.js";
import { isReferenced, planSweep } from "../../src/backup/sets/set-sweep.js";
import { buildConfig } from "../../src/config.js";
import { EXIT } from "../../src/errors.js";

const id = (day: string, hour = "02") => `2026-11-${day}T${hour}-00-00Z-pod`;
const ALL = new Set<string>();
const readable = (ids: string[]) => new Set(ids);
const count = (keep: number): SetsPolicy => ({ kind: "count", keep });
const gfs = (daily: number, maxDeletePct = 100, force = false): SetsPolicy => ({
  kind: "gfs",
  keep: { last: 0, daily, weekly: 0, monthly: 0, yearly: 0 },
  maxDeletePct,
  force,
});

describe("setsPolicyOf", () => {
  const config = (env: Record<string, string>) => buildConfig(env, { cwd: "/tmp", stateDir: "/tmp" });
  it("QDRANT_BACKUP_RETENTION_SETS set: by count; 0 keeps 1 in prune_snap and turns the pass after a backup off", () => {
    expect(setsPolicyOf(config({ QDRANT_BACKUP_RETENTION_SETS: "3" }), "after-backup")).toEqual(count(3));
    expect(setsPolicyOf(config({ QDRANT_BACKUP_RETENTION_SETS: "0" }), "prune_snap")).toEqual(count(1));
    expect(setsPolicyOf(config({ QDRANT_BACKUP_RETENTION_SETS: "0" }), "after-backup")).toBeUndefined();
  });
  it("unset: GFS over QDRANT_KEEP_* with the QDRANT_PRUNE_MAX_DELETE_PCT guard", () => {
    expect(
      setsPolicyOf(config({ QDRANT_KEEP_DAILY: "2", QDRANT_PRUNE_MAX_DELETE_PCT: "30" }), "prune_snap", true),
    ).toEqual({
      kind: "gfs",
      keep: { last: 0, daily: 2, weekly: 4, monthly: 6, yearly: 0 },
      maxDeletePct: 30,
      force: true,
    });
  });
});

describe("planSets", () => {
  const ids = [id("18"), id("20"), id("17"), id("19")];

  it("by count keeps the newest N by set id and deletes the rest oldest first", () => {
    const plan = planSets(ids, readable(ids), count(2));
    expect(plan.decisions.map((d) => [d.id, d.keep, d.reasons.join()])).toEqual([
      [id("20"), true, "count 1"],
      [id("19"), true, "count 2"],
      [id("18"), false, ""],
      [id("17"), false, ""],
    ]);
    expect(plan.toDelete).toEqual([id("17"), id("18")]);
  });

  it("keeps the newest readable set even when the policy would not", () => {
    const plan = planSets(ids, readable([id("18"), id("17")]), count(1));
    expect(plan.toDelete).toEqual([id("17"), id("19")]);
    expect(plan.decisions.find((d) => d.id === id("18"))?.reasons).toEqual(["newest complete set"]);
  });

  it("with no readable set, deletes by the policy alone (nothing of an unreadable set is deleted later)", () => {
    expect(planSets(ids, ALL, count(3)).toDelete).toEqual([id("17")]);
  });

  it("GFS by the set id's time: one set per day, a set id without a time is kept", () => {
    const all = [...ids, id("20", "14"), "hand-made-set"];
    const plan = planSets(all, readable(all), gfs(2));
    expect(plan.decisions.filter((d) => d.keep).map((d) => [d.id, d.reasons.join()])).toEqual([
      [id("20", "14"), "daily 2026-11-20"],
      [id("19"), "daily 2026-11-19"],
      ["hand-made-set", "undated"],
    ]);
    expect(plan.toDelete).toEqual([id("17"), id("18"), id("20")]);
  });

  it("GFS over QDRANT_PRUNE_MAX_DELETE_PCT is refused unless forced; exactly the percentage is allowed", () => {
    const refused = planSets(ids, readable(ids), gfs(1, 50));
    expect(refused.toDelete).toEqual([]);
    expect(refused.refused).toMatch(/^would delete 3 of 4 sets \(75%\)/);
    expect(planSets(ids, readable(ids), gfs(1, 50, true)).toDelete).toHaveLength(3);
    expect(planSets(ids, readable(ids), gfs(2, 50)).refused).toBeUndefined();
    expect(planSets(ids, readable(ids), count(1)).refused).toBeUndefined();
  });
});

describe("planSweep", () => {
  const now = new Date("2026-11-20T00:00:00Z");
  const at = (hoursAgo: number) => new Date(now.getTime() - hoursAgo * 3_600_000);
  const obj = (key: string, hoursAgo: number) => ({ key, size: 1, lastModified: at(hoursAgo) });
  const ref = "snapshots/c1/shards/0/a.snapshot";

  it("a .checksum of a referenced object is referenced; others are not", () => {
    expect(isReferenced(`${ref}.checksum`, new Set([ref]))).toBe(true);
    expect(isReferenced("snapshots/c1/shards/0/b.snapshot.checksum", new Set([ref]))).toBe(false);
  });

  it("eligible only when older than the grace period (strictly), of a known age, oldest first", () => {
    const objects = [
      obj(ref, 100),
      obj(`${ref}.checksum`, 100),
      obj("snapshots/c1/shards/0/b.snapshot", 49),
      obj("snapshots/c1/shards/0/c.snapshot", 48),
      obj("snapshots/c1/shards/1/d.snapshot", 47),
      { key: "snapshots/c1/shards/1/e.snapshot", size: 1, lastModified: new Date(Number.NaN) },
      obj("snapshots/c1/shards/1/f.snapshot", 72),
      obj("snapshots/c1/shards/1/g.snapshot", 0),
      obj("snapshots/c1/shards/1/h.snapshot", 0),
    ];
    const plan = planSweep("c1", objects, new Set([ref]), now, 48 * 3600, 50);
    expect(plan.eligible.map((o) => o.key)).toEqual([
      "snapshots/c1/shards/1/f.snapshot",
      "snapshots/c1/shards/0/b.snapshot",
    ]);
    expect(plan).toMatchObject({ young: 5, total: 9, refused: undefined });
  });

  it("over the cap deletes nothing and says why; exactly the cap is allowed", () => {
    const objects = [obj(ref, 100), obj("snapshots/c1/shards/0/x.snapshot", 100)];
    expect(planSweep("c1", objects, new Set([ref]), now, 3600, 50).eligible).toHaveLength(1);
    const refused = planSweep("c1", objects, new Set([ref]), now, 3600, 49);
    expect(refused.eligible).toEqual([]);
    expect(refused.refused).toMatch(/^1 of 2 shard objects \(50%\) are referenced by no manifest/);
  });
});

describe("refusalOf (the keys retention may delete)", () => {
  it("allows only keys under snapshots/{c}/shards/, encoded as Qdrant does or verbatim, without . or .. segments", () => {
    expect(refusalOf("c1", "snapshots/c1/shards/0/a.snapshot")).toBeUndefined();
    expect(refusalOf("a b%", "snapshots/a b%25/shards/0/x.snapshot")).toBeUndefined();
    expect(refusalOf("a b%", "snapshots/a b%/shards/0/x.snapshot")).toBeUndefined();
    expect(refusalOf("c1", "snapshots/c2/shards/0/a.snapshot")).toMatch(/is not under snapshots\/c1\/shards\//);
    expect(refusalOf("c1", "snapshots/c1/c1-1-2026-11-01-00-00-00.snapshot")).toBeDefined();
    expect(refusalOf("c1", "snapshots/c1/shards/../../c2/x")).toMatch(/empty, \. or \.\. segment/);
    expect(refusalOf("c1", "snapshots/c1/shards//x")).toBeDefined();
    expect(refusalOf("c1", "backup_manifests/c1/x.json")).toBeDefined();
    expect(refusalOf("..", "snapshots/../shards/x")).toBeDefined();
  });
});

describe("groupLegacySnapshots", () => {
  it("groups {c}-{peer}-{time}.snapshot directly under snapshots/{c}/ by peer, newest first; leaves others out", () => {
    const keys = [
      "snapshots/c1/c1-1-2026-11-18-00-00-00.snapshot",
      "snapshots/c1/c1-1-2026-11-20-00-00-00.snapshot",
      "snapshots/c1/c1-1-2026-11-20-00-00-00.snapshot.checksum",
      "snapshots/c1/c1-18446744073709551615-2026-11-19-00-00-00.snapshot",
      "snapshots/c1/c1-2026-11-19-00-00-00.snapshot",
      "snapshots/c1/c1-1-2026-13-19-00-00-00.snapshot",
      "snapshots/c1/shards/0/c1-shard-0-2026-11-19-00-00-00.snapshot",
      "snapshots/c1/deep/c1-1-2026-11-19-00-00-00.snapshot",
    ];
    const { byPeer, unparsed } = groupLegacySnapshots("c1", keys);
    expect([...byPeer].map(([peer, list]) => [peer, list.map((s) => s.key)])).toEqual([
      ["1", ["snapshots/c1/c1-1-2026-11-20-00-00-00.snapshot", "snapshots/c1/c1-1-2026-11-18-00-00-00.snapshot"]],
      ["18446744073709551615", ["snapshots/c1/c1-18446744073709551615-2026-11-19-00-00-00.snapshot"]],
    ]);
    expect(unparsed).toEqual([
      "snapshots/c1/c1-2026-11-19-00-00-00.snapshot",
      "snapshots/c1/c1-1-2026-13-19-00-00-00.snapshot",
    ]);
  });
});

describe("withPruneReport", () => {
  const summary = {
    task: "create_snap_shards",
    done: 2,
    skipped: 0,
    failed: 0,
    accepted: 0,
    message: "Backup set x: 2 collections complete, 0 failed",
    items: [{ collection: "c1", outcome: "done" }],
    exitCode: EXIT.ok,
  };
  it("adds the pass's items, counts and line; a failed item makes the task exit 3", () => {
    const items = new PruneItems();
    items.add("done", { group: "sets of c1", key: "s1", action: "delete" });
    items.add("failed", { group: "sets of c2", key: "", action: "list", error: "boom" });
    const merged = withPruneReport(
      summary,
      items.report("Sets: deleted 1 set, swept 0 orphaned shard objects, 1 failed"),
    );
    expect(merged).toMatchObject({ done: 3, failed: 1, exitCode: EXIT.partial });
    expect(merged.message).toBe(
      "Backup set x: 2 collections complete, 0 failed; Sets: deleted 1 set, swept 0 orphaned shard objects, 1 failed",
    );
    expect(merged.items.at(-1)).toEqual({
      group: "sets of c2",
      key: "",
      action: "list",
      error: "boom",
      outcome: "failed",
    });
    expect(withPruneReport(summary, new PruneItems().report("Sets: nothing")).exitCode).toBe(EXIT.ok);
  });
});
