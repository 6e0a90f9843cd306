// reset: removes the six state files, or renames them to `file-YYYY-MM-DD_HH-MM-SS.bkp`. The files come from real
// runs against the emulator (S3 snapshot storage) where that matters.
import { readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { run as createSnap } from "../../src/commands/create_snap.js";
import { run as recoverColla } from "../../src/commands/recover_colla.js";
import { run as recoverSnap } from "../../src/commands/recover_snap.js";
import { run } from "../../src/commands/reset.js";
import { EXIT } from "../../src/errors.js";
import { createAlias, seedCollection } from "../support/emulator/seed.js";
import { readStateFile, startRig, STATE_FILE_NAMES, type Rig } from "./helpers/rig.js";

/** All six state files written by real runs (a failed recovery for failed_snapshot_recovery), plus a stranger. */
async function fullState(label: string): Promise<{ rig: Rig; contents: Map<string, string> }> {
  const rig = await startRig(label, { nodes: 2 });
  const [src = "", target = ""] = rig.urls;
  await seedCollection(src, "c1", { points: 2, dim: 2 });
  await seedCollection(src, "c2", { points: 2, dim: 2 });
  await createAlias(src, "c1", "a1");
  const env = { QDRANT_SOURCE_HOSTS: src, QDRANT_RESTORE_HOSTS: target };
  await createSnap({}, rig.deps(env));
  rig.emu.faults.add({ node: 1, method: "PUT", path: "/collections/c2/snapshots/recover", status: 500 });
  expect(await recoverSnap({}, rig.deps(env))).toMatchObject({ done: 1, failed: 1 });
  expect(await recoverColla({}, rig.deps(env))).toMatchObject({ done: 1 });
  await writeFile(join(rig.dir, "notes.txt"), "not a state file\n");
  const contents = new Map<string, string>();
  for (const name of STATE_FILE_NAMES) {
    const text = await rig.read(name);
    expect(text, `${name} was written`).toMatch(/\S/);
    contents.set(name, text ?? "");
  }
  return { rig, contents };
}

describe("reset", () => {
  it("removes the six state files and nothing else", async () => {
    const { rig } = await fullState("reset-remove");

    const summary = await run({}, rig.deps());

    expect(summary).toMatchObject({
      task: "reset",
      done: 6,
      failed: 0,
      exitCode: EXIT.ok,
      message: "State files removed: 6",
    });
    expect(await readdir(rig.dir)).toEqual(["notes.txt"]);
  });

  it("with bkp renames each file to file-YYYY-MM-DD_HH-MM-SS.bkp (local time), contents unchanged", async () => {
    const { rig, contents } = await fullState("reset-bkp");
    const at = new Date(2026, 0, 29, 11, 44, 5); // local time, as `date +%F_%H-%M-%S`

    const summary = await run({ bkp: true }, { ...rig.deps(), clock: () => at });

    expect(summary).toMatchObject({ done: 6, exitCode: EXIT.ok, message: "State files backed up: 6" });
    const names = (await readdir(rig.dir)).sort();
    expect(names).toEqual([...STATE_FILE_NAMES.map((n) => `${n}-2026-01-29_11-44-05.bkp`), "notes.txt"].sort());
    for (const [name, text] of contents)
      expect(await readStateFile(rig.dir, `${name}-2026-01-29_11-44-05.bkp`)).toBe(text);
  });

  it("never overwrites an earlier backup taken in the same second", async () => {
    const rig = await startRig("reset-bkp-twice", { nodes: 1 });
    const at = new Date(2026, 0, 29, 11, 44, 5);
    const deps = { ...rig.deps(), clock: () => at };
    await rig.write("snapshots", "h,c,first.snapshot\n");
    await run({ bkp: true }, deps);
    await rig.write("snapshots", "h,c,second.snapshot\n");

    await run({ bkp: true }, deps);

    expect(await readStateFile(rig.dir, "snapshots-2026-01-29_11-44-05.bkp")).toBe("h,c,first.snapshot\n");
    expect(await readStateFile(rig.dir, "snapshots-2026-01-29_11-44-05-1.bkp")).toBe("h,c,second.snapshot\n");
  });

  it("does nothing, successfully, when there are no state files", async () => {
    const rig = await startRig("reset-empty", { nodes: 1 });

    for (const bkp of [false, true]) {
      expect(await run({ bkp }, rig.deps())).toMatchObject({ done: 0, failed: 0, exitCode: EXIT.ok });
    }
    expect(await readdir(rig.dir)).toEqual([]);
  });

  it("clears shard_recovery_history, the restore of sets' state, with the others (or keeps it as a .bkp copy)", async () => {
    const rig = await startRig("reset-shard-history", { nodes: 1 });
    const history = "http://q:6333,c1,2026-11-20T02-00-00Z-pod,0,ok\n";
    const at = new Date(2026, 0, 29, 11, 44, 5);
    await writeFile(join(rig.dir, "shard_recovery_history"), history);
    await rig.write("snapshots", "h,c,a.snapshot\n");

    expect(await run({ bkp: true }, { ...rig.deps(), clock: () => at })).toMatchObject({ done: 2, exitCode: EXIT.ok });
    expect(await readStateFile(rig.dir, "shard_recovery_history-2026-01-29_11-44-05.bkp")).toBe(history);
    await writeFile(join(rig.dir, "shard_recovery_history"), history);

    expect(await run({}, rig.deps())).toMatchObject({ done: 1, exitCode: EXIT.ok, message: "State files removed: 1" });
    expect((await readdir(rig.dir)).sort()).toEqual([
      "shard_recovery_history-2026-01-29_11-44-05.bkp",
      "snapshots-2026-01-29_11-44-05.bkp",
    ]);
  });

  it("--dry-run over a state store that writes (a wiring error) throws before touching a file", async () => {
    const rig = await startRig("reset-dry-wired", { nodes: 1 });
    await rig.write("snapshots", "h,c,a.snapshot\n");
    await expect(run({ dryRun: true }, rig.deps())).rejects.toThrow(/--dry-run over a state store that writes/);
    expect(await readdir(rig.dir)).toEqual(["snapshots"]);
  });
});
