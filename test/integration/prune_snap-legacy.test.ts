// prune_snap --legacy: the bash tool's day-0 cleanup of legacy collection snapshots, keep QDRANT_LEGACY_KEEP_RUNS per
// (collection, peer), against objects written straight into the fake S3 bucket (the policy is about names).
import { describe, expect, it, onTestFinished } from "vitest";
import { run } from "../../src/commands/prune_snap.js";
import { EXIT } from "../../src/errors.js";
import { clearS3Faults, setS3Faults } from "../support/s3/fault-admin.js";
import { itWithS3Faults } from "../support/s3/impl.js";
import { readStateFile, startRig, type Rig } from "./helpers/rig.js";
import { setIdAt, writeSet, type WrittenSet } from "../support/sets/write-sets.js";

const snap = (c: string, peer: string, day: string) => `snapshots/${c}/${c}-${peer}-2026-11-${day}-02-00-00.snapshot`;

/**
 * c1: peer 1 on 11-17…11-20 (each with a .checksum, 11-17 with this tool's metadata), peer 22 on 11-19 and 11-20,
 * two names that do not parse, and a set; c2: peer 5 on 11-20 only.
 */
async function legacyBucket(rig: Rig): Promise<{ all: string[]; deleted: string[]; set: WrittenSet }> {
  const peer1 = ["17", "18", "19", "20"].map((d) => snap("c1", "1", d));
  const peer22 = ["19", "20"].map((d) => snap("c1", "22", d));
  const unparsed = ["snapshots/c1/c1-2026-11-01-02-00-00.snapshot", "snapshots/c1/manual-copy.snapshot"];
  const metadata = "backup_metadata/c1/c1-1-2026-11-17-02-00-00.snapshot.json";
  const objects = [
    ...peer1,
    ...peer1.map((k) => `${k}.checksum`),
    ...peer22,
    ...unparsed,
    metadata,
    snap("c2", "5", "20"),
  ];
  await rig.bucket.put(objects);
  const set = await writeSet(rig.deps().store(), "c1", setIdAt("2026-11-01T02:00:00Z"));
  const deleted = [peer1[0]!, `${peer1[0]!}.checksum`, metadata, peer1[1]!, `${peer1[1]!}.checksum`];
  return { all: [...objects, set.manifest, ...set.shards].sort(), deleted, set };
}

describe("prune_snap --legacy", () => {
  it("keeps QDRANT_LEGACY_KEEP_RUNS per (collection, peer), deletes the rest with companions; names that do not parse and sets stay", async () => {
    const rig = await startRig("legacy-keep", { nodes: 1 });
    const { all, deleted } = await legacyBucket(rig);
    const env = { QDRANT_LEGACY_KEEP_RUNS: "2", QDRANT_BACKUP_RETENTION_SETS: "1" };

    const dry = await run({ legacy: true }, rig.deps(env));
    expect(dry.exitCode).toBe(EXIT.ok);
    expect(dry.message).toBe("Legacy (dry run): 2 legacy snapshots would be deleted");
    expect(await rig.bucket.keys()).toEqual(all);

    const deps = rig.deps(env);
    const summary = await run({ legacy: true, confirm: true }, deps);

    expect(summary).toMatchObject({ exitCode: EXIT.ok, message: "Legacy: deleted 2 legacy snapshots", failed: 0 });
    expect(await rig.bucket.keys()).toEqual(all.filter((k) => !deleted.includes(k)));
    const keep = summary.items
      .filter((i) => i["action"] === "keep")
      .map((i) => [i["group"], i["key"], i["rules"]])
      .sort(([a], [b]) => (a! < b! ? -1 : a! > b! ? 1 : 0)); // collections run in parallel; stable within a group
    expect(keep).toEqual([
      ["legacy c1 peer 1", snap("c1", "1", "20"), "newest 1"],
      ["legacy c1 peer 1", snap("c1", "1", "19"), "newest 2"],
      ["legacy c1 peer 22", snap("c1", "22", "20"), "newest 1"],
      ["legacy c1 peer 22", snap("c1", "22", "19"), "newest 2"],
      ["legacy c2 peer 5", snap("c2", "5", "20"), "newest 1"],
    ]);
    expect(
      deps.lines.some((l) => l.includes("keep snapshots/c1/manual-copy.snapshot (legacy c1: its name is not")),
    ).toBe(true);
    const pruned = (await readStateFile(rig.dir, "pruned_snapshots")) ?? "";
    for (const key of deleted) expect(pruned).toContain(`,${key},`);
  });

  it("QDRANT_LEGACY_KEEP_RUNS=0 is refused (exit 2), never clamped", async () => {
    const rig = await startRig("legacy-zero", { nodes: 1 });
    expect(() => rig.deps({ QDRANT_LEGACY_KEEP_RUNS: "0" })).toThrow(/QDRANT_LEGACY_KEEP_RUNS/);
  });

  itWithS3Faults("a collection that cannot be listed: nothing of it deleted, the others pruned, exit 3", async () => {
    const rig = await startRig("legacy-listfail", { nodes: 1 });
    const { all } = await legacyBucket(rig);
    await rig.bucket.put([snap("c2", "5", "18"), snap("c2", "5", "19")]);
    const { name } = rig.bucket;
    const endpoint = rig.s3info.endpoint;
    await setS3Faults(endpoint, { rate: 1, statuses: [500], keyPattern: "^snapshots/c1/$", bucket: name });
    onTestFinished(() => clearS3Faults(endpoint, name));

    const summary = await run(
      { legacy: true, confirm: true },
      rig.deps({ QDRANT_LEGACY_KEEP_RUNS: "1", QDRANT_RETRIES: "0" }),
    );
    await clearS3Faults(endpoint, name);

    expect(summary.exitCode).toBe(EXIT.partial);
    expect(summary.items.filter((i) => i["outcome"] === "failed").map((i) => [i["group"], i["action"]])).toEqual([
      ["legacy c1", "list"],
    ]);
    expect(await rig.bucket.keys()).toEqual(
      all
        .filter((k) => !k.startsWith("snapshots/c2/"))
        .concat(snap("c2", "5", "20"))
        .sort(),
    );
  });
});
