// Retention of backup sets (prune_snap, and pruneSets, the automatic pass after create_snap_shards) against sets
// written straight into the fake S3 bucket or a directory destination as the bash tool writes them: by count, by
// GFS, manifest first, the newest complete set kept, unreadable manifests, the orphan sweep's grace, cap and
// zero-manifest guards, listing failures, and the dry run.
import { readdir } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
import { pruneSets } from "../../src/backup/sets/prune-sets.js";
import { run } from "../../src/commands/prune_snap.js";
import { EXIT } from "../../src/errors.js";
import { createTestDeps, type TestDeps } from "../support/deps.js";
import { clearS3Faults, setS3Faults } from "../support/s3/fault-admin.js";
import { backdateS3Object } from "../support/s3/backdate.js";
import { itWithS3Backdating, itWithS3Faults } from "../support/s3/impl.js";
import { makeTempDir } from "../support/tmp.js";
import { readStateFile, startRig } from "./helpers/rig.js";
import { putText, recordingDeletes, setIdAt, writeSet, type WrittenSet } from "../support/sets/write-sets.js";

const HOUR = 3_600_000;
/** Sets by count: the newest 2. */
const COUNT2 = { QDRANT_BACKUP_RETENTION_SETS: "2" };
/** GFS with daily 3 and nothing else, no limit on the share deleted. */
const GFS = {
  QDRANT_KEEP_LAST: "0",
  QDRANT_KEEP_DAILY: "3",
  QDRANT_KEEP_WEEKLY: "0",
  QDRANT_KEEP_MONTHLY: "0",
  QDRANT_KEEP_YEARLY: "0",
  QDRANT_PRUNE_MAX_DELETE_PCT: "100",
};

interface Dest {
  deps(env?: Record<string, string>): TestDeps;
  keys(prefix?: string): Promise<string[]>;
  pruned(): Promise<string | undefined>;
  bucket?: { name: string; endpoint: string };
}

async function destination(kind: "s3" | "dir", label: string): Promise<Dest> {
  if (kind === "s3") {
    const rig = await startRig(label, { nodes: 1 });
    return {
      deps: (env = {}) => rig.deps(env),
      keys: (prefix = "") => rig.bucket.keys(prefix),
      pruned: () => readStateFile(rig.dir, "pruned_snapshots"),
      bucket: { name: rig.bucket.name, endpoint: rig.s3info.endpoint },
    };
  }
  const [state, dir] = [await makeTempDir(`${label}-state`), await makeTempDir(`${label}-dest`)];
  const opened: TestDeps[] = [];
  onTestFinished(async () => {
    for (const d of opened) await d.close();
    await Promise.all([state.cleanup(), dir.cleanup()]);
  });
  return {
    deps: (env = {}) => {
      const d = createTestDeps({ QDRANT_BACKUP_DIR: dir.dir, ...env }, { stateDir: state.dir });
      opened.push(d);
      return d;
    },
    keys: async (prefix = "") =>
      (await readdir(dir.dir, { recursive: true, withFileTypes: true }))
        .filter((e) => e.isFile())
        .map((e) => path.relative(dir.dir, path.join(e.parentPath, e.name)).split(path.sep).join("/"))
        .filter((k) => k.startsWith(prefix))
        .sort(),
    pruned: () => readStateFile(state.dir, "pruned_snapshots"),
  };
}

/** Four sets of c1, a day apart (11-17 … 11-20), two shards each with `.checksum` companions. */
async function fourSets(deps: TestDeps, collection = "c1"): Promise<WrittenSet[]> {
  const store = deps.store();
  const sets: WrittenSet[] = [];
  for (const day of ["17", "18", "19", "20"])
    sets.push(await writeSet(store, collection, setIdAt(`2026-11-${day}T02:00:00Z`), { checksums: true }));
  return sets;
}

const allKeys = (s: WrittenSet) => [s.manifest, ...s.shards, ...s.shards.map((k) => `${k}.checksum`)];
const sorted = (keys: readonly string[]) => [...keys].sort();
const later = (ms: number) => new Date(Date.now() + ms);

describe.each(["s3", "dir"] as const)("sets on a %s destination", (kind) => {
  it("by count (QDRANT_BACKUP_RETENTION_SETS=2): the oldest sets go, manifest first, then shards, companions, restore state", async () => {
    const dest = await destination(kind, `sets-count-${kind}`);
    const sets = await fourSets(dest.deps());
    const [oldest, second, third, newest] = sets as [WrittenSet, WrittenSet, WrittenSet, WrittenSet];
    await putText(dest.deps().store(), `restore_state/c1/${oldest.id}.csv`, "http://q:6333,c1,x,0,ok\n");
    const before = await dest.keys();
    const { deps, deletes } = recordingDeletes(dest.deps(COUNT2));

    const summary = await run({ confirm: true }, deps);

    expect(summary.exitCode).toBe(EXIT.ok);
    const gone = [...allKeys(oldest), `restore_state/c1/${oldest.id}.csv`, ...allKeys(second)];
    expect(await dest.keys()).toEqual(sorted(before.filter((k) => !gone.includes(k))));
    expect(await dest.keys()).toEqual(sorted([...allKeys(third), ...allKeys(newest)]));
    // Oldest set first; within a set the manifest, then its shards, then companions, then restore state.
    expect(deletes).toEqual([
      oldest.manifest,
      ...oldest.shards,
      ...oldest.shards.map((k) => `${k}.checksum`),
      `restore_state/c1/${oldest.id}.csv`,
      second.manifest,
      ...second.shards,
      ...second.shards.map((k) => `${k}.checksum`),
    ]);
    const items = summary.items.filter((i) => i["group"] === "sets of c1");
    expect(items.filter((i) => i["action"] === "delete").map((i) => [i["key"], i["outcome"]])).toEqual([
      [oldest.id, "done"],
      [second.id, "done"],
    ]);
    expect(items.filter((i) => i["action"] === "keep").map((i) => [i["key"], i["rules"]])).toEqual([
      [newest.id, "count 1"],
      [third.id, "count 2"],
    ]);
    expect(summary.message).toMatch(/; Sets: deleted 2 sets, swept 0 orphaned shard objects$/);
    const pruned = (await dest.pruned()) ?? "";
    for (const key of gone) expect(pruned).toContain(`,${key},`);
  });

  it("dry run (no --confirm) lists the sets and objects that would go, and deletes nothing", async () => {
    const dest = await destination(kind, `sets-dry-${kind}`);
    const [oldest] = await fourSets(dest.deps());
    const before = await dest.keys();
    const deps = dest.deps({ QDRANT_BACKUP_RETENTION_SETS: "3" });

    const summary = await run({}, deps);

    expect(await dest.keys()).toEqual(before);
    expect(await dest.pruned()).toBeUndefined();
    expect(summary.exitCode).toBe(EXIT.ok);
    expect(summary.message).toMatch(
      /Sets \(dry run\): 1 set would be deleted, 0 orphaned shard objects would be swept$/,
    );
    const line = deps.lines.find((l) => l.includes(`would delete set ${oldest!.id}`)) ?? "";
    for (const key of [oldest!.manifest, ...oldest!.shards]) expect(line).toContain(key);
    expect(deps.lines.some((l) => l.includes("Dry run for sets (nothing is deleted; --confirm deletes)"))).toBe(true);
  });

  it("--dry-run wins over --confirm: nothing is deleted", async () => {
    const dest = await destination(kind, `sets-dry-confirm-${kind}`);
    await fourSets(dest.deps());
    const before = await dest.keys();

    const summary = await run({ confirm: true, dryRun: true }, dest.deps({ QDRANT_BACKUP_RETENTION_SETS: "1" }));

    expect(await dest.keys()).toEqual(before);
    expect(summary.message).toMatch(/Sets \(dry run\): 3 sets would be deleted/);
  });
});

describe("sets: retention policy", () => {
  it("GFS when QDRANT_BACKUP_RETENTION_SETS is unset: sets kept by their set id's time (QDRANT_KEEP_*)", async () => {
    const dest = await destination("s3", "sets-gfs");
    const store = dest.deps().store();
    // Two sets on 11-20 (02:00 and 14:00), one each on 11-19, 11-18, 11-17.
    const times = ["2026-11-17T02:00:00Z", "2026-11-18T02:00:00Z", "2026-11-19T02:00:00Z", "2026-11-20T02:00:00Z"];
    const sets: WrittenSet[] = [];
    for (const t of [...times, "2026-11-20T14:00:00Z"]) sets.push(await writeSet(store, "c1", setIdAt(t)));
    const [d17, d18, d19, d20early, d20late] = sets as [WrittenSet, WrittenSet, WrittenSet, WrittenSet, WrittenSet];

    const summary = await run({ confirm: true }, dest.deps(GFS));

    expect(summary.exitCode).toBe(EXIT.ok);
    const keep = summary.items.filter((i) => i["action"] === "keep" && i["group"] === "sets of c1");
    expect(keep.map((i) => [i["key"], i["rules"]])).toEqual([
      [d20late.id, "daily 2026-11-20"],
      [d19.id, "daily 2026-11-19"],
      [d18.id, "daily 2026-11-18"],
    ]);
    expect(await dest.keys("backup_manifests/")).toEqual(sorted([d18, d19, d20late].map((s) => s.manifest)));
    expect(await dest.keys("snapshots/")).toEqual(sorted([d18, d19, d20late].flatMap((s) => s.shards)));
    void d17;
    void d20early;
  });

  it("GFS refuses to delete more than QDRANT_PRUNE_MAX_DELETE_PCT of the sets (exit 3), --force allows it", async () => {
    const dest = await destination("s3", "sets-gfs-pct");
    const store = dest.deps().store();
    for (const day of ["16", "17", "18", "19", "20"]) await writeSet(store, "c1", setIdAt(`2026-11-${day}T02:00:00Z`));
    const env = { ...GFS, QDRANT_KEEP_DAILY: "1", QDRANT_PRUNE_MAX_DELETE_PCT: "50" };
    const before = await dest.keys();

    const refused = await run({ confirm: true }, dest.deps(env));

    expect(refused.exitCode).toBe(EXIT.partial);
    expect(refused.items.find((i) => i["action"] === "refused" && i["outcome"] === "failed")?.["error"]).toMatch(
      /^would delete 4 of 5 sets \(80%\), more than QDRANT_PRUNE_MAX_DELETE_PCT=50%; run prune_snap with --force/,
    );
    expect(await dest.keys()).toEqual(before);

    const forced = await run({ confirm: true, force: true }, dest.deps(env));
    expect(forced.exitCode).toBe(EXIT.ok);
    expect(await dest.keys("backup_manifests/")).toEqual([
      `backup_manifests/c1/${setIdAt("2026-11-20T02:00:00Z")}.json`,
    ]);
  });

  it("the newest complete set is never deleted: RETENTION_SETS=0 keeps 1 in prune_snap and skips the automatic pass", async () => {
    const dest = await destination("s3", "sets-zero");
    const sets = await fourSets(dest.deps());
    const before = await dest.keys();
    const zero = { QDRANT_BACKUP_RETENTION_SETS: "0" };

    const automatic = await pruneSets(dest.deps(zero), ["c1"], { remove: true, trigger: "after-backup" });
    expect(automatic).toMatchObject({ deleted: 0, failed: 0, items: [] });
    expect(automatic.message).toBe("Sets: no automatic prune (QDRANT_BACKUP_RETENTION_SETS=0)");
    expect(await dest.keys()).toEqual(before);

    const manual = await run({ confirm: true }, dest.deps(zero));
    expect(manual.exitCode).toBe(EXIT.ok);
    expect(await dest.keys("backup_manifests/")).toEqual([sets[3]!.manifest]);
  });

  it("a newest set with an unreadable manifest is kept but does not count: the newest readable set is kept too", async () => {
    const dest = await destination("s3", "sets-newest-bad");
    const store = dest.deps().store();
    const good = await writeSet(store, "c1", setIdAt("2026-11-19T02:00:00Z"));
    const older = await writeSet(store, "c1", setIdAt("2026-11-18T02:00:00Z"));
    const bad = await writeSet(store, "c1", setIdAt("2026-11-20T02:00:00Z"), { manifestText: "{not json" });

    const deps = dest.deps({ QDRANT_BACKUP_RETENTION_SETS: "1" });
    const summary = await run({ confirm: true }, deps);

    expect(summary.exitCode).toBe(EXIT.ok);
    const keep = summary.items.filter((i) => i["action"] === "keep").map((i) => [i["key"], i["rules"]]);
    expect(keep).toEqual([
      [bad.id, "count 1"],
      [good.id, "newest complete set"],
    ]);
    expect(await dest.keys("backup_manifests/")).toEqual(sorted([bad.manifest, good.manifest]));
    expect(deps.lines.some((l) => l.includes(`keep set ${bad.id}, its manifest is unreadable`))).toBe(true);
    expect(deps.lines.some((l) => l.includes("no orphan sweep this pass"))).toBe(true);
    void older;
  });

  it("an unreadable manifest deletes nothing of its set: a failure (exit 3), the other sets go, no sweep", async () => {
    const dest = await destination("s3", "sets-unreadable");
    const store = dest.deps().store();
    const broken = await writeSet(store, "c1", setIdAt("2026-11-17T02:00:00Z"), {
      manifestText: JSON.stringify({ schema_version: 2, backup_set_id: "x", collection: "c1", shards: [] }),
    });
    const middle = await writeSet(store, "c1", setIdAt("2026-11-18T02:00:00Z"));
    const newest = await writeSet(store, "c1", setIdAt("2026-11-19T02:00:00Z"));
    await putText(store, "snapshots/c1/shards/0/orphan.snapshot", "x");

    const summary = await pruneSets(dest.deps({ QDRANT_BACKUP_RETENTION_SETS: "1" }), ["c1"], {
      remove: true,
      trigger: "prune_snap",
      now: later(10 * 24 * HOUR),
    });

    expect(summary.failed).toBe(1);
    const failed = summary.items.find((i) => i.outcome === "failed")?.item;
    expect(failed).toMatchObject({ key: broken.id, action: "delete" });
    expect(failed?.["error"]).toMatch(/invalid manifest: shard_count is not a number; nothing of set .* is deleted/);
    expect(await dest.keys()).toEqual(
      sorted([
        broken.manifest,
        ...broken.shards,
        newest.manifest,
        ...newest.shards,
        "snapshots/c1/shards/0/orphan.snapshot",
      ]),
    );
    void middle;
  });

  it("refuses, one at a time, manifest keys outside snapshots/{c}/shards/; deletes the set's other keys", async () => {
    const dest = await destination("s3", "sets-refuse");
    const store = dest.deps().store();
    await putText(store, "snapshots/c2/shards/0/theirs.snapshot", "x");
    await putText(store, "snapshots/c1/c1-1-2026-11-01-00-00-00.snapshot", "x");
    const keys = [
      "snapshots/c1/shards/0/a.snapshot",
      "snapshots/c2/shards/0/theirs.snapshot",
      "snapshots/c1/c1-1-2026-11-01-00-00-00.snapshot",
    ];
    const old = await writeSet(store, "c1", setIdAt("2026-11-18T02:00:00Z"), { keys });
    await writeSet(store, "c1", setIdAt("2026-11-19T02:00:00Z"));

    const report = await pruneSets(dest.deps({ QDRANT_BACKUP_RETENTION_SETS: "1" }), ["c1"], {
      remove: true,
      trigger: "after-backup",
    });

    expect(report.failed).toBe(1);
    const error = report.items.find((i) => i.outcome === "failed")?.item["error"] ?? "";
    expect(error).toContain("refused to delete shard 1 of set");
    expect(error).toContain("snapshots/c2/shards/0/theirs.snapshot is not under snapshots/c1/shards/");
    expect(error).toContain("refused to delete shard 2 of set");
    expect(await dest.keys()).toContain("snapshots/c2/shards/0/theirs.snapshot");
    expect(await dest.keys()).toContain("snapshots/c1/c1-1-2026-11-01-00-00-00.snapshot");
    expect(await dest.keys()).not.toContain("snapshots/c1/shards/0/a.snapshot");
    expect(await dest.keys()).not.toContain(old.manifest);
  });
});

describe("sets: the orphan sweep", () => {
  /** Two sets (kept by count) with companions, plus three unreferenced objects under c1's shards/. */
  async function withOrphans(dest: Dest) {
    const store = dest.deps().store();
    const sets = [
      await writeSet(store, "c1", setIdAt("2026-11-19T02:00:00Z"), { checksums: true }),
      await writeSet(store, "c1", setIdAt("2026-11-20T02:00:00Z"), { checksums: true }),
    ];
    const orphans = [
      "snapshots/c1/shards/0/c1-shard-0-2026-11-20-01-00-00.snapshot",
      "snapshots/c1/shards/0/c1-shard-0-2026-11-20-01-00-00.snapshot.checksum",
      "snapshots/c1/shards/1/killed-run.snapshot",
    ];
    for (const key of orphans) await putText(store, key, "x");
    return { referenced: sets.flatMap(allKeys), orphans };
  }

  it("deletes unreferenced shard objects only once older than QDRANT_SWEEP_GRACE_SECONDS; referenced ones and their .checksum stay", async () => {
    const dest = await destination("s3", "sweep-grace");
    const { referenced, orphans } = await withOrphans(dest);
    const env = { ...COUNT2, QDRANT_SWEEP_GRACE_SECONDS: "7200" };

    const young = await pruneSets(dest.deps(env), ["c1"], { remove: true, trigger: "after-backup", now: later(HOUR) });
    expect(young).toMatchObject({ deleted: 0, swept: 0, failed: 0 });
    expect(await dest.keys()).toEqual(sorted([...referenced, ...orphans]));

    const deps = dest.deps(env);
    const old = await pruneSets(deps, ["c1"], { remove: true, trigger: "after-backup", now: later(2 * HOUR + 60_000) });
    expect(old).toMatchObject({ deleted: 0, swept: 3, failed: 0 });
    expect(old.items.filter((i) => i.item["action"] === "sweep").map((i) => i.item["key"])).toEqual(
      expect.arrayContaining(orphans),
    );
    expect(await dest.keys()).toEqual(sorted(referenced));
    expect(deps.lines.some((l) => l.includes("QDRANT_SWEEP_GRACE_SECONDS"))).toBe(false);
    for (const key of orphans) expect(await dest.pruned()).toContain(`,${key},`);
  });

  itWithS3Backdating(
    "prune_snap --confirm on the real clock: a back-dated orphan goes, a fresh one stays (default grace, two days)",
    async () => {
      const dest = await destination("s3", "sweep-backdated");
      const { referenced, orphans } = await withOrphans(dest);
      const [oldOrphan, oldCompanion, freshOrphan] = orphans as [string, string, string];
      const { name, endpoint } = dest.bucket!;
      const threeDaysAgo = new Date(Date.now() - 3 * 24 * HOUR);
      for (const key of [...referenced, oldOrphan, oldCompanion])
        await backdateS3Object(endpoint, name, key, threeDaysAgo);

      const summary = await run({ confirm: true }, dest.deps(COUNT2));

      expect(summary.exitCode).toBe(EXIT.ok);
      expect(summary.items.filter((i) => i["action"] === "sweep").map((i) => i["key"])).toEqual(
        expect.arrayContaining([oldOrphan, oldCompanion]),
      );
      expect(await dest.keys()).toEqual(sorted([...referenced, freshOrphan]));
    },
  );

  it("warns when QDRANT_SWEEP_GRACE_SECONDS is under an hour", async () => {
    const dest = await destination("s3", "sweep-short-grace");
    await withOrphans(dest);
    const deps = dest.deps({ ...COUNT2, QDRANT_SWEEP_GRACE_SECONDS: "60" });
    await pruneSets(deps, ["c1"], { remove: false, trigger: "prune_snap" });
    expect(deps.lines.some((l) => /QDRANT_SWEEP_GRACE_SECONDS=60 is under 3600/.test(l))).toBe(true);
  });

  it("over QDRANT_SWEEP_DELETE_CAP_PCT deletes nothing, says why, and prune_snap exits 3 (a dry run only reports it)", async () => {
    const dest = await destination("s3", "sweep-cap");
    const { referenced, orphans } = await withOrphans(dest);
    const env = { ...COUNT2, QDRANT_SWEEP_DELETE_CAP_PCT: "20" };
    const inFuture = (deps: TestDeps): TestDeps => ({ ...deps, clock: () => later(30 * 24 * HOUR) });

    const dry = await run({}, inFuture(dest.deps(env)));
    expect(dry.exitCode).toBe(EXIT.ok);
    expect(dry.items.find((i) => i["action"] === "sweep refused")?.["outcome"]).toBe("skipped");

    const deps = inFuture(dest.deps(env));
    const summary = await run({ confirm: true }, deps);
    expect(summary.exitCode).toBe(EXIT.partial);
    const refused = summary.items.find((i) => i["action"] === "sweep refused");
    expect(refused).toMatchObject({ group: "sets of c1", outcome: "failed" });
    expect(refused?.["error"]).toBe(
      "3 of 11 shard objects (27%) are referenced by no manifest and older than QDRANT_SWEEP_GRACE_SECONDS=172800: " +
        "more than QDRANT_SWEEP_DELETE_CAP_PCT=20%, so the sweep deletes none of them; check that no manifest is " +
        "missing, then raise the cap for one run",
    );
    expect(deps.lines.some((l) => l.includes("sets of c1: sweep refused: 3 of 11 shard objects"))).toBe(true);
    expect(await dest.keys()).toEqual(sorted([...referenced, ...orphans]));
  });

  it("never sweeps a collection without manifests, nor one whose manifests are all unreadable", async () => {
    const dest = await destination("s3", "sweep-zero");
    const store = dest.deps().store();
    await putText(store, "snapshots/c3/shards/0/c3-shard-0-2026-11-01-00-00-00.snapshot", "x");
    const bad = await writeSet(store, "c4", setIdAt("2026-11-20T02:00:00Z"), { manifestText: "[]" });
    await putText(store, "snapshots/c4/shards/0/orphan.snapshot", "x");
    const before = await dest.keys();

    const deps = dest.deps({ QDRANT_SWEEP_DELETE_CAP_PCT: "100" });
    const report = await pruneSets(deps, ["c3", "c4"], {
      remove: true,
      trigger: "prune_snap",
      now: later(365 * 24 * HOUR),
    });

    expect(report).toMatchObject({ deleted: 0, swept: 0, failed: 0 });
    expect(await dest.keys()).toEqual(before);
    expect(deps.lines.some((l) => l.includes(`keep set ${bad.id}, its manifest is unreadable`))).toBe(true);
    expect(deps.lines.some((l) => l.includes("sets of c4: no orphan sweep this pass"))).toBe(true);
  });
});

describe("sets: listing failures delete nothing of that collection", () => {
  itWithS3Faults(
    "the manifests of the second collection cannot be listed: c1 is pruned, nothing of c2 goes, exit 3",
    async () => {
      const dest = await destination("s3", "sets-listfail");
      const c1 = await fourSets(dest.deps(), "c1");
      await fourSets(dest.deps(), "c2");
      const c2Before = await dest.keys("backup_manifests/c2/");
      const c2Shards = await dest.keys("snapshots/c2/");
      const { name, endpoint } = dest.bucket!;
      await setS3Faults(endpoint, {
        rate: 1,
        statuses: [500],
        operations: ["ListObjectsV2"],
        keyPattern: "^backup_manifests/c2/",
        bucket: name,
      });
      onTestFinished(() => clearS3Faults(endpoint, name));

      const summary = await run({ confirm: true }, dest.deps({ ...COUNT2, QDRANT_RETRIES: "0" }));
      await clearS3Faults(endpoint, name);

      expect(summary.exitCode).toBe(EXIT.partial);
      const failed = summary.items.filter((i) => i["outcome"] === "failed");
      expect(failed).toHaveLength(1);
      expect(failed[0]).toMatchObject({ group: "sets of c2", action: "list" });
      expect(failed[0]?.["error"]).toMatch(/^cannot list it in s3:\/\/.+; nothing of it was deleted$/);
      expect(await dest.keys("backup_manifests/c2/")).toEqual(c2Before);
      expect(await dest.keys("snapshots/c2/")).toEqual(c2Shards);
      expect(await dest.keys("backup_manifests/c1/")).toEqual(sorted([c1[2]!.manifest, c1[3]!.manifest]));
    },
  );

  itWithS3Faults(
    "the shard listing of a collection fails after its manifests were listed: nothing of it goes",
    async () => {
      const dest = await destination("s3", "sets-listfail-shards");
      await fourSets(dest.deps(), "c1");
      const before = await dest.keys();
      const { name, endpoint } = dest.bucket!;
      await setS3Faults(endpoint, {
        rate: 1,
        statuses: [503],
        operations: ["ListObjectsV2"],
        keyPattern: "^snapshots/c1/shards/$",
        bucket: name,
      });
      onTestFinished(() => clearS3Faults(endpoint, name));

      const report = await pruneSets(dest.deps({ ...COUNT2, QDRANT_RETRIES: "0" }), ["c1"], {
        remove: true,
        trigger: "after-backup",
      });
      await clearS3Faults(endpoint, name);

      expect(report).toMatchObject({ deleted: 0, failed: 1 });
      expect(await dest.keys()).toEqual(before);
    },
  );
});

describe("sets and the GFS groups of prune_snap", () => {
  it("shard snapshots of a collection with sets are no groups of their own: retention of sets alone decides", async () => {
    const dest = await destination("s3", "sets-not-groups");
    const sets = await fourSets(dest.deps());
    // Daily 1 would keep one snapshot per shard group; the sets' count keeps all four sets.
    const deps = dest.deps({ ...GFS, QDRANT_KEEP_DAILY: "1", QDRANT_BACKUP_RETENTION_SETS: "4" });

    const summary = await run({ confirm: true }, deps);

    expect(summary.exitCode).toBe(EXIT.ok);
    expect(await dest.keys()).toEqual(sorted(sets.flatMap(allKeys)));
    expect(
      deps.lines.some((l) => l.includes("8 shard snapshots of collections with backup sets: pruned with their sets")),
    ).toBe(true);
  });
});
