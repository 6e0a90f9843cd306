// recover_snap_shards onto another topology than the source's: a set from a 3-peer cluster (3 shards, RF 2) restored
// onto a 2-peer cluster and onto a standalone node, each shard on a replica Qdrant placed, every verdict VERIFIED.
import { describe, expect, it, onTestFinished } from "vitest";
import { run } from "../../src/commands/recover_snap_shards.js";
import { EXIT } from "../../src/errors.js";
import { startEmulator } from "../support/emulator/index.js";
import { listAliases, readAllPoints } from "../support/emulator/seed.js";
import { s3Storage } from "../support/s3/client.js";
import { DOCS, KEY, SET_NEW, setsRig } from "./helpers/sets-restore.js";

describe("recover_snap_shards onto another topology", () => {
  it.each([
    ["a 2-peer cluster", { targetPeers: 2 }],
    ["a standalone node", { targetStandalone: true }],
  ])("restores a 3-peer cluster's set onto %s: same points and alias, VERIFIED", async (_what, opts) => {
    const { rig, source, target, writeSet, env } = await setsRig("shards-restore-topology", opts);
    await writeSet(SET_NEW);
    const deps = rig.deps(env);

    const summary = await run({}, deps);

    expect(summary).toMatchObject({ done: 1, failed: 0, exitCode: EXIT.ok });
    expect(deps.lines.join("\n")).toMatch(new RegExp(`restore of ${DOCS} from set ${SET_NEW} VERIFIED`));
    expect(await readAllPoints(target.urls[0]!, DOCS, KEY)).toEqual(await readAllPoints(source.urls[0]!, DOCS, KEY));
    expect(await listAliases(target.urls[0]!, KEY)).toEqual([{ alias_name: "docs-live", collection_name: DOCS }]);
  });

  it("restores onto several target clusters in one run, each with its own verdict; a second peer of a cluster is no target of its own", async () => {
    const { rig, source, target, writeSet, env } = await setsRig("shards-restore-two-targets");
    await writeSet(SET_NEW);
    const node = await startEmulator({ nodes: 1, apiKey: KEY, storage: s3Storage(rig.s3info, rig.bucket.name) });
    onTestFinished(() => node.stop());
    const deps = rig.deps({ ...env, QDRANT_RESTORE_HOSTS: `${target.urls[0]},${target.urls[1]},${node.urls[0]}` });

    const summary = await run({}, deps);

    expect(summary).toMatchObject({ done: 2, failed: 0, exitCode: EXIT.ok });
    expect(summary.message).toBe("restore summary: 2 collection(s) verified, 0 failed (on 2 target clusters)");
    expect(summary.items.map((i) => i["target"])).toEqual([target.urls[0], node.urls[0]]);
    const expected = await readAllPoints(source.urls[0]!, DOCS, KEY);
    for (const url of [target.urls[0]!, node.urls[0]!]) expect(await readAllPoints(url, DOCS, KEY)).toEqual(expected);
  });

  it("static hosts: when GET /cluster fails, every listed host is a peer (with a warning), VERIFIED", async () => {
    const { rig, source, target, writeSet, env } = await setsRig("shards-restore-static", { targetPeers: 2 });
    await writeSet(SET_NEW);
    target.faults.add({ method: "GET", path: "/cluster", status: 500 });
    const deps = rig.deps({ ...env, QDRANT_RESTORE_HOSTS: `${target.urls[0]},${target.urls[1]}` });

    const summary = await run({}, deps);

    expect(summary).toMatchObject({ done: 1, failed: 0, exitCode: EXIT.ok });
    expect(deps.lines.filter((l) => l.includes("static hosts"))).toEqual([
      expect.stringMatching(/GET \/cluster on .* failed .*every host in QDRANT_RESTORE_HOSTS .* is taken as a peer/),
    ]);
    expect(deps.lines.join("\n")).toMatch(new RegExp(`restore of ${DOCS} from set ${SET_NEW} VERIFIED`));
    // Each shard was recovered on the peer holding its replica: both listed hosts took shard recoveries.
    const recovered = target.requests().filter((r) => r.method !== "GET" && /\/shards\/\d+\/snapshots\//.test(r.path));
    expect(new Set(recovered.map((r) => r.node))).toEqual(new Set([0, 1]));
    expect(await readAllPoints(target.urls[0]!, DOCS, KEY)).toEqual(await readAllPoints(source.urls[0]!, DOCS, KEY));
  });
});
