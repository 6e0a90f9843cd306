// The drill lock: one drill at a time per restore target, across state directories and pods. A second drill on a
// target another drill holds exits 5 naming the holder, and neither removes nor touches the first's scratch, which
// passes and deletes it itself; a drill lock left by a killed drill is taken over once its TTL has passed, and the
// leftover scratch is removed under it; without a bucket there is no lock, and a leftover is named, not removed.
import { describe, expect, it, onTestFinished } from "vitest";
import { drillLockPrefix } from "../../src/backup/drill/drill-lock.js";
import { discoverTargets } from "../../src/backup/sets/restore-target.js";
import { run } from "../../src/commands/drill.js";
import { EXIT, LockedError } from "../../src/errors.js";
import { StateLease } from "../../src/state/lease.js";
import { seedCollection } from "../support/emulator/seed.js";
import { createTestDeps } from "../support/deps.js";
import { makeTempDir } from "../support/tmp.js";
import { collectionsOf, history, liveTarget, SCRATCH } from "./helpers/drill.js";
import { API_KEY, stagedBackup } from "./helpers/restore.js";
import { DOCS, KEY } from "./helpers/sets-restore.js";

const SHARD_RECOVER = /^\/collections\/docs__drill_[^/]+\/shards\/\d+\/snapshots\/recover$/;
const LEFTOVER = "docs__drill_20260101T000000Z";

describe("drill lock", () => {
  it("two drills on one target at once: the second exits 5 naming the holder, the first passes and its scratch is intact until it deletes it", async () => {
    const s = await liveTarget("drill-lock-two");
    const other = await makeTempDir("drill-lock-two-other");
    onTestFinished(other.cleanup);
    const second = createTestDeps({ ...s.rig.s3Env, ...s.env }, { stateDir: other.dir });
    onTestFinished(() => second.close());
    let during: Promise<{ err: unknown; collections: string[] }> | undefined;
    // The first drill's first shard recovery is held until the second drill, started from its own state meanwhile,
    // has stopped and the collections were looked at: no timing guess.
    s.target.faults.add({
      method: "PUT",
      path: SHARD_RECOVER,
      times: 1,
      holdUntil: () => during!,
      onMatch: () => {
        during = (async () => {
          const err = await run({ collection: DOCS }, second).then(
            () => undefined,
            (e: unknown) => e,
          );
          return { err, collections: await collectionsOf(s.t, KEY) };
        })();
      },
    });

    const first = await run({ collection: DOCS }, s.rig.deps(s.env));

    const seen = await during!;
    expect(seen.err).toBeInstanceOf(LockedError);
    expect((seen.err as LockedError).exitCode).toBe(EXIT.locked);
    expect((seen.err as LockedError).message).toMatch(
      new RegExp(
        `^drill: another drill holds the drill lock of ${s.t}: .*drill_locks/.*held by pid ${process.pid} on host .*, expires at `,
      ),
    );
    expect((seen.err as LockedError).message).not.toContain("\n");
    expect((seen.err as LockedError).message).toMatch(/; if that run is gone, the next drill takes its lock over then/);
    // While the second drill ran and after it stopped, the first's scratch was there, untouched.
    expect(seen.collections).toEqual([DOCS, expect.stringMatching(SCRATCH)]);
    expect(second.lines.join("\n")).not.toMatch(/removing it|removed the leftover/);
    expect(await history(other.dir)).toEqual([]);
    expect(first).toMatchObject({ done: 1, failed: 0, exitCode: EXIT.ok });
    expect(await history(s.rig.dir)).toEqual([expect.objectContaining({ verdict: "passed" })]);
    expect(await collectionsOf(s.t, KEY)).toEqual([DOCS]);
    await s.untouched();
    expect(await s.rig.bucket.keys("drill_locks/")).toEqual([]);
  });

  it("a drill lock left by a killed drill is taken over once its TTL has passed, and the leftover scratch removed", async () => {
    const s = await liveTarget("drill-lock-expired");
    await seedCollection(s.t, LEFTOVER, { points: 3, dim: 4, apiKey: KEY });
    const deps = s.rig.deps(s.env);
    const [target] = await discoverTargets(deps);
    // The killed drill's lease: written two minutes ago with a one-minute TTL, never renewed nor released.
    await StateLease.acquire({
      objects: deps.leaseObjects!(),
      prefix: drillLockPrefix(target!),
      ttlMs: 60_000,
      breakLock: false,
      log: deps.log,
      onLost: () => undefined,
      autoRenew: false,
      host: "killed-pod",
      clock: () => new Date(Date.now() - 120_000),
    });
    expect(await s.rig.bucket.keys("drill_locks/")).toHaveLength(1);

    const summary = await run({ collection: DOCS }, deps);

    expect(summary).toMatchObject({ done: 1, failed: 0, exitCode: EXIT.ok });
    expect(deps.lines.join("\n")).toMatch(/taking over the expired drill lock s3:\/\/\S+\/drill_locks\/.*killed-pod/);
    expect(summary.report?.[0]).toBe(`drill: removed the leftover scratch ${LEFTOVER} on ${s.t}`);
    expect(await collectionsOf(s.t, KEY)).toEqual([DOCS]);
    await s.untouched();
    expect(await s.rig.bucket.keys("drill_locks/")).toEqual([]);
  });

  it("without a bucket there is no drill lock: one warning says so, and a leftover scratch is named, not removed", async () => {
    const s = await stagedBackup("drill-lock-dir", { emuStorage: "local", dest: "dir" });
    await seedCollection(s.t1, "c1__drill_20260101T000000Z", { points: 2, dim: 4, apiKey: API_KEY });
    const deps = s.deps();

    const summary = await run({ collection: "c1" }, deps);

    expect(summary).toMatchObject({ done: 1, failed: 0, exitCode: EXIT.ok });
    expect(deps.lines.filter((l) => l.includes("drill lock"))).toEqual([
      expect.stringMatching(/drill: no bucket \(QDRANT_BACKUP_DIR\): no drill lock, .*never run two drills/),
      expect.stringMatching(/c1__drill_20260101T000000Z on .* NOT removed without a drill lock/),
    ]);
    expect(await collectionsOf(s.t1, API_KEY)).toEqual(["c1__drill_20260101T000000Z"]);
  });
});
