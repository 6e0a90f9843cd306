// recover_snap_shards when a shard recovery's answer is lost: resolved by looking at the shard's replica on that
// peer, never by sending the recovery again.
import { describe, expect, it, onTestFinished } from "vitest";
import { run } from "../../src/commands/recover_snap_shards.js";
import { EXIT } from "../../src/errors.js";
import { readAllPoints } from "../support/emulator/seed.js";
import { startLostAnswerProxy } from "../faults/helpers/lost-answer-proxy.js";
import { readStateFile } from "./helpers/rig.js";
import { DOCS, KEY, SET_NEW, setsRig } from "./helpers/sets-restore.js";

const SHARD_RECOVER = /^\/collections\/docs\/shards\/\d+\/snapshots\/recover$/;
const SHARD_1 = /^\/collections\/docs\/shards\/1\/snapshots\/recover$/;

describe("recover_snap_shards: a shard recovery whose answer is lost", () => {
  it("is resolved by looking at the shard's replica on that peer: settled Active, it counts as recovered, sent once, VERIFIED", async () => {
    const s = await setsRig("shards-restore-lost", { targetStandalone: true });
    await s.writeSet(SET_NEW);
    const proxy = await startLostAnswerProxy(s.target.urls[0]!, [{ method: "PUT", path: SHARD_1 }]);
    onTestFinished(() => proxy.close());
    const deps = s.rig.deps({ ...s.env, QDRANT_RESTORE_HOSTS: proxy.url });

    const summary = await run({}, deps);

    expect(proxy.lost().map((l) => l.path)).toEqual(["/collections/docs/shards/1/snapshots/recover"]);
    expect(summary).toMatchObject({ done: 1, failed: 0, exitCode: EXIT.ok });
    expect(summary.items[0]?.["verdict"]).toMatch(/VERIFIED \(\d+ points, 3 shard\(s\): 3 recovered/);
    const recovers = s.target.requests().filter((r) => r.method === "PUT" && SHARD_RECOVER.test(r.path));
    expect(
      recovers.filter((r) => SHARD_1.test(r.path)),
      "sent once: the lost answer is not re-sent",
    ).toHaveLength(1);
    const lookedAt = s.target
      .requests()
      .filter((r) => r.method === "GET" && r.path === `/collections/${DOCS}/cluster`)
      .filter((r) => r.arrivedAt > recovers.find((q) => SHARD_1.test(q.path))!.arrivedAt);
    expect(lookedAt.length).toBeGreaterThan(0);
    expect(deps.lines.join("\n")).toMatch(/shard 1 settled Active on .*taken as done/);
    expect((await readStateFile(s.rig.dir, "shard_recovery_history"))?.split("\n").filter(Boolean).sort()).toEqual([
      `${proxy.url},${DOCS},${SET_NEW},-,started`,
      ...[0, 1, 2].map((sid) => `${proxy.url},${DOCS},${SET_NEW},${sid},ok`),
    ]);
    expect(await readAllPoints(s.target.urls[0]!, DOCS, KEY)).toEqual(
      await readAllPoints(s.source.urls[0]!, DOCS, KEY),
    );
  });

  it("a 504 for a recovery the node never did: looked at, not sent again; the verification's count fails the collection (exit 3)", async () => {
    const s = await setsRig("shards-restore-lost-undone", { targetStandalone: true });
    await s.writeSet(SET_NEW);
    s.target.faults.add({ method: "PUT", path: SHARD_1, status: 504, times: 1 });
    const deps = s.rig.deps(s.env);

    const summary = await run({}, deps);

    expect(summary).toMatchObject({ done: 0, failed: 1, exitCode: EXIT.partial });
    expect(summary.items[0]?.["verdict"]).toMatch(/FAILED: .*count/i);
    const recovers = s.target.requests().filter((r) => r.method === "PUT" && SHARD_1.test(r.path));
    expect(recovers, "sent once: an ambiguous answer is never re-sent").toHaveLength(1);
  });
});
