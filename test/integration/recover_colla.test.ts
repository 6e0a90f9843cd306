// recover_colla: one source and two target emulator nodes. Aliases land on every restore host (defect 2), history
// rows carry the host, bash rows are not trusted, re-pointed aliases end on the last row, failures resume per host.
import { describe, expect, it } from "vitest";
import { run } from "../../src/commands/recover_colla.js";
import { EXIT } from "../../src/errors.js";
import { createAlias, listAliases, seedCollection } from "../support/emulator/seed.js";
import { csv, sortedLines, startRig, type Rig } from "./helpers/rig.js";

const ALIAS_POST = /^\/collections\/aliases$/;

interface Setup {
  rig: Rig;
  src: string;
  t1: string;
  t2: string;
  env: Record<string, string>;
}

/** Source with c1 ← a1, c2 ← a2; both targets hold c1 and c2 (as after recover_snap) but no aliases. */
async function restored(label: string): Promise<Setup> {
  const rig = await startRig(label, { nodes: 3 });
  const [src = "", t1 = "", t2 = ""] = rig.urls;
  for (const url of [src, t1, t2]) for (const c of ["c1", "c2"]) await seedCollection(url, c, { points: 1, dim: 2 });
  await createAlias(src, "c1", "a1");
  await createAlias(src, "c2", "a2");
  rig.emu.resetRequests();
  return { rig, src, t1, t2, env: { QDRANT_SOURCE_HOSTS: src, QDRANT_RESTORE_HOSTS: `${t1},${t2}` } };
}

const A1_A2 = [
  { alias_name: "a1", collection_name: "c1" },
  { alias_name: "a2", collection_name: "c2" },
];

describe("recover_colla", () => {
  it("fetches the aliases when none are saved and creates them on every restore host, not on the source", async () => {
    const { rig, src, t1, t2, env } = await restored("recover-colla-all");

    const summary = await run({}, rig.deps(env));

    expect(summary).toMatchObject({ task: "recover_colla", done: 4, skipped: 0, failed: 0, exitCode: EXIT.ok });
    expect(await rig.read("collection_aliases")).toBe(csv(["c1", "a1"], ["c2", "a2"]));
    expect(sortedLines(await rig.read("alias_recovery_history"))).toEqual(
      [`c1,a1,ok@${t1}`, `c1,a1,ok@${t2}`, `c2,a2,ok@${t1}`, `c2,a2,ok@${t2}`].sort(),
    );
    expect(await listAliases(t1)).toEqual(A1_A2);
    expect(await listAliases(t2)).toEqual(A1_A2);
    expect(
      rig
        .requests("POST", ALIAS_POST)
        .map((r) => r.node)
        .sort(),
    ).toEqual([1, 1, 2, 2]);
    expect(await listAliases(src)).toEqual(A1_A2);
  });

  it("skips everything on a re-run, without a request", async () => {
    const { rig, env } = await restored("recover-colla-rerun");
    await run({}, rig.deps(env));
    const history = await rig.read("alias_recovery_history");
    rig.emu.resetRequests();

    const summary = await run({}, rig.deps(env));

    expect(summary).toMatchObject({ done: 0, skipped: 4, failed: 0, exitCode: EXIT.ok });
    expect(rig.emu.requests()).toEqual([]);
    expect(await rig.read("alias_recovery_history")).toBe(history);
  });

  it("does not trust the bash tool's collection,alias,ok rows (it created those on the source host)", async () => {
    const { rig, t1, t2 } = await restored("recover-colla-bash");
    await rig.write("collection_aliases", "c1,a1\nc2,a2\n");
    await rig.write("alias_recovery_history", "c1,a1,ok\nc2,a2,ok\n");
    const deps = rig.deps({ QDRANT_RESTORE_HOSTS: `${t1},${t2}` });

    const summary = await run({}, deps);

    expect(summary).toMatchObject({ done: 4, skipped: 0, exitCode: EXIT.ok });
    expect(await listAliases(t1)).toEqual(A1_A2);
    expect(await listAliases(t2)).toEqual(A1_A2);
    const history = await rig.read("alias_recovery_history");
    expect(history?.startsWith("c1,a1,ok\nc2,a2,ok\n")).toBe(true);
    expect(sortedLines(history)).toHaveLength(6);
    expect(deps.lines.some((l) => l.includes("bash tool"))).toBe(true);
  });

  it("applies only the last row of a re-pointed alias", async () => {
    const { rig, t1, t2 } = await restored("recover-colla-repoint");
    await rig.write("collection_aliases", csv(["c1", "moving"], ["c2", "moving"]));

    const summary = await run({}, rig.deps({ QDRANT_RESTORE_HOSTS: `${t1},${t2}` }));

    expect(summary).toMatchObject({ done: 2, exitCode: EXIT.ok });
    for (const t of [t1, t2]) expect(await listAliases(t)).toEqual([{ alias_name: "moving", collection_name: "c2" }]);
    expect(sortedLines(await rig.read("alias_recovery_history"))).toEqual(
      [`c2,moving,ok@${t1}`, `c2,moving,ok@${t2}`].sort(),
    );
  });

  it("follows an alias switched back to an earlier collection (blue/green) to its last row", async () => {
    const { rig, t1, t2 } = await restored("recover-colla-blue-green");
    // Three nightly backups: prod -> c1, then c2, then c1 again; t1 was restored after the first two.
    await rig.write("collection_aliases", csv(["c1", "prod"], ["c2", "prod"]));
    await run({}, rig.deps({ QDRANT_RESTORE_HOSTS: t1 }));
    expect(await listAliases(t1)).toContainEqual({ alias_name: "prod", collection_name: "c2" });
    await rig.write("collection_aliases", csv(["c1", "prod"], ["c2", "prod"], ["c1", "prod"]));

    const summary = await run({}, rig.deps({ QDRANT_RESTORE_HOSTS: `${t1},${t2}` }));

    expect(summary).toMatchObject({ failed: 0, exitCode: EXIT.ok });
    expect(await listAliases(t1)).toContainEqual({ alias_name: "prod", collection_name: "c1" });
    expect(await listAliases(t2)).toContainEqual({ alias_name: "prod", collection_name: "c1" });
  });

  it("needs QDRANT_SOURCE_HOSTS only when no aliases are saved (exit 2 before any request)", async () => {
    const { rig, t1 } = await restored("recover-colla-config");

    await expect(run({}, rig.deps({ QDRANT_RESTORE_HOSTS: t1 }))).rejects.toMatchObject({ exitCode: EXIT.usage });
    expect(rig.emu.requests()).toEqual([]);

    await rig.write("collection_aliases", csv(["c1", "a1"]));
    expect(await run({}, rig.deps({ QDRANT_RESTORE_HOSTS: t1 }))).toMatchObject({ done: 1, exitCode: EXIT.ok });
  });

  it("exits 3 when one restore host fails, and a re-run fixes only that host", async () => {
    const { rig, t1, t2, env } = await restored("recover-colla-fail");
    const removeFault = rig.emu.faults.add({ node: 2, method: "POST", path: "/collections/aliases", status: 500 });

    const first = await run({}, rig.deps(env));

    expect(first).toMatchObject({ done: 2, failed: 2, exitCode: EXIT.partial });
    expect(sortedLines(await rig.read("alias_recovery_history"))).toEqual([`c1,a1,ok@${t1}`, `c2,a2,ok@${t1}`]);
    expect(await listAliases(t2)).toEqual([]);

    removeFault();
    rig.emu.resetRequests();
    const second = await run({}, rig.deps(env));

    expect(second).toMatchObject({ done: 2, skipped: 2, failed: 0, exitCode: EXIT.ok });
    expect(rig.requests("POST", ALIAS_POST).map((r) => r.node)).toEqual([2, 2]);
    expect(await listAliases(t2)).toEqual(A1_A2);
    expect(sortedLines(await rig.read("alias_recovery_history"))).toHaveLength(4);
  });
});
