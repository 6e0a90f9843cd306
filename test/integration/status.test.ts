// status against the emulator and the local S3 (or a QDRANT_BACKUP_DIR): legacy snapshots and backup sets made by the
// real create_snap and create_snap_shards, recoveries recorded in the state files, a collection of the source without
// a recent backup (exit 3), an empty destination, a bucket that cannot be read (exit 4), and that it writes nothing.
import { readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
import { run as createSnap } from "../../src/commands/create_snap.js";
import { run as createSnapShards } from "../../src/commands/create_snap_shards.js";
import { run } from "../../src/commands/status.js";
import { EXIT, UpstreamError } from "../../src/errors.js";
import { createTestDeps, type TestDeps } from "../support/deps.js";
import { makeTempDir } from "../support/tmp.js";
import { seedCollection } from "../support/emulator/seed.js";
import { putText } from "../support/sets/write-sets.js";
import { manualClock } from "./helpers/rig.js";
import { API_KEY, startTransferRig, type TransferRig } from "./helpers/transfer-rig.js";

const HOUR = 3_600_000;

/** The state directory's files and their bytes. */
async function stateFiles(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of (await readdir(dir)).sort()) out[name] = await readFile(path.join(dir, name), "utf8");
  return out;
}

/** Every key and its bytes in the destination. */
async function destination(rig: TransferRig): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const key of await rig.dest.keys()) out[key] = (await rig.dest.read(key))!.toString("base64");
  return out;
}

const itemOf = (items: Record<string, string>[], collection: string) =>
  items.find((i) => i["record"] === "collection" && i["collection"] === collection)!;

/** alpha (10 points) and beta (7) on the node, each backed up by create_snap and then create_snap_shards. */
async function backedUp(rig: TransferRig, env: Record<string, string> = {}): Promise<TestDeps> {
  const url = rig.urls[0]!;
  await seedCollection(url, "alpha", { points: 10, dim: 4, apiKey: API_KEY });
  await seedCollection(url, "beta", { points: 7, dim: 4, shards: 2, apiKey: API_KEY });
  const deps = rig.deps({ QDRANT_SOURCE_HOSTS: url, HOSTNAME: "pod-s", ...env });
  expect((await createSnap({}, deps)).exitCode).toBe(EXIT.ok);
  expect((await createSnapShards({}, deps)).exitCode).toBe(EXIT.ok);
  return deps;
}

describe.each(["s3", "dir"] as const)("status on a %s destination", (kind) => {
  const rigOf = (label: string, clock?: () => Date) =>
    startTransferRig(`${label}-${kind}`, {
      dest: kind,
      storage: kind === "s3" ? "s3-destination" : "local",
      nodes: 1,
      ...(clock ? { clock } : {}),
    });
  /** Transfer mode for a directory: the node keeps its snapshots on its disk. */
  const transfer: Record<string, string> = kind === "dir" ? { QDRANT_SNAPSHOT_TRANSFER: "true" } : {};

  it("shows each collection's newest legacy snapshot and newest set with their facts, and the recoveries per restore host; writes nothing", async () => {
    const rig = await rigOf("status-both");
    const deps = await backedUp(rig, transfer);
    const url = rig.urls[0]!;
    const setKey = (await rig.dest.keys("backup_manifests/alpha/"))[0]!;
    const setId = /^backup_manifests\/alpha\/(.+)\.json$/.exec(setKey)![1]!;
    const legacyKey = (await rig.dest.keys("snapshots/alpha/")).find((k) => !k.includes("/shards/"))!;
    const legacyName = legacyKey.slice("snapshots/alpha/".length);
    const legacySize = (await rig.dest.read(legacyKey))!.length;
    // Recoveries as recover_snap and recover_snap_shards record them, a failure made good, one not, and a torn last line.
    const h1 = "http://restore-1:6333";
    const h2 = "http://restore-2:6333";
    await writeFile(
      path.join(rig.stateDir, "snapshot_recovery_history"),
      `${h1},a.snapshot,ok\n${h1},a.snapshot,verified\n${h1},b.snapshot,ok\n${h2},a.snapshot,accepted\n${h1},c.snap`,
    );
    await writeFile(
      path.join(rig.stateDir, "failed_snapshot_recovery"),
      `${h1},b.snapshot,verify-points\n${h1},a.snapshot,http-500\n${h2},d.snapshot,http-404\n`,
    );
    await writeFile(
      path.join(rig.stateDir, "shard_recovery_history"),
      `${h2},alpha,${setId},-,started\n${h2},alpha,${setId},0,ok\n${h2},beta,${setId},-,started\n`,
    );
    const before = { state: await stateFiles(rig.stateDir), dest: await destination(rig) };

    const summary = await run({}, rig.deps({ QDRANT_SOURCE_HOSTS: url }));

    expect(summary).toMatchObject({ task: "status", done: 2, skipped: 1, failed: 0, exitCode: EXIT.ok });
    expect(summary.items.filter((i) => i["record"] === "warning")).toEqual([
      {
        outcome: "skipped",
        record: "warning",
        warning: expect.stringMatching(
          /^state file snapshot_recovery_history: .*a torn last line, not counted$/,
        ) as string,
      },
    ]);
    expect(await stateFiles(rig.stateDir)).toEqual(before.state);
    expect(await destination(rig)).toEqual(before.dest);
    const alpha = itemOf(summary.items, "alpha");
    expect(alpha).toMatchObject({
      outcome: "done",
      on_source: "true",
      stale: "false",
      legacy_id: legacyName,
      legacy_size: String(legacySize),
      legacy_sources: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+/) as string,
      legacy_qdrant_version: "1.19.0",
      legacy_points: "10",
      legacy_kept: "1",
      legacy_peers: "1",
      set_id: setId,
      set_qdrant_version: "1.19.0",
      set_points: "10",
      set_kept: "1",
      set_shards: "1",
    });
    expect(Number(alpha["legacy_age_seconds"])).toBeLessThan(600);
    expect(Number(alpha["set_size"])).toBeGreaterThan(0);
    expect(itemOf(summary.items, "beta")).toMatchObject({ set_shards: "2", set_points: "7", legacy_points: "7" });
    const hosts = summary.items.filter((i) => i["record"] === "restore_host");
    expect(hosts).toEqual([
      {
        outcome: "done",
        record: "restore_host",
        host: h1,
        recovered: "2",
        verified: "1",
        accepted: "0",
        failed: "1", // b's check failed and never passed; a's failed recovery was made good
        set_restores: "0",
        shards: "0",
      },
      {
        outcome: "done",
        record: "restore_host",
        host: h2,
        recovered: "0",
        verified: "0",
        accepted: "1",
        failed: "1",
        set_restores: "2",
        shards: "1",
      },
    ]);
    const lines = summary.report!;
    expect(lines[0]).toBe(`destination ${deps.store().location}`);
    expect(lines[1]).toMatch(/^COLLECTION +KIND +NEWEST +AGE +SIZE +SOURCE +QDRANT +POINTS +KEPT$/);
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^alpha +legacy +${legacyName} +\\d+ s +`)));
    expect(lines).toContainEqual(
      expect.stringMatching(new RegExp(`^alpha +set +${setId} .* 1 shard\\(s\\) +1\\.19\\.0 +10 +1$`)),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(/^RESTORE HOST +RECOVERED +VERIFIED +ACCEPTED +FAILED +SET RESTORES +SHARDS$/),
    );
    expect(lines).toContainEqual(expect.stringMatching(/^http:\/\/restore-1:6333 +2 +1 +0 +1 +0 +0$/));
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^warn {2}state file snapshot_recovery_history: .*c\.snap.* a torn last line, not counted$/,
      ),
    );
    expect(summary.message).toMatch(
      /^2 collections in .*: 2 with legacy snapshots, 2 with backup sets; 0 stale \(no backup newer than 24 h\); 2 restore hosts in the state files; 1 warnings$/,
    );
  });

  it("a collection of the source without a backup newer than QDRANT_STATUS_MAX_AGE_HOURS is a STALE warning and exit 3; one without any backup too", async () => {
    const clock = manualClock(new Date(Date.now() - 30 * HOUR).toISOString());
    const rig = await rigOf("status-stale", clock.now);
    const url = rig.urls[0]!;
    await seedCollection(url, "old", { points: 3, dim: 2, apiKey: API_KEY });
    expect((await createSnap({}, rig.deps({ QDRANT_SOURCE_HOSTS: url, ...transfer }))).exitCode).toBe(EXIT.ok);
    await seedCollection(url, "never", { points: 2, dim: 2, apiKey: API_KEY });

    const summary = await run({}, rig.deps({ QDRANT_SOURCE_HOSTS: url }));

    expect(summary).toMatchObject({ done: 0, failed: 2, exitCode: EXIT.partial });
    expect(itemOf(summary.items, "old")).toMatchObject({ outcome: "failed", stale: "true", legacy_kept: "1" });
    expect(itemOf(summary.items, "never")).toMatchObject({ outcome: "failed", stale: "true", legacy_kept: "0" });
    expect(summary.report).toContain("warn  STALE old: its newest backup is 30 h old (QDRANT_STATUS_MAX_AGE_HOURS=24)");
    expect(summary.report).toContainEqual(
      expect.stringMatching(
        /^warn {2}STALE never: on the source, but no backup of it in .* \(QDRANT_STATUS_MAX_AGE_HOURS=24\)$/,
      ),
    );

    const wider = await run({}, rig.deps({ QDRANT_SOURCE_HOSTS: url, QDRANT_STATUS_MAX_AGE_HOURS: "48" }));
    expect(wider).toMatchObject({ done: 1, failed: 1, exitCode: EXIT.partial });
    expect(itemOf(wider.items, "old")).toMatchObject({ outcome: "done", stale: "false" });

    const unchecked = await run({}, rig.deps());
    expect(unchecked).toMatchObject({ done: 1, failed: 0, exitCode: EXIT.ok });
    expect(unchecked.items.map((i) => i["collection"] ?? i["warning"])).toEqual([
      "old",
      "source: QDRANT_SOURCE_HOSTS is not set: no freshness check",
    ]);
    expect(unchecked.report).toContain("warn  source: QDRANT_SOURCE_HOSTS is not set: no freshness check");
    expect(unchecked.message).toMatch(/; freshness not checked; /);
  });

  it("an empty destination: no collection, no recovery; with a source, each of its collections is stale", async () => {
    const rig = await rigOf("status-empty");
    await seedCollection(rig.urls[0]!, "lonely", { points: 2, dim: 2, apiKey: API_KEY });

    const bare = await run({}, rig.deps());

    expect(bare).toMatchObject({
      done: 0,
      skipped: 1,
      failed: 0,
      exitCode: EXIT.ok,
      items: [
        {
          outcome: "skipped",
          record: "warning",
          warning: "source: QDRANT_SOURCE_HOSTS is not set: no freshness check",
        },
      ],
    });
    expect(bare.report).toEqual([
      `destination ${rig.deps().store().location}`,
      "no collection has a backup there",
      "",
      "no recoveries recorded in the state files",
      "warn  source: QDRANT_SOURCE_HOSTS is not set: no freshness check",
    ]);
    expect(await readdir(rig.stateDir)).toEqual([]);

    const withSource = await run({}, rig.deps({ QDRANT_SOURCE_HOSTS: rig.urls[0]! }));
    expect(withSource).toMatchObject({ done: 0, failed: 1, exitCode: EXIT.partial });
    expect(withSource.report).toContainEqual(expect.stringMatching(/^lonely +legacy +- +0$/));
  });
});

describe("status when something cannot be read", () => {
  it("a QDRANT_BACKUP_DIR that does not exist is said so (not mounted?), and reads as empty", async () => {
    const state = await makeTempDir("status-nodir");
    onTestFinished(() => state.cleanup());
    const missing = path.join(state.dir, "not-mounted");
    const deps = createTestDeps({ QDRANT_BACKUP_DIR: missing }, { stateDir: state.dir });
    onTestFinished(() => deps.close());

    const summary = await run({}, deps);

    expect(summary).toMatchObject({ exitCode: EXIT.ok, skipped: 2 });
    expect(summary.items.map((i) => i["record"])).toEqual(["warning", "warning"]);
    expect(summary.report).toContain(
      `warn  QDRANT_BACKUP_DIR ${missing} does not exist: nothing was written there yet, or it is not mounted`,
    );
    expect(await readdir(state.dir)).toEqual([]);
  });

  it("a newer set whose manifest is not valid: the newest readable set is shown, the broken one warned about", async () => {
    const rig = await startTransferRig("status-badset", { dest: "s3", storage: "s3-destination", nodes: 1 });
    const deps = await backedUp(rig);
    const good = (await rig.dest.keys("backup_manifests/alpha/"))[0]!;
    await putText(deps.store(), "backup_manifests/alpha/2999-01-01T00-00-00Z-later.json", "{not json");

    const summary = await run({}, rig.deps());

    expect(itemOf(summary.items, "alpha")).toMatchObject({
      set_id: /^backup_manifests\/alpha\/(.+)\.json$/.exec(good)![1],
      set_kept: "2",
      set_problem: expect.stringMatching(
        /^1 newer set\(s\) unreadable: .*2999-01-01T00-00-00Z-later\.json: invalid manifest/,
      ) as string,
    });
    expect(summary.report).toContainEqual(expect.stringMatching(/^warn {2}alpha set: 1 newer set\(s\) unreadable: /));
    expect(summary.exitCode).toBe(EXIT.ok);
  });

  it("a bucket that does not exist: UpstreamError (exit 4) naming it, nothing written", async () => {
    const rig = await startTransferRig("status-nobucket", { dest: "s3", nodes: 1 });
    const deps = rig.deps({ QDRANT_S3_BUCKET_NAME: "no-such-bucket-status" });

    const error = await run({}, deps).catch((err: unknown) => err);

    expect(error).toBeInstanceOf(UpstreamError);
    expect((error as Error).message).toMatch(/no-such-bucket-status/);
    expect((error as Error).message).not.toMatch(/\n/);
    expect(await readdir(rig.stateDir)).toEqual([]);
  });

  it("a source host that does not answer: the destination is still reported, the check is skipped and said so, exit 4", async () => {
    const rig = await startTransferRig("status-nosource", { dest: "s3", storage: "s3-destination", nodes: 1 });
    await backedUp(rig);
    const down = "http://127.0.0.1:9";

    const summary = await run({}, rig.deps({ QDRANT_SOURCE_HOSTS: down, QDRANT_RETRIES: "0" }));

    expect(summary.exitCode).toBe(EXIT.upstream);
    expect(summary.items.filter((i) => i["record"] === "collection").map((i) => [i["collection"], i["stale"]])).toEqual(
      [
        ["alpha", "false"],
        ["beta", "false"],
      ],
    );
    expect(summary.report).toContainEqual(
      expect.stringMatching(
        /^warn {2}source: cannot list the collections of http:\/\/127\.0\.0\.1:9 \(.+\): no freshness check$/,
      ),
    );
  });
});
