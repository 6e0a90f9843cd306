// The health check after recovery (QDRANT_VERIFY_AFTER_RECOVER): once a collection's snapshots are recovered on every
// restore host, each host is checked against the last snapshot recovered there: green within QDRANT_VERIFY_TIMEOUT
// (grey gets its optimizers triggered once, yellow is waited out), the exact point count and the vectors config as
// the backup metadata says, a payload-reading scroll. Each failure kind is recorded as verify-<reason> (exit 3) after
// the recovery's `ok`; a re-run checks such a recovery again instead of recovering it again.
import { describe, expect, inject, it, onTestFinished } from "vitest";
import { run as createSnap } from "../../src/commands/create_snap.js";
import { createTestDeps } from "../support/deps.js";
import { startEmulator } from "../support/emulator/index.js";
import { createTestBucket, s3Env } from "../support/s3/client.js";
import { makeTempDir } from "../support/tmp.js";
import { writeMetadata } from "../../src/backup/metadata.js";
import { run } from "../../src/commands/recover_snap.js";
import { EXIT, InterruptedError } from "../../src/errors.js";
import { collectionSnapshotKey, metadataKeyOf } from "../../src/core/keys.js";
import { Readable } from "node:stream";
import { csv, sortedLines, waitUntil } from "./helpers/rig.js";
import { API_KEY, C1, C2, RECOVER, stagedBackup, UPLOAD, type Staged } from "./helpers/restore.js";
import { qdrantCall, seedCollection } from "../support/emulator/seed.js";

const CHECKS = /^\/collections\/c\d(\/points\/(count|scroll))?$/;
/** Only the first target, to keep the expectations short. */
const ONE = (s: Staged) => ({ QDRANT_RESTORE_HOSTS: s.t1 });

/** The check requests (status, count, scroll, optimizers) against node `node`, as `METHOD path`. */
function checks(s: Staged, node: number): string[] {
  return s.emu
    .requests()
    .filter((r) => r.node === node && CHECKS.test(r.path))
    .map((r) => `${r.method} ${r.path}`);
}

describe.each(["local", "s3"] as const)("a recovery that passes its check (emulator storage %s)", (emuStorage) => {
  it("reads status, exact count, vectors config and a payload scroll, and counts the item done", async () => {
    const s = await stagedBackup(`verify-ok-${emuStorage}`, { emuStorage, dest: "s3" });
    const d = s.deps();

    const summary = await run({}, d);

    expect(summary).toMatchObject({ done: 4, failed: 0, exitCode: EXIT.ok });
    expect(summary.items.map((i) => i["verified"])).toEqual(["full", "full", "full", "full"]);
    expect(checks(s, 1).filter((c) => c.includes("/c1"))).toEqual([
      "GET /collections/c1",
      "POST /collections/c1/points/count",
      "POST /collections/c1/points/scroll",
    ]);
    expect(
      d.lines.filter((l) =>
        /Verified c1 on .*: green, 20 points, vectors config as backed up, payloads readable$/.test(l),
      ),
    ).toHaveLength(2);
    expect(d.lines.filter((l) => /Verified c2 on .*: green, 10 points/.test(l))).toHaveLength(2);
    expect(await s.read("failed_snapshot_recovery")).toBeUndefined();
  });
});

describe("grey and yellow after recovery", () => {
  it("triggers the optimizers of a grey collection once (PATCH), waits through yellow, then passes", async () => {
    const s = await stagedBackup("verify-grey", { emuStorage: "s3", dest: "s3" });
    s.emu.faults.afterRecover({ grey: true, yellowPolls: 2 });
    const d = s.deps(ONE(s));

    const summary = await run({}, d);

    expect(summary).toMatchObject({ done: 2, failed: 0, exitCode: EXIT.ok });
    expect(checks(s, 1).filter((c) => c.includes("/c1"))).toEqual([
      "GET /collections/c1", // grey
      "PATCH /collections/c1",
      "GET /collections/c1", // yellow
      "GET /collections/c1", // yellow
      "GET /collections/c1", // green
      "POST /collections/c1/points/count",
      "POST /collections/c1/points/scroll",
    ]);
    expect(d.lines.filter((l) => l.includes("is grey (optimizations pending); triggered its optimizers"))).toHaveLength(
      2,
    );
  });
});

describe("each kind of failed check is recorded as verify-<reason> after the recovery's ok (exit 3)", () => {
  async function expectOneFailure(
    s: Staged,
    env: Record<string, string>,
    status: string,
    message: RegExp,
  ): Promise<void> {
    const summary = await run({}, s.deps({ ...ONE(s), ...env }));
    expect(summary).toMatchObject({ done: 1, failed: 1, exitCode: EXIT.partial });
    expect(summary.message).toContain("(1 failed verification after recovery)");
    // c1 and c2 are recovered in parallel: their rows come in completion order. Only c2's check passed.
    expect(sortedLines(await s.read("snapshot_recovery_history"))).toEqual(
      sortedLines(csv([s.t1, C1, "ok"], [s.t1, C2, "ok"], [s.t1, C2, "verified"])),
    );
    expect(await s.read("failed_snapshot_recovery")).toBe(csv([s.t1, C1, status]));
    expect(summary.items.find((i) => i["outcome"] === "failed")).toMatchObject({
      collection: "c1",
      status,
      error: expect.stringMatching(message),
    });
  }

  it("verify-count: the point count differs from the metadata's", async () => {
    const s = await stagedBackup("verify-count", { emuStorage: "local", dest: "dir" });
    await s.editMetadata("c1", (m) => ({ ...m, pointsCount: 21 }));
    await expectOneFailure(s, {}, "verify-count", /c1 on .* holds 20 points; the backup metadata of c1-.* says 21/);
  });

  it("verify-count: the count request fails", async () => {
    const s = await stagedBackup("verify-count-error", { emuStorage: "s3", dest: "s3" });
    s.emu.faults.add({ node: 1, method: "POST", path: "/collections/c1/points/count", status: 500 });
    await expectOneFailure(s, {}, "verify-count", /count check failed: POST .*\/collections\/c1\/points\/count: 500/);
  });

  it("verify-vectors: the vectors config differs from the metadata's", async () => {
    const s = await stagedBackup("verify-vectors", { emuStorage: "s3", dest: "s3" });
    await s.editMetadata("c1", (m) => ({
      ...m,
      collectionConfig: { ...m.collectionConfig, params: { vectors: { size: 8, distance: "Cosine" } } },
    }));
    await expectOneFailure(
      s,
      {},
      "verify-vectors",
      /has vectors config \{"size":4,"distance":"Cosine"\}; the backup metadata of .* says \{"size":8/,
    );
  });

  it("verify-scroll: the payload scroll fails", async () => {
    const s = await stagedBackup("verify-scroll", { emuStorage: "local", dest: "s3" });
    s.emu.faults.add({
      node: 1,
      method: "POST",
      path: "/collections/c1/points/scroll",
      status: 500,
      error: "Service internal error: payload storage is corrupted",
    });
    await expectOneFailure(s, {}, "verify-scroll", /scroll check failed: .*payload storage is corrupted/);
  });

  it("verify-scroll: the scroll returns no points though the collection counts some", async () => {
    const s = await stagedBackup("verify-scroll-empty", { emuStorage: "s3", dest: "s3" });
    const d = s.deps(ONE(s));
    // No emulator state counts points it cannot scroll: the client answers an empty page for c1, as a collection
    // whose payload storage lost its records would.
    const qdrant = Object.create(d.qdrant) as typeof d.qdrant;
    qdrant.scrollPoints = async (host, collection, limit) =>
      collection === "c1" ? [] : d.qdrant.scrollPoints(host, collection, limit);
    const summary = await run({}, { ...d, qdrant });
    expect(summary).toMatchObject({ done: 1, failed: 1, exitCode: EXIT.partial });
    expect(await s.read("failed_snapshot_recovery")).toBe(csv([s.t1, C1, "verify-scroll"]));
    expect(summary.items.find((i) => i["outcome"] === "failed")?.["error"]).toMatch(
      /a scroll with payloads returned no points, though it counts 20$/,
    );
  });

  it("verify-status: the collection is red", async () => {
    const s = await stagedBackup("verify-red", { emuStorage: "s3", dest: "s3" });
    s.emu.faults.afterRecover({ error: "Service internal error: No space left on device" });
    const summary = await run({}, s.deps(ONE(s)));
    expect(summary).toMatchObject({ done: 0, failed: 2, exitCode: EXIT.partial });
    expect(sortedLines(await s.read("failed_snapshot_recovery"))).toEqual([
      `${s.t1},${C1},verify-status`,
      `${s.t1},${C2},verify-status`,
    ]);
    expect(summary.items[0]?.["error"]).toMatch(/c\d on .* is red/);
  });

  it("verify-timeout: still yellow when QDRANT_VERIFY_TIMEOUT runs out", async () => {
    const s = await stagedBackup("verify-timeout", { emuStorage: "local", dest: "dir" });
    s.emu.faults.afterRecover({ yellowPolls: Infinity });
    const summary = await run({}, s.deps({ ...ONE(s), QDRANT_VERIFY_TIMEOUT: "1", QDRANT_CONCURRENCY: "1" }));
    expect(summary).toMatchObject({ done: 0, failed: 2, exitCode: EXIT.partial });
    expect(sortedLines(await s.read("failed_snapshot_recovery"))).toEqual([
      `${s.t1},${C1},verify-timeout`,
      `${s.t1},${C2},verify-timeout`,
    ]);
    expect(summary.items[0]?.["error"]).toMatch(/is still yellow, not green, after 1 s \(QDRANT_VERIFY_TIMEOUT\)/);
    // Polled more than once, and never past the status: no count or scroll of a collection that is not ready.
    expect(checks(s, 1).filter((c) => c === "GET /collections/c1").length).toBeGreaterThan(1);
    expect(checks(s, 1).filter((c) => c.includes("/points/"))).toEqual([]);
  });

  it("verify-metadata: the metadata object is not valid; the recovery still happens, without a checksum", async () => {
    const s = await stagedBackup("verify-bad-meta", { emuStorage: "s3", dest: "s3" });
    await s.store().put(metadataKeyOf(collectionSnapshotKey("c1", C1)), Readable.from([Buffer.from("{not json")]));
    const d = s.deps(ONE(s));
    const summary = await run({}, d);
    expect(summary).toMatchObject({ done: 1, failed: 1, exitCode: EXIT.partial });
    expect(await s.read("failed_snapshot_recovery")).toBe(csv([s.t1, C1, "verify-metadata"]));
    expect(d.lines.filter((l) => l.includes("WARNING: backup metadata") && l.includes("is not valid"))).toHaveLength(1);
  });
});

describe("snapshots without metadata (taken by the bash tool)", () => {
  it("get a status check only, with one notice per snapshot", async () => {
    const s = await stagedBackup("verify-no-meta", { emuStorage: "s3", dest: "s3", metadata: false });
    const d = s.deps();

    const summary = await run({}, d);

    expect(summary).toMatchObject({ done: 4, failed: 0, exitCode: EXIT.ok });
    expect(summary.items.map((i) => i["verified"])).toEqual([
      "status-only",
      "status-only",
      "status-only",
      "status-only",
    ]);
    for (const name of [C1, C2])
      expect(d.lines.filter((l) => l.includes(`No backup metadata for ${name}`))).toHaveLength(1);
    for (const node of [1, 2]) expect(checks(s, node).sort()).toEqual(["GET /collections/c1", "GET /collections/c2"]);
  });

  it("still fail the status check when the collection is red", async () => {
    const s = await stagedBackup("verify-no-meta-red", { emuStorage: "local", dest: "s3", metadata: false });
    s.emu.faults.afterRecover({ error: "Service internal error: broken segment" });
    const summary = await run({}, s.deps(ONE(s)));
    expect(summary).toMatchObject({ failed: 2, exitCode: EXIT.partial });
    expect(sortedLines(await s.read("failed_snapshot_recovery"))).toEqual([
      `${s.t1},${C1},verify-status`,
      `${s.t1},${C2},verify-status`,
    ]);
  });
});

describe("QDRANT_VERIFY_AFTER_RECOVER=false", () => {
  it("checks nothing: a red collection after recovery passes", async () => {
    const s = await stagedBackup("verify-off", { emuStorage: "s3", dest: "s3" });
    s.emu.faults.afterRecover({ error: "Service internal error: broken" });
    const summary = await run({}, s.deps({ QDRANT_VERIFY_AFTER_RECOVER: "false" }));
    expect(summary).toMatchObject({ done: 4, failed: 0, exitCode: EXIT.ok });
    expect(checks(s, 1)).toEqual([]);
    expect(checks(s, 2)).toEqual([]);
  });
});

describe("re-runs after a failed check", () => {
  it("check the recovery again without recovering again, until it passes (then `verified` in the history)", async () => {
    const s = await stagedBackup("verify-rerun", { emuStorage: "local", dest: "dir" });
    await s.editMetadata("c1", (m) => ({ ...m, pointsCount: 99 }));
    expect((await run({}, s.deps(ONE(s)))).exitCode).toBe(EXIT.partial);

    s.emu.resetRequests();
    const again = await run({}, s.deps(ONE(s)));
    expect(again).toMatchObject({ done: 0, skipped: 1, failed: 1, exitCode: EXIT.partial });
    expect(await s.read("failed_snapshot_recovery")).toBe(csv([s.t1, C1, "verify-count"], [s.t1, C1, "verify-count"]));
    expect(s.requests("POST", UPLOAD)).toEqual([]);
    expect(checks(s, 1)).toEqual(["GET /collections/c1", "POST /collections/c1/points/count"]);

    // The operator finds the metadata was wrong (or fixes the collection) and runs it again.
    await s.editMetadata("c1", (m) => ({ ...m, pointsCount: 20 }));
    const fixed = await run({}, s.deps(ONE(s)));
    expect(fixed).toMatchObject({ done: 1, skipped: 1, failed: 0, exitCode: EXIT.ok });
    expect(fixed.message).toBe(
      "Snapshots recovered: 0, accepted: 0, already recovered: 1, failed: 0 (1 verified again)",
    );
    expect(sortedLines(await s.read("snapshot_recovery_history"))).toEqual(
      sortedLines(csv([s.t1, C1, "ok"], [s.t1, C2, "ok"], [s.t1, C2, "verified"], [s.t1, C1, "verified"])),
    );

    s.emu.resetRequests();
    const quiet = await run({}, s.deps(ONE(s)));
    expect(quiet).toMatchObject({ done: 0, skipped: 2, failed: 0, exitCode: EXIT.ok });
    expect(s.emu.requests()).toEqual([]);
  });

  it("with --all, do not check an older snapshot again once a newer one of its collection was recovered there", async () => {
    const s = await stagedBackup("verify-superseded", { emuStorage: "s3", dest: "s3" });
    // The older snapshot's check fails (its metadata is wrong); a newer snapshot of c1 is then recovered and passes.
    await s.editMetadata("c1", (m) => ({ ...m, pointsCount: 5 }));
    await s.write("snapshots", csv([s.src, "c1", C1]));
    expect((await run({}, s.deps(ONE(s)))).exitCode).toBe(EXIT.partial);
    s.clock.set("2026-03-01T10:00:00Z");
    await qdrantCall(s.src, "POST", "/collections/c1/snapshots?wait=true", API_KEY);
    const newer = "c1-1-2026-03-01-10-00-00.snapshot";
    await s.write("snapshots", csv([s.src, "c1", C1], [s.src, "c1", newer]));
    const d2 = s.deps(ONE(s));
    const second = await run({ all: true }, d2);
    // The newer snapshot is recovered and checked (it has no metadata: status only); C1's data is gone, so is its check.
    expect(second).toMatchObject({ done: 1, skipped: 1, failed: 0, exitCode: EXIT.ok });
    expect(
      d2.lines.some((l) =>
        l.includes(`Not checking ${C1} on ${s.t1} again: c1 was recovered there from ${newer} since`),
      ),
    ).toBe(true);
    expect(await s.read("failed_snapshot_recovery")).toBe(csv([s.t1, C1, "verify-count"]));

    s.emu.resetRequests();
    const d = s.deps(ONE(s));
    const third = await run({ all: true }, d);
    expect(third).toMatchObject({ done: 0, skipped: 2, failed: 0, exitCode: EXIT.ok });
    expect(s.requests("GET", /^\/collections\/c1$/)).toEqual([]);
    expect(s.requests("PUT", RECOVER)).toEqual([]);
    expect(
      d.lines.some((l) =>
        l.includes(`Not checking ${C1} on ${s.t1} again: a newer snapshot of c1 was recovered there since`),
      ),
    ).toBe(true);
  });
});

describe("interrupts", () => {
  it("an interrupt while waiting for green records the recovery and no failure (exit 130)", async () => {
    const s = await stagedBackup("verify-interrupt", { emuStorage: "local", dest: "dir" });
    s.emu.faults.afterRecover({ yellowPolls: Infinity });
    await s.write("snapshots", csv([s.src, "c1", C1]));
    const controller = new AbortController();
    const running = run({}, s.deps(ONE(s), { signal: controller.signal })).then(
      () => undefined,
      (err: unknown) => err,
    );
    await waitUntil("the recovery is recorded", async () => (await s.read("snapshot_recovery_history")) !== undefined);
    await waitUntil("the check polls", async () => checks(s, 1).length >= 2);
    controller.abort(new InterruptedError("interrupted by SIGTERM"));

    expect(await running).toMatchObject({ exitCode: EXIT.interrupted });
    expect(await s.read("snapshot_recovery_history")).toBe(csv([s.t1, C1, "ok"]));
    expect(await s.read("failed_snapshot_recovery")).toBeUndefined();
  });
});

describe("metadata written by hand", () => {
  it("without a pointsCount or collectionConfig checks what it has (status, scroll)", async () => {
    const s = await stagedBackup("verify-partial-meta", { emuStorage: "s3", dest: "s3" });
    const { pointsCount: _count, collectionConfig: _config, ...rest } = s.metadata.c1;
    await writeMetadata(s.store(), collectionSnapshotKey("c1", C1), rest);
    const summary = await run({}, s.deps(ONE(s)));
    expect(summary).toMatchObject({ done: 2, failed: 0, exitCode: EXIT.ok });
    expect(summary.items.find((i) => i["collection"] === "c1")?.["verified"]).toBe("full");
  });
});

describe("several snapshots of one collection", () => {
  it("with --all are all recovered first; the host is then checked once, against the last (the others `covered`)", async () => {
    const s = await stagedBackup("verify-generations", { emuStorage: "s3", dest: "s3" });
    // A second generation of c1 with its own metadata (23 points); the first one's metadata (20) no longer applies.
    await qdrantCall(s.src, "PUT", "/collections/c1/points?wait=true", API_KEY, {
      points: [1, 2, 3].map((i) => ({ id: 100 + i, vector: [i, 0, 0, 1], payload: {} })),
    });
    s.clock.set("2026-03-01T10:00:00Z");
    await qdrantCall(s.src, "POST", "/collections/c1/snapshots?wait=true", API_KEY);
    const newer = "c1-1-2026-03-01-10-00-00.snapshot";
    const { sha256: _sha, ...first } = s.metadata.c1;
    await writeMetadata(s.store(), collectionSnapshotKey("c1", newer), { ...first, snapshot: newer, pointsCount: 23 });
    await s.write("snapshots", csv([s.src, "c1", newer], [s.src, "c1", C1]));

    const summary = await run({ all: true }, s.deps(ONE(s)));

    expect(summary).toMatchObject({ done: 2, failed: 0, exitCode: EXIT.ok });
    expect(summary.items.map((i) => `${i["snapshot"]} ${i["verified"]}`)).toEqual([`${C1} covered`, `${newer} full`]);
    expect(checks(s, 1)).toEqual([
      "GET /collections/c1",
      "POST /collections/c1/points/count",
      "POST /collections/c1/points/scroll",
    ]);
  });
});

describe("restore hosts that are the peers of one cluster", () => {
  it("recover every peer's snapshot on every peer, then check each peer once the collection is complete", async () => {
    const s3info = inject("s3");
    const bucket = await createTestBucket(s3info, "verify-cluster");
    const storage = {
      kind: "s3" as const,
      endpoint: s3info.endpoint,
      bucket,
      accessKey: s3info.accessKey,
      secretKey: s3info.secretKey,
      region: s3info.region,
    };
    const source = await startEmulator({ cluster: { peers: 3, shards: 3, replicationFactor: 2 }, storage });
    const target = await startEmulator({ cluster: { peers: 3, shards: 3, replicationFactor: 2 }, storage });
    const tmp = await makeTempDir("verify-cluster");
    onTestFinished(async () => {
      await Promise.all([source.stop(), target.stop()]);
      await tmp.cleanup();
    });
    await seedCollection(source.urls[0] ?? "", "docs", { points: 60, dim: 4, shards: 3, rf: 2 });
    const env = {
      ...s3Env(s3info, bucket),
      QDRANT_VERIFY_TIMEOUT: "20",
      QDRANT_SOURCE_HOSTS: source.urls[0] ?? "",
      GET_PEERS_FROM_CLUSTER_INFO: "true",
      QDRANT_HTTP_PORT: String(source.nodes[0]?.port),
      QDRANT_RESTORE_HOSTS: target.urls.join(","),
    };
    const d = createTestDeps(env, { stateDir: tmp.dir });
    onTestFinished(() => d.close());
    // create_snap writes each peer's snapshot with its metadata: each holds only that peer's shards, while its
    // exact count (asked of that peer) is the whole collection's.
    expect(await createSnap({}, d)).toMatchObject({ done: 3, exitCode: EXIT.ok });

    const summary = await run({}, d);

    expect(summary).toMatchObject({ done: 9, failed: 0, exitCode: EXIT.ok });
    expect(summary.items.filter((i) => i["verified"] === "full")).toHaveLength(3);
    expect(summary.items.filter((i) => i["verified"] === "covered")).toHaveLength(6);
    expect(d.lines.filter((l) => /Verified docs on .*: green, 60 points/.test(l))).toHaveLength(3);
  });
});
