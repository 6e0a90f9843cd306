// prune_snap on backup sets through the built CLI: sets written into the bucket as the bash tool writes them, the
// collections found from the bucket's folders. The dry run prints the plan and deletes nothing; --confirm deletes
// the oldest sets (manifest, shards, companions) and sweeps an old orphan; --legacy prunes the legacy collection
// snapshots and nothing else. Every run is secret-scanned.
import { describe, expect, inject, it, onTestFinished } from "vitest";
import { createTestDeps } from "../support/deps.js";
import { runCli, type CliResult } from "../support/cli.js";
import { createTestBucket } from "../support/s3/client.js";
import { putText, setIdAt, writeSet, type WrittenSet } from "../support/sets/write-sets.js";
import { makeTempDir } from "../support/tmp.js";
import { expectExit, expectLogLines, parseJsonSummary, s3Env, type Env } from "./harness.js";
import { assertNoSecrets } from "./secret-scan.js";

const s3 = inject("s3");

describe("prune_snap on backup sets, through the CLI", () => {
  it("dry run deletes nothing; --confirm deletes the oldest sets and an old orphan; --legacy only legacy snapshots", async () => {
    const bucket = await createTestBucket(s3, "e2e-prune-sets");
    const cwd = await makeTempDir("e2e-prune-sets");
    const deps = createTestDeps(s3Env(s3, bucket), { stateDir: cwd.dir });
    onTestFinished(async () => {
      await deps.close();
      await cwd.cleanup();
    });
    const store = deps.store();
    const sets: WrittenSet[] = [];
    for (const day of ["18", "19", "20"])
      sets.push(await writeSet(store, "c1", setIdAt(`2026-11-${day}T02:00:00Z`), { shards: 3, checksums: true }));
    const orphan = "snapshots/c1/shards/2/c1-shard-2-2026-11-20-01-59-00.snapshot";
    const legacy = ["18", "19", "20"].map((d) => `snapshots/c1/c1-7-2026-11-${d}-00-00-00.snapshot`);
    for (const key of [orphan, ...legacy]) await putText(store, key, "x");
    const keys = async () => (await store.listKeys("")).sort();
    const before = await keys();
    await new Promise((resolve) => setTimeout(resolve, 1_100)); // the orphan is older than the 1 s grace below
    const env: Env = { ...s3Env(s3, bucket), QDRANT_BACKUP_RETENTION_SETS: "1", QDRANT_SWEEP_GRACE_SECONDS: "1" };
    const cli = async (args: string[], extra: Env = {}): Promise<CliResult> => {
      const result = await runCli(args, { env: { ...env, ...extra }, cwd: cwd.dir });
      await assertNoSecrets({
        stdout: result.stdout,
        stderr: result.stderr,
        stateDir: cwd.dir,
        secrets: { QDRANT_S3_SECRET_ACCESS_KEY: s3.secretKey },
      });
      return result;
    };

    const dry = await cli(["prune_snap", "--json", "--items"]);
    expectExit(dry, 0);
    expectLogLines(dry.stderr);
    const planned = (parseJsonSummary(dry.stdout).tasks[0]?.items ?? []).filter((i) => i["group"] === "sets of c1");
    expect(planned.map((i) => [i["key"], i["action"], i["outcome"]])).toEqual([
      [sets[2]!.id, "keep", "skipped"],
      [sets[0]!.id, "delete", "skipped"],
      [sets[1]!.id, "delete", "skipped"],
      [orphan, "sweep", "skipped"],
    ]);
    for (const key of [sets[0]!.manifest, ...sets[0]!.shards]) expect(dry.stderr).toContain(key);
    expect(dry.stderr).toContain("QDRANT_SWEEP_GRACE_SECONDS=1 is under 3600");
    expect(await keys()).toEqual(before);

    const confirmed = await cli(["prune_snap", "--confirm"]);
    expectExit(confirmed, 0);
    expect(confirmed.stdout).toBe(
      "[prune_snap] Deleted 0 of 3 snapshots in 1 group, 3 kept, 0 failed; Sets: deleted 2 sets, swept 1 orphaned shard object\n",
    );
    const gone = [...sets[0]!.shards, ...sets[1]!.shards].flatMap((k) => [k, `${k}.checksum`]);
    expect(await keys()).toEqual(
      before.filter((k) => !gone.includes(k) && k !== orphan && k !== sets[0]!.manifest && k !== sets[1]!.manifest),
    );

    const legacyRun = await cli(["prune_snap", "--legacy", "--confirm"], { QDRANT_LEGACY_KEEP_RUNS: "1" });
    expectExit(legacyRun, 0);
    expect(legacyRun.stdout).toBe("[prune_snap] Legacy: deleted 2 legacy snapshots\n");
    const after = await keys();
    expect(after.filter((k) => k.startsWith("snapshots/c1/c1-7-"))).toEqual([legacy[2]]);
    expect(after.filter((k) => k.startsWith("backup_manifests/"))).toEqual([sets[2]!.manifest]);
    expect(after.filter((k) => k.startsWith("snapshots/c1/shards/"))).toEqual(
      sets[2]!.shards.flatMap((k) => [k, `${k}.checksum`]).sort(),
    );
  });
});
