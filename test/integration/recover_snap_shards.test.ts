// recover_snap_shards: a set written from a 3-peer source cluster restored onto a fresh target cluster, shard by
// shard, ending in a verdict; the gates, the pre-flight verdicts, the fallback to an older set, resume.
import { describe, expect, it } from "vitest";
import { run } from "../../src/commands/recover_snap_shards.js";
import { restoreLockPrefix } from "../../src/backup/sets/restore-lock.js";
import { EXIT } from "../../src/errors.js";
import { StateLease } from "../../src/state/lease.js";
import { listAliases, qdrantCall, readAllPoints, seedCollection } from "../support/emulator/seed.js";
import { DeleteObjectCommand } from "@aws-sdk/client-s3";
import { createTestDeps } from "../support/deps.js";
import { createTestS3Client } from "../support/s3/client.js";
import { makeTempDir } from "../support/tmp.js";
import { readStateFile } from "./helpers/rig.js";
import { DOCS, KEY, SET_NEW, SET_OLD, setsRig, type SetsRig } from "./helpers/sets-restore.js";

const SHARD_RECOVER = /^\/collections\/docs\/shards\/\d+\/snapshots\/recover$/;

describe("recover_snap_shards", () => {
  it("restores the newest set from a 3-peer cluster onto a fresh 3-peer cluster: points, payload index, alias, VERIFIED", async () => {
    const { rig, source, target, writeSet, env } = await setsRig("shards-restore-main");
    await writeSet(SET_OLD);
    await writeSet(SET_NEW);
    const deps = rig.deps(env);

    const summary = await run({}, deps);

    expect(summary).toMatchObject({ done: 1, failed: 0, exitCode: EXIT.ok });
    expect(summary.message).toBe("restore summary: 1 collection(s) verified, 0 failed");
    expect(deps.lines.join("\n")).toMatch(new RegExp(`restore of ${DOCS} from set ${SET_NEW} VERIFIED`));
    expect(await readAllPoints(target.urls[0]!, DOCS, KEY)).toEqual(await readAllPoints(source.urls[0]!, DOCS, KEY));
    expect(await listAliases(target.urls[0]!, KEY)).toEqual([{ alias_name: "docs-live", collection_name: DOCS }]);
    const info = (await qdrantCall(target.urls[0]!, "GET", `/collections/${DOCS}`, KEY)) as Record<string, unknown>;
    expect(Object.keys(info["payload_schema"] as object)).toEqual(["group"]);
    expect(target.requests().filter((r) => r.method === "PUT" && SHARD_RECOVER.test(r.path))).toHaveLength(3);
    expect((await readStateFile(rig.dir, "shard_recovery_history"))?.split("\n").filter(Boolean).sort()).toEqual([
      `${env["QDRANT_RESTORE_HOSTS"]},${DOCS},${SET_NEW},-,started`,
      ...[0, 1, 2].map((s) => `${env["QDRANT_RESTORE_HOSTS"]},${DOCS},${SET_NEW},${s},ok`),
    ]);
    expect(await rig.bucket.has(`restore_state/${DOCS}/${SET_NEW}.csv`)).toBe(true);
    // A presigned URL is a credential: never in a log line.
    expect(deps.lines.join("\n")).not.toMatch(/X-Amz-Signature=[0-9a-f]/);
  });

  describe("gates", () => {
    it("version: a target two minors ahead is refused before anything changes; QDRANT_SKIP_VERSION_CHECK=true restores", async () => {
      const { rig, target, writeSet, env } = await setsRig("shards-restore-version", { targetVersion: "1.21.0" });
      await writeSet(SET_NEW);

      const refused = await run({}, rig.deps(env));

      expect(refused).toMatchObject({ done: 0, failed: 1, exitCode: EXIT.partial });
      expect(refused.items[0]?.["verdict"]).toMatch(/FAILED: .*1\.19\.0.*1\.21\.0.*QDRANT_SKIP_VERSION_CHECK/);
      expect(await collectionsOf(target.urls[0]!)).toEqual([]);

      const skipped = await run({}, rig.deps({ ...env, QDRANT_SKIP_VERSION_CHECK: "true" }));
      expect(skipped).toMatchObject({ done: 1, failed: 0, exitCode: EXIT.ok });
    });

    it("capacity: a write_consistency_factor above the target's peers is refused before anything changes", async () => {
      const { rig, target, writeSet, env } = await setsRig("shards-restore-capacity");
      await writeSet(SET_NEW, (m) => {
        paramsOfManifest(m)["write_consistency_factor"] = 4;
      });

      const summary = await run({}, rig.deps(env));

      expect(summary).toMatchObject({ done: 0, failed: 1, exitCode: EXIT.partial });
      expect(summary.items[0]?.["verdict"]).toMatch(/write_consistency_factor 4 exceeds the target's 3 peer/);
      expect(await collectionsOf(target.urls[0]!)).toEqual([]);
    });

    it("state: an empty compatible collection is restored into without being recreated", async () => {
      const { rig, target, writeSet, env } = await setsRig("shards-restore-empty");
      await writeSet(SET_NEW);
      await createDocs(target.urls[0]!);
      target.resetRequests();

      const summary = await run({}, rig.deps(env));

      expect(summary).toMatchObject({ done: 1, exitCode: EXIT.ok });
      expect(target.requests().filter((r) => r.path === `/collections/${DOCS}` && r.method !== "GET")).toEqual([]);
    });

    it("state: a collection holding data is refused and left as it is; QDRANT_RESTORE_FORCE=true deletes and recreates it", async () => {
      const { rig, source, target, writeSet, env } = await setsRig("shards-restore-force");
      await writeSet(SET_NEW);
      await createDocs(target.urls[0]!);
      await qdrantCall(target.urls[0]!, "PUT", `/collections/${DOCS}/points?wait=true`, KEY, {
        points: [{ id: 999, vector: [1, 0, 0, 0], payload: { live: true } }],
      });

      const refused = await run({}, rig.deps(env));

      expect(refused).toMatchObject({ done: 0, failed: 1, exitCode: EXIT.partial });
      expect(refused.items[0]?.["verdict"]).toMatch(
        /holds 1 points: refusing to overwrite it \(QDRANT_RESTORE_FORCE=true/,
      );
      expect((await readAllPoints(target.urls[0]!, DOCS, KEY)).map((p) => p.id)).toEqual([999]);

      const forced = await run({}, rig.deps({ ...env, QDRANT_RESTORE_FORCE: "true" }));

      expect(forced).toMatchObject({ done: 1, exitCode: EXIT.ok });
      expect(await readAllPoints(target.urls[0]!, DOCS, KEY)).toEqual(await readAllPoints(source.urls[0]!, DOCS, KEY));
    });
  });

  describe("pre-flight and set selection", () => {
    it("a missing shard object condemns the newest set: the next older one is restored, saying so", async () => {
      const s = await setsRig("shards-restore-missing");
      await s.writeSet(SET_OLD);
      const newest = await s.writeSet(SET_NEW);
      await deleteObject(s, newest.shards[1]!.s3_key);
      const deps = s.rig.deps(s.env);

      const summary = await run({}, deps);

      expect(summary).toMatchObject({ done: 1, exitCode: EXIT.ok });
      expect(summary.items[0]?.["set"]).toBe(SET_OLD);
      const log = deps.lines.join("\n");
      expect(log).toMatch(
        new RegExp(`shard 1: missing-object .*falling back from set ${SET_NEW} to the next older set ${SET_OLD}`),
      );
      expect(log).toMatch(new RegExp(`restore of ${DOCS} from set ${SET_OLD} VERIFIED`));
    });

    it("a wrong ETag condemns the newest set: the next older one is restored", async () => {
      const s = await setsRig("shards-restore-etag");
      await s.writeSet(SET_OLD);
      await s.writeSet(SET_NEW, (m) => {
        m.shards[0]!.etag = "0123456789abcdef0123456789abcdef-1";
      });
      const deps = s.rig.deps(s.env);

      const summary = await run({}, deps);

      expect(summary).toMatchObject({ done: 1, exitCode: EXIT.ok });
      expect(summary.items[0]?.["set"]).toBe(SET_OLD);
      expect(deps.lines.join("\n")).toMatch(/shard 0: etag-mismatch/);
    });

    it("a filter matching no set fails the collection, listing the sets, with no substitute and no recovery", async () => {
      const s = await setsRig("shards-restore-nomatch");
      await s.writeSet(SET_OLD);
      await s.writeSet(SET_NEW);

      const summary = await run({}, s.rig.deps({ ...s.env, QDRANT_SNAPSHOT_DATETIME_FILTER: "2026-09" }));

      expect(summary).toMatchObject({ done: 0, failed: 1, exitCode: EXIT.partial });
      expect(summary.items[0]?.["verdict"]).toContain(`sets there are: ${SET_NEW}, ${SET_OLD}`);
      expect(await collectionsOf(s.target.urls[0]!)).toEqual([]);
      expect(s.target.requests().filter((r) => SHARD_RECOVER.test(r.path))).toEqual([]);
    });

    it("with a filter, a set failing its pre-flight is not replaced by an older one", async () => {
      const s = await setsRig("shards-restore-filter-missing");
      await s.writeSet(SET_OLD);
      const newest = await s.writeSet(SET_NEW);
      await deleteObject(s, newest.shards[0]!.s3_key);

      const summary = await run({}, s.rig.deps({ ...s.env, QDRANT_SNAPSHOT_DATETIME_FILTER: "2026-08-11" }));

      expect(summary).toMatchObject({ done: 0, failed: 1, exitCode: EXIT.partial });
      expect(summary.items[0]?.["verdict"]).toMatch(/shard 0: missing-object/);
      expect(await collectionsOf(s.target.urls[0]!)).toEqual([]);
    });
  });

  describe("aliases", () => {
    it("an alias pointing at another live collection is not taken (FAILED after verification, exit 3); FORCE repoints it", async () => {
      const s = await setsRig("shards-restore-alias-guard");
      await s.writeSet(SET_NEW);
      const t = s.target.urls[0]!;
      await qdrantCall(t, "PUT", "/collections/other", KEY, { vectors: { size: 4, distance: "Cosine" } });
      await qdrantCall(t, "POST", "/collections/aliases", KEY, {
        actions: [{ create_alias: { collection_name: "other", alias_name: "docs-live" } }],
      });

      const guarded = await run({}, s.rig.deps(s.env));

      expect(guarded).toMatchObject({ done: 0, failed: 1, exitCode: EXIT.partial });
      expect(guarded.items[0]?.["verdict"]).toMatch(
        /FAILED: alias docs-live points at the live collection other: not repointed \(QDRANT_RESTORE_FORCE=true/,
      );
      expect(await listAliases(t, KEY)).toEqual([{ alias_name: "docs-live", collection_name: "other" }]);

      const forced = await run({}, s.rig.deps({ ...s.env, QDRANT_RESTORE_FORCE: "true" }));

      expect(forced).toMatchObject({ done: 1, exitCode: EXIT.ok });
      expect(await listAliases(t, KEY)).toEqual([{ alias_name: "docs-live", collection_name: DOCS }]);
    });
  });

  it("recovers by upload a shard snapshot whose name is longer than 91 bytes (Qdrant's temporary file name limit)", async () => {
    const s = await setsRig("shards-restore-long-name");
    const long = `c${"x".repeat(60)}`;
    await seedCollection(s.rig.urls[0]!, long, { points: 12, dim: 4, shards: 2, rf: 1, apiKey: KEY });
    await s.writeSet(SET_NEW, undefined, long);
    await s.writeSet(SET_NEW);

    const summary = await run({}, s.rig.deps(s.env));

    expect(summary).toMatchObject({ done: 2, exitCode: EXIT.ok });
    const calls = s.target
      .requests()
      .filter((r) => r.method !== "GET" && r.path.startsWith(`/collections/${long}/shards/`));
    expect(calls.map((r) => r.path.replace(/\d+/, "N")).sort()).toEqual([
      `/collections/${long}/shards/N/snapshots/upload`,
      `/collections/${long}/shards/N/snapshots/upload`,
    ]);
    expect(await readAllPoints(s.target.urls[0]!, long, KEY)).toEqual(
      await readAllPoints(s.source.urls[0]!, long, KEY),
    );
  });

  it("--as restores the collection under another name next to the live one, aliases untouched; with several collections it is refused", async () => {
    const s = await setsRig("shards-restore-as");
    await s.writeSet(SET_NEW);
    const t = s.target.urls[0]!;
    expect(await run({}, s.rig.deps(s.env))).toMatchObject({ done: 1, exitCode: EXIT.ok });
    const deps = s.rig.deps(s.env);

    const drill = await run({ collection: DOCS, as: "docs-drill" }, deps);

    expect(drill).toMatchObject({ done: 1, exitCode: EXIT.ok });
    expect(deps.lines.join("\n")).toMatch(
      new RegExp(`restore of ${DOCS} as docs-drill from set ${SET_NEW} VERIFIED .*aliases untouched`),
    );
    expect(await readAllPoints(t, "docs-drill", KEY)).toEqual(await readAllPoints(s.source.urls[0]!, DOCS, KEY));
    expect(await listAliases(t, KEY)).toEqual([{ alias_name: "docs-live", collection_name: DOCS }]);

    await s.rig.write("collections", `${s.source.urls[0]},${DOCS}\n${s.source.urls[0]},other\n`);
    await expect(run({ as: "docs-drill" }, s.rig.deps(s.env))).rejects.toThrow(
      /--as docs-drill: restores one collection under another name, but 2/,
    );
  });

  it("never runs two restores of one collection onto one target at once: a lock held by another run fails it, untouched", async () => {
    const s = await setsRig("shards-restore-lock");
    await s.writeSet(SET_NEW);
    const deps = s.rig.deps(s.env);
    const target = { host: s.target.urls[0]!, peers: new Map([["21", ""]]), peerCount: 3 };
    const held = await StateLease.acquire({
      objects: deps.leaseObjects!(),
      prefix: restoreLockPrefix(target, DOCS),
      ttlMs: 60_000,
      breakLock: false,
      log: deps.log,
      onLost: () => undefined,
      autoRenew: false,
      host: "other-pod",
    });

    const refused = await run({}, deps);

    expect(refused).toMatchObject({ done: 0, failed: 1, exitCode: EXIT.partial });
    expect(refused.items[0]?.["verdict"]).toMatch(/FAILED: restore lock s3:\/\/\S+\/restore_locks\/.*other-pod/);
    // The true cure: the lock expires by itself and the next run takes it over; --break-lock does not touch it.
    expect(refused.items[0]?.["verdict"]).toMatch(/run again after it expires \(QDRANT_LOCK_TTL .*takes it over/);
    expect(refused.items[0]?.["verdict"]).not.toMatch(/state lease|run again with --break-lock/);
    expect(await collectionsOf(s.target.urls[0]!)).toEqual([]);
    await held.release();

    expect(await run({}, s.rig.deps(s.env))).toMatchObject({ done: 1, exitCode: EXIT.ok });
    expect(await s.rig.bucket.keys("restore_locks/")).toEqual([]);
  });

  it("resumes from the mirrored restore state in a fresh state directory, without recovering finished shards again", async () => {
    const s = await setsRig("shards-restore-resume");
    await s.writeSet(SET_NEW);
    const remove = s.target.faults.add({
      method: "PUT",
      path: /^\/collections\/docs\/shards\/2\/snapshots\/recover$/,
      status: 500,
    });

    const first = await run({}, s.rig.deps({ ...s.env, QDRANT_RETRIES: "0" }));

    expect(first).toMatchObject({ done: 0, failed: 1, exitCode: EXIT.partial });
    expect(first.items[0]?.["verdict"]).toMatch(/1 shard\(s\) not recovered .*run it again to resume/);
    remove();
    s.target.resetRequests();
    const fresh = await makeTempDir("shards-restore-resume-fresh");
    const deps = createTestDeps({ ...s.rig.s3Env, ...s.env }, { stateDir: fresh.dir });

    const second = await run({}, deps);

    await deps.close();
    await fresh.cleanup();
    expect(second).toMatchObject({ done: 1, failed: 0, exitCode: EXIT.ok });
    expect(
      s.target
        .requests()
        .filter((r) => r.method === "PUT" && SHARD_RECOVER.test(r.path))
        .map((r) => r.path),
    ).toEqual(["/collections/docs/shards/2/snapshots/recover"]);
    expect(deps.lines.join("\n")).toMatch(/2 shard\(s\) already recovered by an earlier run/);
    expect(await readAllPoints(s.target.urls[0]!, DOCS, KEY)).toEqual(
      await readAllPoints(s.source.urls[0]!, DOCS, KEY),
    );
  });
});

async function collectionsOf(url: string): Promise<string[]> {
  const r = (await qdrantCall(url, "GET", "/collections", KEY)) as { collections: { name: string }[] };
  return r.collections.map((c) => c.name);
}

async function createDocs(url: string): Promise<void> {
  await qdrantCall(url, "PUT", `/collections/${DOCS}`, KEY, {
    vectors: { size: 4, distance: "Cosine" },
    shard_number: 3,
    replication_factor: 2,
  });
}

function paramsOfManifest(m: { collection_config: Record<string, unknown> }): Record<string, unknown> {
  return (m.collection_config["config"] as { params: Record<string, unknown> }).params;
}

async function deleteObject(s: SetsRig, key: string): Promise<void> {
  const client = createTestS3Client(s.rig.s3info);
  await client.send(new DeleteObjectCommand({ Bucket: s.rig.bucket.name, Key: key }));
  client.destroy();
}
