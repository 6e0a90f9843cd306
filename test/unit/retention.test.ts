import { describe, expect, it } from "vitest";
import { planGroup } from "../../src/backup/prune-plan.js";
import {
  classifyKey,
  isFullSnapshotName,
  peerOfSnapshotName,
  placeNodeCollectionSnapshot,
  placeNodeFullSnapshot,
} from "../../src/backup/prune-layout.js";
import type { Candidate } from "../../src/backup/prune-sources.js";
import {
  applyRetention,
  dayOf,
  isoWeekOf,
  monthOf,
  parseCreationTime,
  parseSnapshotTime,
  yearOf,
  type KeepPolicy,
} from "../../src/backup/retention.js";

const NONE: KeepPolicy = { last: 0, daily: 0, weekly: 0, monthly: 0, yearly: 0 };

/** `2026-11-20T08:00:00Z` → `c-1-2026-11-20-08-00-00.snapshot` (the id is the name, as in the layout). */
function nameAt(iso: string): string {
  return `c-1-${iso.slice(0, 19).replace(/[T:]/g, "-")}.snapshot`;
}

/** Applies `policy` to snapshots at `times` and returns `time → reasons` of the kept ones (deleted ones absent). */
function kept(times: readonly string[], policy: Partial<KeepPolicy>): Record<string, string> {
  const items = times.map((t) => ({ id: nameAt(t), time: new Date(t) }));
  const out: Record<string, string> = {};
  for (const d of applyRetention(items, { ...NONE, ...policy })) {
    if (d.keep) out[d.time?.toISOString().slice(0, 19) ?? d.id] = d.reasons.join(", ");
  }
  return out;
}

describe("periods (UTC)", () => {
  it.each([
    // ISO week-years differ from calendar years around New Year; 2026 and 2020 have a week 53.
    ["2026-12-28T00:00:00Z", "2026-W53"],
    ["2027-01-03T23:59:59Z", "2026-W53"],
    ["2027-01-04T00:00:00Z", "2027-W01"],
    ["2026-12-27T12:00:00Z", "2026-W52"],
    ["2020-12-31T00:00:00Z", "2020-W53"],
    ["2021-01-01T00:00:00Z", "2020-W53"],
    ["2024-12-30T00:00:00Z", "2025-W01"],
    ["2008-12-29T00:00:00Z", "2009-W01"],
    ["2010-01-03T00:00:00Z", "2009-W53"],
    ["2026-11-20T10:00:00Z", "2026-W47"],
    ["2026-01-01T00:00:00Z", "2026-W01"],
  ])("ISO week of %s is %s", (iso, week) => {
    expect(isoWeekOf(new Date(iso))).toBe(week);
  });

  it("days, months and years are UTC, whatever the local zone", () => {
    const d = new Date("2026-12-31T23:30:00Z");
    expect([dayOf(d), monthOf(d), yearOf(d)]).toEqual(["2026-12-31", "2026-12", "2026"]);
    const e = new Date("2027-01-01T00:00:00Z");
    expect([dayOf(e), monthOf(e), yearOf(e)]).toEqual(["2027-01-01", "2027-01", "2027"]);
  });
});

describe("times of snapshots", () => {
  it.each([
    ["c1-5395573004126424-2026-08-04-10-49-10.snapshot", "2026-08-04T10:49:10.000Z"],
    ["c1-shard-3-2026-11-20-00-00-01.snapshot", "2026-11-20T00:00:01.000Z"],
    ["full-snapshot-2027-01-01-00-00-00.snapshot", "2027-01-01T00:00:00.000Z"],
    ["my-backup.snapshot", undefined],
    ["c1-1-2026-02-30-10-00-00.snapshot", undefined],
    ["c1-1-2026-11-20-24-00-00.snapshot", undefined],
    ["c1-1-2026-11-20-10-00-00.snapshot.checksum", undefined],
  ])("from the name %s", (name, iso) => {
    expect(parseSnapshotTime(name)?.toISOString()).toBe(iso);
  });

  it("from Qdrant's creation_time (naive UTC)", () => {
    expect(parseCreationTime("2026-08-04T10:49:10")?.toISOString()).toBe("2026-08-04T10:49:10.000Z");
    expect(parseCreationTime("2026-08-04T10:49:10.250")?.toISOString()).toBe("2026-08-04T10:49:10.250Z");
    expect(parseCreationTime("2026-08-04T10:49:10+02:00")?.toISOString()).toBe("2026-08-04T08:49:10.000Z");
    expect(parseCreationTime(null)).toBeUndefined();
    expect(parseCreationTime("yesterday")).toBeUndefined();
  });
});

describe("applyRetention (restic semantics)", () => {
  const cases: { name: string; times: string[]; policy: Partial<KeepPolicy>; kept: Record<string, string> }[] = [
    {
      name: "last N keeps the N newest",
      times: ["2026-11-20T01:00:00Z", "2026-11-20T02:00:00Z", "2026-11-20T03:00:00Z", "2026-11-19T03:00:00Z"],
      policy: { last: 2 },
      kept: { "2026-11-20T03:00:00": "last 1", "2026-11-20T02:00:00": "last 2" },
    },
    {
      name: "daily keeps the newest of each day; same-day duplicates go",
      times: [
        "2026-11-20T01:00:00Z",
        "2026-11-20T23:59:59Z",
        "2026-11-21T00:00:00Z",
        "2026-11-21T12:00:00Z",
        "2026-11-19T12:00:00Z",
      ],
      policy: { daily: 2 },
      kept: { "2026-11-21T12:00:00": "daily 2026-11-21", "2026-11-20T23:59:59": "daily 2026-11-20" },
    },
    {
      name: "daily counts days that have snapshots, not calendar days",
      times: ["2026-11-20T08:00:00Z", "2026-11-10T08:00:00Z", "2026-10-01T08:00:00Z"],
      policy: { daily: 2 },
      kept: { "2026-11-20T08:00:00": "daily 2026-11-20", "2026-11-10T08:00:00": "daily 2026-11-10" },
    },
    {
      name: "weekly uses ISO weeks: week 53 spans the new year",
      times: [
        "2027-01-04T08:00:00Z",
        "2027-01-03T08:00:00Z",
        "2026-12-31T08:00:00Z",
        "2026-12-28T08:00:00Z",
        "2026-12-27T08:00:00Z",
      ],
      policy: { weekly: 3 },
      kept: {
        "2027-01-04T08:00:00": "weekly 2027-W01",
        "2027-01-03T08:00:00": "weekly 2026-W53",
        "2026-12-27T08:00:00": "weekly 2026-W52",
      },
    },
    {
      name: "monthly and yearly across the year boundary",
      times: ["2027-01-01T00:00:00Z", "2026-12-31T23:59:59Z", "2026-12-01T00:00:00Z", "2025-06-15T00:00:00Z"],
      policy: { monthly: 2, yearly: 2 },
      kept: {
        "2027-01-01T00:00:00": "monthly 2027-01, yearly 2027",
        "2026-12-31T23:59:59": "monthly 2026-12, yearly 2026",
      },
    },
    {
      name: "yearly reaches back past gaps",
      times: ["2026-03-01T00:00:00Z", "2024-05-01T00:00:00Z", "2024-01-01T00:00:00Z", "2020-01-01T00:00:00Z"],
      policy: { yearly: 3 },
      kept: {
        "2026-03-01T00:00:00": "yearly 2026",
        "2024-05-01T00:00:00": "yearly 2024",
        "2020-01-01T00:00:00": "yearly 2020",
      },
    },
    {
      name: "overlapping rules: each rule counts on its own and every rule is reported",
      // 2026-11-23 is a Monday (W48); 2026-11-22 a Sunday (W47).
      times: ["2026-11-23T08:00:00Z", "2026-11-22T08:00:00Z", "2026-11-21T08:00:00Z", "2026-10-31T08:00:00Z"],
      policy: { last: 1, daily: 1, weekly: 2, monthly: 2 },
      kept: {
        "2026-11-23T08:00:00": "last 1, daily 2026-11-23, weekly 2026-W48, monthly 2026-11",
        "2026-11-22T08:00:00": "weekly 2026-W47",
        "2026-10-31T08:00:00": "monthly 2026-10",
      },
    },
    {
      name: "the policy document's 7 daily / 4 weekly / 6 monthly over 60 nightly snapshots (Oct 2 to Nov 30)",
      times: Array.from({ length: 60 }, (_, i) => new Date(Date.UTC(2026, 10, 30, 2) - i * 86_400_000).toISOString()),
      policy: { daily: 7, weekly: 4, monthly: 6 },
      kept: {
        "2026-11-30T02:00:00": "daily 2026-11-30, weekly 2026-W49, monthly 2026-11",
        "2026-11-29T02:00:00": "daily 2026-11-29, weekly 2026-W48",
        "2026-11-28T02:00:00": "daily 2026-11-28",
        "2026-11-27T02:00:00": "daily 2026-11-27",
        "2026-11-26T02:00:00": "daily 2026-11-26",
        "2026-11-25T02:00:00": "daily 2026-11-25",
        "2026-11-24T02:00:00": "daily 2026-11-24",
        "2026-11-22T02:00:00": "weekly 2026-W47",
        "2026-11-15T02:00:00": "weekly 2026-W46",
        "2026-10-31T02:00:00": "monthly 2026-10",
      },
    },
    {
      name: "all counts 0: only the newest stays",
      times: ["2026-11-20T08:00:00Z", "2026-11-21T08:00:00Z", "2026-11-19T08:00:00Z"],
      policy: {},
      kept: { "2026-11-21T08:00:00": "newest" },
    },
    {
      name: "the newest is marked 'newest' only when no rule kept it",
      times: ["2026-11-21T08:00:00Z", "2026-11-20T08:00:00Z"],
      policy: { last: 1 },
      kept: { "2026-11-21T08:00:00": "last 1" },
    },
  ];

  it.each(cases)("$name", ({ times, policy, kept: expected }) => {
    expect(kept(times, policy)).toEqual(expected);
  });

  it("snapshots without a time are kept, reported as undated, and are never the newest", () => {
    const decisions = applyRetention(
      [
        { id: "b", time: undefined },
        { id: "old", time: new Date("2020-01-01T00:00:00Z") },
        { id: "new", time: new Date("2026-01-01T00:00:00Z") },
      ],
      NONE,
    );
    expect(decisions.map((d) => [d.id, d.keep, d.reasons.join(", ")])).toEqual([
      ["new", true, "newest"],
      ["old", false, ""],
      ["b", true, "undated"],
    ]);
  });

  it("decides the same whatever the listing order (equal times broken by id)", () => {
    const t = new Date("2026-11-20T08:00:00Z");
    const items = [
      { id: "snapshots/c/a.snapshot", time: t },
      { id: "snapshots/c/b.snapshot", time: t },
      { id: "snapshots/c/c.snapshot", time: new Date("2026-11-19T08:00:00Z") },
    ];
    const forward = applyRetention(items, { ...NONE, daily: 1 });
    const backward = applyRetention([...items].reverse(), { ...NONE, daily: 1 });
    expect(backward).toEqual(forward);
    expect(forward.filter((d) => d.keep).map((d) => d.id)).toEqual(["snapshots/c/b.snapshot"]);
  });

  it("an empty group has no decisions", () => {
    expect(applyRetention([], { ...NONE, daily: 7 })).toEqual([]);
  });
});

describe("snapshot layout (what prune_snap may delete)", () => {
  it.each([
    ["snapshots/c1/c1-42-2026-11-20-08-00-00.snapshot", { kind: "collection", collection: "c1", peer: "42" }],
    ["snapshots/c1/manual.snapshot", { kind: "collection", collection: "c1", peer: "" }],
    ["snapshots/a%22b/a%22b-7-2026-11-20-08-00-00.snapshot", { kind: "collection", collection: 'a"b', peer: "7" }],
    ["snapshots/c1/shards/3/c1-shard-3-2026-11-20-08-00-00.snapshot", { kind: "shard", collection: "c1", shard: 3 }],
    [
      "full_snapshots/10.0.0.1:6333/full-snapshot-2026-11-20-08-00-00.snapshot",
      { kind: "full", host: "10.0.0.1:6333" },
    ],
  ])("%s is a snapshot", (key, group) => {
    expect(classifyKey(key)?.group).toEqual(group);
  });

  it.each([
    "snapshots/c1/notes.txt",
    "snapshots/c1/c1-1-2026-11-20-08-00-00.snapshot.checksum",
    "snapshots/c1/.c1-1-2026-11-20-08-00-00.snapshot",
    "snapshots/c1/deeper/c1-1-2026-11-20-08-00-00.snapshot",
    "snapshots/full-snapshot-2026-11-20-08-00-00.snapshot",
    "snapshots/c1/shards/x/c1-shard-0-2026-11-20-08-00-00.snapshot",
    "snapshots/c1/shards/007/c1-shard-7-2026-11-20-08-00-00.snapshot",
    "snapshots/c1/shards/0/deep/c1-shard-0-2026-11-20-08-00-00.snapshot",
    'snapshots/a"b/x.snapshot',
    "snapshots//x.snapshot",
    "full_snapshots/h:1/config.json",
    "full_snapshots/h:1/sub/full-snapshot-2026-11-20-08-00-00.snapshot",
    "backup_metadata/c1/c1-1-2026-11-20-08-00-00.snapshot.json",
    "state/snapshots",
  ])("%s is outside the layout", (key) => {
    expect(classifyKey(key)).toBeUndefined();
  });

  it("reads the source peer only where the collection's own name ends", () => {
    expect(peerOfSnapshotName("a-shard", "a-shard-3-2026-11-20-08-00-00.snapshot")).toBe("3");
    expect(peerOfSnapshotName("a", "a-shard-3-2026-11-20-08-00-00.snapshot")).toBe("");
    expect(peerOfSnapshotName("a", "ab-3-2026-11-20-08-00-00.snapshot")).toBe("");
  });

  it("places node listings on the destination's keys, leaving shard and foreign names out", () => {
    expect(placeNodeCollectionSnapshot("c1", "c1-9-2026-11-20-08-00-00.snapshot")?.key).toBe(
      "snapshots/c1/c1-9-2026-11-20-08-00-00.snapshot",
    );
    // A node on S3 storage lists shard snapshots among the collection's; a collection named `a-shard` is not fooled.
    expect(placeNodeCollectionSnapshot("c1", "c1-shard-0-2026-11-20-08-00-00.snapshot")).toBeUndefined();
    expect(placeNodeCollectionSnapshot("a-shard", "a-shard-3-2026-11-20-08-00-00.snapshot")?.group).toEqual({
      kind: "collection",
      collection: "a-shard",
      peer: "3",
    });
    expect(placeNodeCollectionSnapshot("c1", "notes.txt")).toBeUndefined();
    expect(placeNodeFullSnapshot("http://10.0.0.1:6333", "full-snapshot-2026-11-20-08-00-00.snapshot")).toEqual({
      key: "full_snapshots/10.0.0.1:6333/full-snapshot-2026-11-20-08-00-00.snapshot",
      name: "full-snapshot-2026-11-20-08-00-00.snapshot",
      group: { kind: "full", host: "10.0.0.1:6333" },
    });
    // On S3 storage GET /snapshots lists every object under snapshots/: collection snapshots are not full ones.
    expect(placeNodeFullSnapshot("http://10.0.0.1:6333", "c1-9-2026-11-20-08-00-00.snapshot")).toBeUndefined();
    expect(isFullSnapshotName("full-snapshot-2026-11-20-08-00-00.snapshot")).toBe(true);
  });
});

describe("planGroup safety", () => {
  const group = { kind: "collection", collection: "c", peer: "1" } as const;
  const candidates = (days: number): Candidate[] =>
    Array.from({ length: days }, (_, i) => {
      const time = new Date(Date.UTC(2026, 10, 20 - i, 8));
      const name = nameAt(time.toISOString());
      return { key: `snapshots/c/${name}`, name, group, time, places: [{ kind: "store" }] };
    });

  it.each([
    // 10 snapshots, 1 per day: keeping 5 deletes exactly 50% (allowed); keeping 4 deletes 60% (refused).
    { daily: 5, pct: 50, force: false, deleted: 5, refused: false },
    { daily: 4, pct: 50, force: false, deleted: 0, refused: true },
    { daily: 4, pct: 50, force: true, deleted: 6, refused: false },
    { daily: 9, pct: 0, force: false, deleted: 0, refused: true },
    { daily: 0, pct: 100, force: false, deleted: 9, refused: false },
  ])("daily $daily, max $pct%, force $force: $deleted deleted", ({ daily, pct, force, deleted, refused }) => {
    const plan = planGroup({ group, candidates: candidates(10) }, { ...NONE, daily }, pct, force);
    expect(plan.toDelete).toHaveLength(deleted);
    expect(plan.refused !== undefined).toBe(refused);
    if (refused) expect(plan.refused).toMatch(/QDRANT_PRUNE_MAX_DELETE_PCT=\d+%; run with --force/);
    expect(plan.toDelete.map((c) => c.key)).not.toContain(candidates(1)[0]?.key);
  });

  it("keeps the newest by time even when its name sorts first and it was listed last", () => {
    const list = candidates(3).reverse();
    const plan = planGroup({ group, candidates: list }, NONE, 100, false);
    expect(plan.snapshots.filter((s) => s.keep).map((s) => [s.candidate.time?.toISOString(), s.reasons])).toEqual([
      ["2026-11-20T08:00:00.000Z", ["newest"]],
    ]);
    expect(plan.toDelete).toHaveLength(2);
  });
});
