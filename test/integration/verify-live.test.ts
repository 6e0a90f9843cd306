// A collection written to while it is backed up: create_snap counts its points right before and right after the
// snapshot (pointsCount, pointsCountAfter), and the check after a restore accepts a count within that range, widened
// by QDRANT_VERIFY_TOLERANCE_PCT; equal counts stay exact. A run stopped between a recovery and its check leaves the
// check to the next run (every passing check is recorded `verified`).
import { describe, expect, it } from "vitest";
import { readMetadata, writeMetadata } from "../../src/backup/metadata.js";
import { run as createSnap } from "../../src/commands/create_snap.js";
import { run as recoverSnap } from "../../src/commands/recover_snap.js";
import { EXIT, InterruptedError } from "../../src/errors.js";
import { collectionSnapshotKey } from "../../src/core/keys.js";
import type { StoredPoint } from "../support/emulator/index.js";
import { seedCollection } from "../support/emulator/seed.js";
import { csv, sortedLines, startRig, type Rig } from "./helpers/rig.js";

/** `n` new points with ids from `from`. */
function points(from: number, n: number): StoredPoint[] {
  return Array.from({ length: n }, (_, i) => ({ id: from + i, vector: [1, 0, i, 0], payload: { live: true } }));
}

/**
 * Backs up c1 (20 points) from node 0 while it is written to: 3 points land between the count and the snapshot (the
 * snapshot holds 23), 4 more right after the snapshot, before the second count (27).
 */
async function liveBackup(rig: Rig): Promise<{ src: string; target: string; snapshot: string }> {
  const [src = "", target = ""] = rig.urls;
  await seedCollection(src, "c1", { points: 20, dim: 4 });
  rig.emu.faults.add({
    node: 0,
    method: "POST",
    path: "/collections/c1/snapshots",
    times: 1,
    onMatch: () => rig.emu.upsert(0, "c1", points(1000, 3)),
  });
  rig.emu.faults.add({
    node: 0,
    method: "POST",
    path: "/collections/c1/points/count",
    onMatch: ({ count }) => count === 2 && rig.emu.upsert(0, "c1", points(2000, 4)),
  });
  const created = await createSnap({}, rig.deps({ QDRANT_SOURCE_HOSTS: src }));
  expect(created).toMatchObject({ done: 1, failed: 0, exitCode: EXIT.ok });
  rig.emu.faults.clear();
  const snapshot = sortedLines(await rig.read("snapshots"))[0]!.split(",")[2]!;
  return { src, target, snapshot };
}

describe("a restore of a collection written to during its backup", () => {
  it("passes its check: the metadata holds the counts before and after the snapshot, and the restored count lies between", async () => {
    const rig = await startRig("verify-live", { nodes: 2 });
    const { target, snapshot } = await liveBackup(rig);
    const store = rig.deps().store();
    expect(await readMetadata(store, collectionSnapshotKey("c1", snapshot))).toMatchObject({
      pointsCount: 20,
      pointsCountAfter: 27,
    });

    const d = rig.deps({ QDRANT_RESTORE_HOSTS: target });
    const summary = await recoverSnap({}, d);

    expect(summary).toMatchObject({ done: 1, failed: 0, exitCode: EXIT.ok });
    expect(summary.items[0]).toMatchObject({ verified: "full" });
    expect(d.lines.some((l) => l.includes(`Verified c1 on ${target}: green, 23 points`))).toBe(true);
    expect(await rig.read("snapshot_recovery_history")).toBe(
      csv([target, snapshot, "ok"], [target, snapshot, "verified"]),
    );
    expect(await rig.read("failed_snapshot_recovery")).toBeUndefined();
  });

  it("fails with verify-count, naming the counts and the range, when the restored count lies outside the widened range", async () => {
    const rig = await startRig("verify-live-outside", { nodes: 2 });
    const { target, snapshot } = await liveBackup(rig);
    const store = rig.deps().store();
    const key = collectionSnapshotKey("c1", snapshot);
    const meta = (await readMetadata(store, key))!;
    // The snapshot holds 23; metadata that says 10 before and 12 after leaves it outside even 10 % wider (9 to 14).
    await writeMetadata(store, key, { ...meta, pointsCount: 10, pointsCountAfter: 12 });

    const summary = await recoverSnap(
      {},
      rig.deps({ QDRANT_RESTORE_HOSTS: target, QDRANT_VERIFY_TOLERANCE_PCT: "10" }),
    );

    expect(summary).toMatchObject({ done: 0, failed: 1, exitCode: EXIT.partial });
    expect(summary.items[0]?.["error"]).toBe(
      `c1 on ${target} holds 23 points; the backup metadata of ${snapshot} counted 10 before and 12 after the snapshot ` +
        "(written to meanwhile): expected 9 to 14 (QDRANT_VERIFY_TOLERANCE_PCT=10)",
    );
    expect(await rig.read("failed_snapshot_recovery")).toBe(csv([target, snapshot, "verify-count"]));
  });

  it("passes a count just outside the range only as far as QDRANT_VERIFY_TOLERANCE_PCT widens it", async () => {
    const rig = await startRig("verify-live-tolerance", { nodes: 2 });
    const { target, snapshot } = await liveBackup(rig);
    const store = rig.deps().store();
    const key = collectionSnapshotKey("c1", snapshot);
    const meta = (await readMetadata(store, key))!;
    // 23 restored; 24 before, 30 after (points deleted while the snapshot was taken): outside 24..30, inside 5 % wider (22..32).
    await writeMetadata(store, key, { ...meta, pointsCount: 24, pointsCountAfter: 30 });

    const strict = await recoverSnap({}, rig.deps({ QDRANT_RESTORE_HOSTS: target }));
    expect(strict).toMatchObject({ failed: 1, exitCode: EXIT.partial });
    expect(strict.items[0]?.["error"]).toMatch(
      /holds 23 points; .* expected 24 to 30 \(QDRANT_VERIFY_TOLERANCE_PCT=0\)$/,
    );

    const tolerant = await recoverSnap(
      {},
      rig.deps({ QDRANT_RESTORE_HOSTS: target, QDRANT_VERIFY_TOLERANCE_PCT: "5" }),
    );
    expect(tolerant).toMatchObject({ done: 1, failed: 0, exitCode: EXIT.ok });
    expect(tolerant.message).toContain("(1 verified again)");
  });

  it("stays exact when the counts before and after are equal, whatever the tolerance", async () => {
    const rig = await startRig("verify-live-exact", { nodes: 2 });
    const { target, snapshot } = await liveBackup(rig);
    const store = rig.deps().store();
    const key = collectionSnapshotKey("c1", snapshot);
    const meta = (await readMetadata(store, key))!;
    await writeMetadata(store, key, { ...meta, pointsCount: 22, pointsCountAfter: 22 });

    const summary = await recoverSnap(
      {},
      rig.deps({ QDRANT_RESTORE_HOSTS: target, QDRANT_VERIFY_TOLERANCE_PCT: "50" }),
    );

    expect(summary).toMatchObject({ failed: 1, exitCode: EXIT.partial });
    expect(summary.items[0]?.["error"]).toBe(
      `c1 on ${target} holds 23 points; the backup metadata of ${snapshot} says 22`,
    );
  });
});

describe("a run stopped between a recovery and its check", () => {
  it("leaves the check to the next run, which checks without recovering again and records verified", async () => {
    const rig = await startRig("verify-interrupted", { nodes: 2 });
    const { target, snapshot } = await liveBackup(rig);
    // Interrupted as the check's first request arrives (the recovery is recorded by then).
    const controller = new AbortController();
    rig.emu.faults.add({
      node: 1,
      method: "GET",
      path: "/collections/c1",
      times: 1,
      onMatch: () => controller.abort(new InterruptedError("interrupted by SIGTERM")),
    });
    const first = await recoverSnap({}, rig.deps({ QDRANT_RESTORE_HOSTS: target }, { signal: controller.signal })).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(first).toMatchObject({ exitCode: EXIT.interrupted });
    expect(await rig.read("snapshot_recovery_history")).toBe(csv([target, snapshot, "ok"]));

    rig.emu.faults.clear();
    rig.emu.resetRequests();
    const d = rig.deps({ QDRANT_RESTORE_HOSTS: target });
    const second = await recoverSnap({}, d);

    expect(second).toMatchObject({ done: 1, failed: 0, exitCode: EXIT.ok });
    expect(rig.requests("PUT", /\/snapshots\/recover$/)).toEqual([]);
    expect(rig.requests("POST", /^\/collections\/c1\/points\/count$/)).toHaveLength(1);
    expect(
      d.lines.some((l) =>
        l.includes(
          `Verified c1 on ${target} (recovered by an earlier run that stopped before its check): green, 23 points`,
        ),
      ),
    ).toBe(true);
    expect(await rig.read("snapshot_recovery_history")).toBe(
      csv([target, snapshot, "ok"], [target, snapshot, "verified"]),
    );

    // Checked once: a third run does nothing.
    rig.emu.resetRequests();
    expect(await recoverSnap({}, rig.deps({ QDRANT_RESTORE_HOSTS: target }))).toMatchObject({
      done: 0,
      skipped: 1,
      exitCode: EXIT.ok,
    });
    expect(rig.emu.requests()).toEqual([]);
  });
});
