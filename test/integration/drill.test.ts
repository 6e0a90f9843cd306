// drill: the newest backup restored under a scratch name, verified as a restore verifies it, and deleted again, with
// its evidence in the report, the items and drill_history. From a backup set (recover_snap_shards' steps under
// --as) and from legacy snapshots (recover_snap's); a failed verification exits 3 and still removes the scratch; an
// interrupt removes it too; the live collection and its aliases stay as they were; a leftover scratch of a killed
// drill is removed, a collection with a merely similar name is not; a taken scratch name is refused.
import { describe, expect, it } from "vitest";
import { run } from "../../src/commands/drill.js";
import { EXIT, InterruptedError } from "../../src/errors.js";
import { createAlias, listAliases, qdrantCall, seedCollection } from "../support/emulator/seed.js";
import { collectionsOf, history, liveTarget, SCRATCH } from "./helpers/drill.js";
import { API_KEY, C1, stagedBackup } from "./helpers/restore.js";
import { readStateFile } from "./helpers/rig.js";
import { DOCS, KEY, SET_NEW } from "./helpers/sets-restore.js";

describe("drill from a backup set", () => {
  it("restores the newest set (preferred to a legacy snapshot) under a scratch name, verifies it, deletes it and records the evidence; the live collection and its alias untouched", async () => {
    const s = await liveTarget("drill-set-pass");
    // A legacy snapshot of docs too (Qdrant's S3 storage puts it in the bucket): the set is preferred, and said so.
    await qdrantCall(s.source.urls[0]!, "POST", `/collections/${DOCS}/snapshots?wait=true`, KEY);
    const deps = s.rig.deps(s.env);

    const summary = await run({ collection: DOCS }, deps);

    expect(summary).toMatchObject({ task: "drill", done: 1, failed: 0, exitCode: EXIT.ok });
    expect(summary.message).toBe("drill: 1 passed, 0 failed");
    const line = summary.report?.[0] ?? "";
    expect(line).toMatch(
      new RegExp(
        `^drill of docs as docs__drill_\\d{8}T\\d{6}Z from set ${SET_NEW} \\(backup_manifests/docs/${SET_NEW}\\.json in s3://.*\\) onto ${s.t}: PASSED, points expected 60, found 60, `,
      ),
    );
    expect(line).toMatch(/VERIFIED \(60 points, 3 shard\(s\): 3 recovered, aliases untouched/);
    expect(line).toMatch(/\(legacy snapshot docs-\S+\.snapshot exists too; the set is preferred\)$/);
    expect(await collectionsOf(s.t, KEY)).toEqual([DOCS]);
    await s.untouched();
    const [row] = await history(s.rig.dir);
    expect(row).toMatchObject({
      collection: DOCS,
      kind: "set",
      backup: SET_NEW,
      key: `backup_manifests/docs/${SET_NEW}.json`,
      targets: s.t,
      expected: "60",
      found: "60",
      verdict: "passed",
    });
    expect(row?.scratch).toMatch(SCRATCH);
    expect(summary.items).toEqual([expect.objectContaining({ outcome: "done", scratch: row?.scratch, found: "60" })]);
    // The set restore's resume state under the scratch name went with it; the live collection's stays.
    expect(await readStateFile(s.rig.dir, "shard_recovery_history")).not.toContain("__drill_");
    expect((await s.rig.bucket.keys()).filter((k) => k.includes("__drill_"))).toEqual([]);
  });

  it("a set whose count differs from its manifest: FAILED, exit 3, the scratch still removed, the live collection untouched", async () => {
    const s = await liveTarget("drill-set-fail");
    // A newer set whose manifest says 61 points: its shards hold 60.
    await s.writeSet("2026-08-12T00-00-00Z-backup-c", (m) => {
      m.points_count = 61;
      m.points_count_before = 61;
      m.points_count_after = 61;
    });
    const deps = s.rig.deps(s.env);

    const summary = await run({ collection: DOCS }, deps);

    expect(summary).toMatchObject({ done: 0, failed: 1, exitCode: EXIT.partial });
    expect(summary.report?.[0]).toMatch(
      /: FAILED, points expected 61, found 60, .*count: docs__drill_\S+ holds 60 points/,
    );
    expect(await collectionsOf(s.t, KEY)).toEqual([DOCS]);
    await s.untouched();
    expect(await history(s.rig.dir)).toEqual([
      expect.objectContaining({
        backup: "2026-08-12T00-00-00Z-backup-c",
        expected: "61",
        found: "60",
        verdict: "failed",
      }),
    ]);
  });

  it("an interrupt during the shard recoveries still removes the scratch, records the drill, and goes up", async () => {
    const s = await liveTarget("drill-set-interrupt");
    const stop = new AbortController();
    s.target.faults.add({
      method: "PUT",
      path: /^\/collections\/docs__drill_[^/]+\/shards\/\d+\/snapshots\/recover$/,
      latencyMs: 300,
      times: 1,
      onMatch: () => stop.abort(new InterruptedError("interrupted by SIGTERM")),
    });
    const deps = s.rig.deps(s.env, { signal: stop.signal });

    await expect(run({ collection: DOCS }, deps)).rejects.toBeInstanceOf(InterruptedError);

    expect(await collectionsOf(s.t, KEY)).toEqual([DOCS]);
    await s.untouched();
    expect(await history(s.rig.dir)).toEqual([
      expect.objectContaining({ kind: "set", verdict: "failed", detail: "FAILED: interrupted" }),
    ]);
  });

  it("removes a scratch a killed drill left; a collection with a similar name and the live one stay; a taken scratch name is refused", async () => {
    const s = await liveTarget("drill-set-leftover");
    const leftover = "docs__drill_20260101T000000Z";
    await seedCollection(s.t, leftover, { points: 3, dim: 4, apiKey: KEY });
    await seedCollection(s.t, "docs__drill_notes", { points: 2, dim: 4, apiKey: KEY });
    const deps = s.rig.deps(s.env);

    const summary = await run({ collection: DOCS }, deps);

    expect(summary).toMatchObject({ done: 1, exitCode: EXIT.ok });
    expect(summary.report?.[0]).toBe(`drill: removed the leftover scratch ${leftover} on ${s.t}`);
    expect(await collectionsOf(s.t, KEY)).toEqual([DOCS, "docs__drill_notes"]);
    await s.untouched();

    // An alias holding the name the next drill would take: refused, nothing touched.
    const at = new Date("2026-09-01T10:00:00Z");
    await createAlias(s.t, DOCS, "docs__drill_20260901T100000Z", KEY);
    const refused = await run({ collection: DOCS }, { ...s.rig.deps(s.env), clock: () => at });
    expect(refused).toMatchObject({ done: 0, failed: 1, exitCode: EXIT.partial });
    expect(refused.report?.[0]).toMatch(
      /FAILED, .*refused: an alias docs__drill_20260901T100000Z exists on .*, untouched$/,
    );
    expect(await collectionsOf(s.t, KEY)).toEqual([DOCS, "docs__drill_notes"]);
    expect(await listAliases(s.t, KEY)).toContainEqual({
      alias_name: "docs__drill_20260901T100000Z",
      collection_name: DOCS,
    });
  });
});

describe("drill from legacy snapshots", () => {
  it("recovers the newest snapshot into a scratch on every restore host, checks it against the metadata, deletes it", async () => {
    const s = await stagedBackup("drill-legacy-pass", { emuStorage: "s3", dest: "s3" });
    const deps = s.deps();

    const summary = await run({ collection: "c1" }, deps);

    expect(summary).toMatchObject({ done: 1, failed: 0, exitCode: EXIT.ok });
    expect(summary.report?.[0]).toMatch(
      new RegExp(
        `^drill of c1 as c1__drill_\\d{8}T\\d{6}Z from snapshot ${C1} \\(snapshots/c1/${C1} in s3://.*\\) onto ${s.t1}, ${s.t2}: PASSED, points expected 20, found 20, `,
      ),
    );
    for (const host of [s.t1, s.t2]) expect(await collectionsOf(host, API_KEY)).toEqual([]);
    expect(await collectionsOf(s.src, API_KEY)).toEqual(["c1", "c2"]);
    expect(await history(s.dir)).toEqual([
      expect.objectContaining({ kind: "snapshot", backup: C1, expected: "20", found: "20", verdict: "passed" }),
    ]);
  });

  it("a snapshot whose metadata says another count: FAILED, exit 3, the scratch removed from every host", async () => {
    const s = await stagedBackup("drill-legacy-fail", { emuStorage: "s3", dest: "s3" });
    await s.editMetadata("c1", (m) => ({ ...m, pointsCount: 21 }));

    const summary = await run({ collection: "c1" }, s.deps());

    expect(summary).toMatchObject({ done: 0, failed: 1, exitCode: EXIT.partial });
    expect(summary.report?.[0]).toMatch(/: FAILED, points expected 21, found 20, .*holds 20 points/);
    for (const host of [s.t1, s.t2]) expect(await collectionsOf(host, API_KEY)).toEqual([]);
    expect(await history(s.dir)).toEqual([expect.objectContaining({ verdict: "failed", expected: "21" })]);
  });

  it("--all drills every collection with a backup; without --collection or --all it is a usage error", async () => {
    const s = await stagedBackup("drill-legacy-all", { emuStorage: "s3", dest: "s3" });

    const summary = await run({ all: true }, s.deps());

    expect(summary).toMatchObject({ done: 2, failed: 0, exitCode: EXIT.ok });
    expect(summary.items.map((i) => i["collection"])).toEqual(["c1", "c2"]);
    await expect(run({}, s.deps())).rejects.toThrow(/drill: name what to drill: --collection NAME .* or --all/);
  });
});
