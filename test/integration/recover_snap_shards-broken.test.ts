// recover_snap_shards on restores Qdrant reports green although they are broken (the emulator's injections): a
// lingering Partial replica (qdrant#7851), a count short beyond the tolerance, payload reads failing for a region of
// points. Each ends with a FAILED verdict naming the check, and exit 3.
import { describe, expect, it } from "vitest";
import { run } from "../../src/commands/recover_snap_shards.js";
import { EXIT } from "../../src/errors.js";
import { DOCS, SET_NEW, setsRig } from "./helpers/sets-restore.js";

describe("recover_snap_shards on a broken restore that is green", () => {
  it("a Partial replica lingering past the budget fails the replica check (exit 3)", async () => {
    const { rig, target, writeSet, env } = await setsRig("shards-restore-partial");
    await writeSet(SET_NEW);
    target.faults.afterShardRecover({ collection: DOCS, shard: 1, leftover: { state: "Partial" } });

    const summary = await run({}, rig.deps({ ...env, QDRANT_VERIFY_GREEN_TIMEOUT_SECONDS: "2" }));

    expect(summary).toMatchObject({ done: 0, failed: 1, exitCode: EXIT.partial });
    expect(summary.items[0]?.["verdict"]).toMatch(
      /FAILED: .*replicas: shard 1 of docs has .*Partial.*expected 2 Active/,
    );
  });

  it("a Partial replica that clears within the budget is waited out: VERIFIED", async () => {
    const { rig, target, writeSet, env } = await setsRig("shards-restore-partial-clears");
    await writeSet(SET_NEW);
    target.faults.afterShardRecover({ collection: DOCS, shard: 1, leftover: { state: "Partial", polls: 2 } });

    const summary = await run({}, rig.deps(env));

    expect(summary).toMatchObject({ done: 1, exitCode: EXIT.ok });
  });

  it("a count short beyond the tolerance fails the count check (exit 3)", async () => {
    const { rig, target, writeSet, env } = await setsRig("shards-restore-count");
    await writeSet(SET_NEW);
    const remove = target.faults.afterShardRecover({ collection: DOCS, countShort: { by: 5, reads: 1000 } });

    const short = await run({}, rig.deps({ ...env, QDRANT_VERIFY_GREEN_TIMEOUT_SECONDS: "2" }));

    expect(short).toMatchObject({ done: 0, failed: 1, exitCode: EXIT.partial });
    expect(short.items[0]?.["verdict"]).toMatch(/count: docs holds 55 points, the manifest says 60/);
    remove();
  });

  it("a count that converges after green is re-polled within the budget: VERIFIED", async () => {
    const { rig, target, writeSet, env } = await setsRig("shards-restore-count-late");
    await writeSet(SET_NEW);
    target.faults.afterShardRecover({ collection: DOCS, shard: 0, times: 1, countShort: { by: 5, reads: 2 } });
    const deps = rig.deps(env);

    const summary = await run({}, deps);

    expect(summary).toMatchObject({ done: 1, exitCode: EXIT.ok });
    expect(target.requests().filter((r) => r.path === `/collections/${DOCS}/points/count`).length).toBeGreaterThan(2);
  });

  it("payload reads failing for a region of points while green fail the probes (exit 3)", async () => {
    const { rig, target, writeSet, env } = await setsRig("shards-restore-payloads");
    await writeSet(SET_NEW);
    target.faults.breakPayloads(DOCS, (p) => Number(p.id) > 40);

    const summary = await run({}, rig.deps(env));

    expect(summary).toMatchObject({ done: 0, failed: 1, exitCode: EXIT.partial });
    expect(summary.items[0]?.["verdict"]).toMatch(/FAILED: .*(scroll|random probe).*500/);
  });
});
