// recover_snap_shards: a set written from a 3-peer source cluster restored onto a fresh target cluster, shard by
// shard, ending in a verdict; the gates, the pre-flight verdicts, the fallback to an older set, resume.
import { describe, expect, it } from "vitest";
import { run } from "../../src/commands/recover_snap_shards.js";
import { EXIT } from "../../src/errors.js";
import { listAliases, qdrantCall, readAllPoints } from "../support/emulator/seed.js";
import { DOCS, KEY, SET_NEW, SET_OLD, setsRig } from "./helpers/sets-restore.js";

const SHARD_RECOVER = /^\/collections\/docs\/shards\/\d+\/snapshots\/recover$/;

describe("recover_snap_shards", () => {
  it("restores the newest set from a 3-peer cluster onto a fresh 3-peer cluster: points, payload index, alias, VERIFIED", async () => {
    const { rig, source, target, writeSet, env } = await setsRig("shards-restore-main");
    await writeSet(SET_OLD);
    await writeSet(SET_NEW);
    const deps = rig.deps(env);

    const summary = await run({}, deps);

    if (process.env["DEBUG_LINES"]) console.log(deps.lines.join("\n"));
    expect(summary).toMatchObject({ done: 1, failed: 0, exitCode: EXIT.ok });
    expect(summary.message).toBe("restore summary: 1 collection(s) verified, 0 failed");
    expect(deps.lines.join("\n")).toMatch(new RegExp(`restore of ${DOCS} from set ${SET_NEW} VERIFIED`));
    expect(await readAllPoints(target.urls[0]!, DOCS, KEY)).toEqual(await readAllPoints(source.urls[0]!, DOCS, KEY));
    expect(await listAliases(target.urls[0]!, KEY)).toEqual([{ alias_name: "docs-live", collection_name: DOCS }]);
    const info = (await qdrantCall(target.urls[0]!, "GET", `/collections/${DOCS}`, KEY)) as Record<string, unknown>;
    expect(Object.keys(info["payload_schema"] as object)).toEqual(["group"]);
    expect(target.requests().filter((r) => r.method === "PUT" && SHARD_RECOVER.test(r.path))).toHaveLength(3);
    expect((await rig.read("shard_recovery_history"))?.split("\n").filter(Boolean).sort()).toEqual(
      [0, 1, 2].map((s) => `${env["QDRANT_RESTORE_HOSTS"]},${DOCS},${SET_NEW},${s},ok`),
    );
    expect(await rig.bucket.has(`restore_state/${DOCS}/${SET_NEW}.csv`)).toBe(true);
    // A presigned URL is a credential: never in a log line.
    expect(deps.lines.join("\n")).not.toMatch(/X-Amz-Signature=[0-9a-f]/);
  });
});
