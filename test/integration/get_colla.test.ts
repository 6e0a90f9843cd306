// get_colla against two emulator nodes: aliases of every source host, deduplicated, appended once.
import { describe, expect, it } from "vitest";
import { run } from "../../src/commands/get_colla.js";
import { run as recoverColla } from "../../src/commands/recover_colla.js";
import { EXIT } from "../../src/errors.js";
import { createAlias, listAliases, qdrantCall, seedCollection } from "../support/emulator/seed.js";
import { csv, startRig, type Rig } from "./helpers/rig.js";

/** a: c1 ← a1, c1 ← shared; b: c2 ← b1, c1 ← shared (the same pair on both hosts). */
async function twoSources(label: string): Promise<{ rig: Rig; a: string; b: string }> {
  const rig = await startRig(label, { nodes: 2 });
  const [a = "", b = ""] = rig.urls;
  await seedCollection(a, "c1", { points: 1, dim: 2 });
  await seedCollection(b, "c1", { points: 1, dim: 2 });
  await seedCollection(b, "c2", { points: 1, dim: 2 });
  await createAlias(a, "c1", "a1");
  await createAlias(a, "c1", "shared");
  await createAlias(b, "c2", "b1");
  await createAlias(b, "c1", "shared");
  return { rig, a, b };
}

describe("get_colla", () => {
  it("saves the aliases of every source host, each collection,alias pair once", async () => {
    const { rig, a, b } = await twoSources("get-colla-all");
    const deps = rig.deps({ QDRANT_SOURCE_HOSTS: `${a},${b}` });

    const summary = await run({}, deps);

    expect(summary).toMatchObject({ task: "get_colla", done: 3, skipped: 1, failed: 0, exitCode: EXIT.ok });
    expect(await rig.read("collection_aliases")).toBe(csv(["c1", "a1"], ["c1", "shared"], ["c2", "b1"]));
    expect(await deps.state.read("collectionAliases")).toEqual([
      { collection: "c1", alias: "a1" },
      { collection: "c1", alias: "shared" },
      { collection: "c2", alias: "b1" },
    ]);
    expect(
      rig
        .requests("GET", /^\/aliases$/)
        .map((r) => r.node)
        .sort(),
    ).toEqual([0, 1]);
  });

  it("writes nothing new on a re-run, and only the new alias after one is added", async () => {
    const { rig, a, b } = await twoSources("get-colla-rerun");
    const env = { QDRANT_SOURCE_HOSTS: `${a},${b}` };
    await run({}, rig.deps(env));
    const first = await rig.read("collection_aliases");

    const again = await run({}, rig.deps(env));

    expect(again).toMatchObject({ done: 0, skipped: 4, exitCode: EXIT.ok });
    expect(await rig.read("collection_aliases")).toBe(first);

    await createAlias(b, "c2", "late");
    const third = await run({}, rig.deps(env));
    expect(third).toMatchObject({ done: 1, skipped: 4 });
    expect(await rig.read("collection_aliases")).toBe(`${first ?? ""}${csv(["c2", "late"])}`);
  });

  it("keeps rows the bash tool wrote and does not repeat them", async () => {
    const { rig, a } = await twoSources("get-colla-bash");
    await rig.write("collection_aliases", "c1,a1");

    const summary = await run({}, rig.deps({ QDRANT_SOURCE_HOSTS: a }));

    expect(summary).toMatchObject({ done: 1, skipped: 1 });
    expect(await rig.read("collection_aliases")).toBe("c1,a1\nc1,shared\n");
  });

  it("records an alias switched back to an earlier collection (blue/green), so its last row is where it points", async () => {
    const { rig, a } = await twoSources("get-colla-blue-green");
    const nightly = () => run({}, rig.deps({ QDRANT_SOURCE_HOSTS: a }));
    await createAlias(a, "c1", "prod");
    await nightly();
    await seedCollection(a, "c2", { points: 1, dim: 2 });
    await createAlias(a, "c2", "prod");
    await nightly();
    await createAlias(a, "c1", "prod"); // switched back

    await nightly();

    const rows = (await rig.deps().state.read("collectionAliases")).filter((r) => r.alias === "prod");
    expect(rows.at(-1)).toEqual({ collection: "c1", alias: "prod" });
  });

  it("forgets an alias removed at the source: the file is rewritten as the latest listing, and recover_colla does not recreate it", async () => {
    const { rig, a } = await twoSources("get-colla-removed");
    const [, target = ""] = rig.urls;
    await run({}, rig.deps({ QDRANT_SOURCE_HOSTS: a }));
    expect(await rig.read("collection_aliases")).toBe(csv(["c1", "a1"], ["c1", "shared"]));
    await qdrantCall(a, "POST", "/collections/aliases", undefined, {
      actions: [{ delete_alias: { alias_name: "a1" } }],
    });

    const d = rig.deps({ QDRANT_SOURCE_HOSTS: a });
    const again = await run({}, d);

    expect(again.message).toBe("Aliases saved: 0 new, 1 already saved, 1 removed at the source");
    expect(
      d.lines.some((l) => l.includes("Aliases removed at the source since the last listing (no longer restored): a1")),
    ).toBe(true);
    expect(await rig.read("collection_aliases")).toBe(csv(["c1", "shared"]));
    // The second node (which has c1 too) as the restore host: only `shared` is created there, not a1.
    expect(await recoverColla({}, rig.deps({ QDRANT_RESTORE_HOSTS: target }))).toMatchObject({
      done: 1,
      failed: 0,
      exitCode: EXIT.ok,
    });
    expect((await listAliases(target)).map((x) => x.alias_name).sort()).toEqual(["b1", "shared"]);
  });

  it("fails (exit 4) and writes nothing when a source host answers an error", async () => {
    const { rig, a, b } = await twoSources("get-colla-down");
    rig.emu.faults.add({ node: 1, method: "GET", path: "/aliases", status: 503 });

    await expect(run({}, rig.deps({ QDRANT_SOURCE_HOSTS: `${a},${b}` }))).rejects.toMatchObject({
      exitCode: EXIT.upstream,
    });

    expect(await rig.read("collection_aliases")).toBeUndefined();
    // 503 is transient: retried (QDRANT_RETRIES=2 in test deps) before giving up.
    expect(rig.requests("GET", /^\/aliases$/).filter((r) => r.node === 1)).toHaveLength(3);
  });
});
