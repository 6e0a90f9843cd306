// Parallel runs write the same rows as a sequential run; only their order may differ.
import { describe, expect, it } from "vitest";
import { run as createSnap } from "../../src/commands/create_snap.js";
import { run as recoverSnap } from "../../src/commands/recover_snap.js";
import { EXIT } from "../../src/errors.js";
import { seedCollection } from "../support/emulator/seed.js";
import { manualClock, sortedLines, startRig } from "./helpers/rig.js";

async function backupAndRestore(label: string, concurrency: { all: string; perHost: string }) {
  const clock = manualClock("2026-04-01T02:00:00Z");
  const rig = await startRig(label, { nodes: 4, clock: clock.now, peerIds: [11, 12, 13, 14] });
  const [s1 = "", s2 = "", t1 = "", t2 = ""] = rig.urls;
  for (let i = 0; i < 6; i++) await seedCollection(i % 2 ? s2 : s1, `col-${i}`, { points: 5 + i, dim: 3 });
  const env = {
    QDRANT_SOURCE_HOSTS: `${s1},${s2}`,
    QDRANT_RESTORE_HOSTS: `${t1},${t2}`,
    QDRANT_CONCURRENCY: concurrency.all,
    QDRANT_PER_HOST_CONCURRENCY: concurrency.perHost,
  };
  expect(await createSnap({}, rig.deps(env))).toMatchObject({ done: 6, exitCode: EXIT.ok });
  expect(await recoverSnap({}, rig.deps(env))).toMatchObject({ done: 12, exitCode: EXIT.ok });
  // Host URLs differ between rigs (free ports): name them by position so the two runs compare.
  const byPosition = (text: string | undefined) =>
    sortedLines(rig.urls.reduce((t, url, i) => t.split(url).join(`host${i}`), text ?? ""));
  return {
    snapshots: byPosition(await rig.read("snapshots")),
    history: byPosition(await rig.read("snapshot_recovery_history")),
  };
}

describe("parallelism", () => {
  it("gives the same state rows at concurrency 1 as at 8 collections × 4 calls per host", async () => {
    const sequential = await backupAndRestore("parallel-seq", { all: "1", perHost: "1" });
    const parallel = await backupAndRestore("parallel-par", { all: "8", perHost: "4" });
    expect(parallel).toEqual(sequential);
    // 12 recoveries, each recorded `ok` and, its check passed, `verified`.
    expect(sequential.history).toHaveLength(24);
  });

  it("does not let a slow restore host hold back the others: they finish while it is on its second recovery", async () => {
    const rig = await startRig("parallel-slow-host", { nodes: 4 });
    const [source = "", fast1 = "", fast2 = "", slow = ""] = rig.urls;
    const collections = Array.from({ length: 8 }, (_, i) => `col-${i}`);
    for (const c of collections) await seedCollection(source, c, { points: 3, dim: 2 });
    const env = {
      QDRANT_SOURCE_HOSTS: source,
      QDRANT_RESTORE_HOSTS: `${fast1},${fast2},${slow}`,
      QDRANT_VERIFY_AFTER_RECOVER: "false",
    };
    expect(await createSnap({}, rig.deps(env))).toMatchObject({ done: 8, exitCode: EXIT.ok });
    rig.emu.faults.add({ node: 3, method: "PUT", path: /\/snapshots\/recover$/, latencyMs: 300 });
    rig.emu.resetRequests();

    // At the defaults (8 at once, 1 per host).
    expect(await recoverSnap({}, rig.deps(env))).toMatchObject({ done: 24, exitCode: EXIT.ok });

    // The log is in completion order. Had each collection waited for all hosts before the next one started,
    // the fast hosts would have trailed the slow one collection by collection.
    const recoveries = rig.requests("PUT", /\/snapshots\/recover$/);
    const secondSlow = recoveries.filter((r) => r.node === 3)[1];
    const fastDone = recoveries.filter((r) => r.node !== 3);
    expect(fastDone).toHaveLength(16);
    expect(recoveries.indexOf(secondSlow!)).toBeGreaterThan(recoveries.indexOf(fastDone.at(-1)!));
  });
});
