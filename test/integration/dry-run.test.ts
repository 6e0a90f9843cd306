// The dry runs of recover_snap and recover_colla over a dry-run state store, against the emulator: each way a plan
// item can go (recover, check again, skip; create, switch, in place, skip), and no request but GETs, no byte written.
import { readdir } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { run as recoverColla } from "../../src/commands/recover_colla.js";
import { run as recoverSnap } from "../../src/commands/recover_snap.js";
import { StateStore } from "../../src/state/files.js";
import { snapshotDir } from "../e2e/harness.js";
import { createAlias, seedCollection } from "../support/emulator/seed.js";
import { csv, startRig } from "./helpers/rig.js";

describe("dry runs over a dry-run state store", () => {
  it("recover_snap plans recover, check again and skip; recover_colla create, switch, in place and skip; nothing changes", async () => {
    const rig = await startRig("dry-run-plan", { nodes: 2 });
    const [src = "", target = ""] = rig.urls;
    for (const c of ["c1", "c2", "c3"]) await seedCollection(target, c, { points: 1, dim: 2 });
    await createAlias(target, "c1", "a1"); // in place
    await createAlias(target, "c3", "a2"); // to be switched to c2
    const [s1, s2, s3] = [
      "c1-1-2026-12-01-02-00-00.snapshot",
      "c2-1-2026-12-01-02-00-00.snapshot",
      "c3-1-2026-12-01-02-00-00.snapshot",
    ];
    await rig.write("snapshots", csv([src, "c1", s1], [src, "c2", s2], [src, "c3", s3]));
    // s1 recovered and checked; s2 recovered, its check never passed; s3 never recovered.
    await rig.write("snapshot_recovery_history", csv([target, s1, "ok"], [target, s1, "verified"], [target, s2, "ok"]));
    await rig.write("collection_aliases", csv(["c1", "a1"], ["c2", "a2"], ["c3", "a3"], ["c1", "a4"]));
    await rig.write("alias_recovery_history", csv(["c1", "a4", `ok@${target}`]));
    const before = await snapshotDir(rig.dir);
    rig.emu.resetRequests();
    const env = { QDRANT_SOURCE_HOSTS: src, QDRANT_RESTORE_HOSTS: target };
    const deps = () => ({ ...rig.deps(env), state: new StateStore(rig.dir, { dryRun: true }) });

    const snaps = await recoverSnap({ dryRun: true }, deps());
    const aliases = await recoverColla({ dryRun: true }, deps());

    expect(snaps.items.map((i) => [i["snapshot"], i["action"] ?? i["outcome"]])).toEqual([
      [s1, "skipped"],
      [s2, "check"],
      [s3, "recover"],
    ]);
    expect(snaps).toMatchObject({ exitCode: 0, done: 2, skipped: 1 });
    expect(aliases.items.map((i) => [i["alias"], i["action"] ?? i["outcome"]]).sort()).toEqual([
      ["a1", "in place"],
      ["a2", "switch"],
      ["a3", "create"],
      ["a4", "skipped"],
    ]);
    expect(aliases.message).toBe("[dry run] Aliases that would be recovered: 3, already recovered: 1; nothing changed");
    expect(rig.emu.requests().filter((r) => r.method !== "GET")).toEqual([]);
    expect(await snapshotDir(rig.dir)).toEqual(before);
    expect((await readdir(rig.dir)).sort()).toEqual(Object.keys(before).sort());
  });
});
