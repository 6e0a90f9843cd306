// recover_snap's choice of snapshots: the newest per collection and source peer (after the filter), or all of them.
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
import { newestPerPeer } from "../../src/backup/recover-newest.js";
import { readRecoveryPlan } from "../../src/backup/recover-plan.js";
import { createTestDeps } from "../support/deps.js";
import { makeTempDir } from "../support/tmp.js";

const H = "http://src:6333";
/** c1 on a three-peer cluster, two nights each for peers 1 and 2, one for peer 3; two names without a peer id. */
const ROWS = [
  "c1-2-2026-03-02-02-00-00.snapshot",
  "c1-1-2026-03-01-02-00-00.snapshot",
  "c1-1-2026-03-02-02-00-00.snapshot",
  "c1-2-2026-03-01-02-00-00.snapshot",
  "c1-3-2026-03-01-02-00-00.snapshot",
  "c1-manual.snapshot",
  "c1-x-2026-03-03-02-00-00.snapshot",
];

async function plan(all: boolean, env: Record<string, string> = {}) {
  const tmp = await makeTempDir("recover-newest");
  onTestFinished(() => tmp.cleanup());
  const rows = [...ROWS.map((s) => `${H},c1,${s}`), `${H},c2,c2-7-2026-03-01-02-00-00.snapshot`];
  await writeFile(join(tmp.dir, "snapshots"), rows.map((r) => `${r}\n`).join(""), "utf8");
  const deps = createTestDeps(
    { QDRANT_RESTORE_HOSTS: "http://t:6333", QDRANT_BACKUP_DIR: tmp.dir, ...env },
    {
      stateDir: tmp.dir,
    },
  );
  onTestFinished(() => deps.close());
  return { ...(await readRecoveryPlan(deps, all)), lines: deps.lines };
}

describe("recover_snap's snapshot choice", () => {
  it("keeps the newest of each source peer of a cluster, and of the names without a peer id, oldest first", async () => {
    const { byCollection, lines } = await plan(false);

    expect(byCollection.get("c1")).toEqual([
      "c1-3-2026-03-01-02-00-00.snapshot",
      "c1-1-2026-03-02-02-00-00.snapshot",
      "c1-2-2026-03-02-02-00-00.snapshot",
      "c1-x-2026-03-03-02-00-00.snapshot",
    ]);
    expect(byCollection.get("c2")).toEqual(["c2-7-2026-03-01-02-00-00.snapshot"]);
    // One line for c1 (3 passed over), none for c2 (nothing passed over).
    expect(lines.filter((l) => l.includes("passed over"))).toEqual([
      expect.stringMatching(/c1: recovering the newest snapshot of each of 4 source peer\(s\) .*passed over 3 older/),
    ]);
  });

  it("applies QDRANT_SNAPSHOT_DATETIME_FILTER before choosing the newest", async () => {
    const { byCollection } = await plan(false, { QDRANT_SNAPSHOT_DATETIME_FILTER: "2026-03-01" });

    expect(byCollection.get("c1")).toEqual([
      "c1-1-2026-03-01-02-00-00.snapshot",
      "c1-2-2026-03-01-02-00-00.snapshot",
      "c1-3-2026-03-01-02-00-00.snapshot",
    ]);
  });

  it("--all keeps every listed snapshot, oldest first, and logs nothing passed over", async () => {
    const { byCollection, lines } = await plan(true);

    expect(byCollection.get("c1")).toHaveLength(ROWS.length);
    expect(byCollection.get("c1")?.slice(0, 2)).toEqual(["c1-manual.snapshot", "c1-1-2026-03-01-02-00-00.snapshot"]);
    expect(byCollection.get("c1")?.at(-1)).toBe("c1-x-2026-03-03-02-00-00.snapshot");
    expect(lines.some((l) => l.includes("passed over"))).toBe(false);
  });

  it("reads the peer id only from the collection's own name shape", () => {
    // A collection named `c1-1`: the peer id is read after the collection's own name, not from it.
    expect(
      newestPerPeer("c1-1", ["c1-1-5-2026-03-01-02-00-00.snapshot", "c1-1-5-2026-03-02-02-00-00.snapshot"]),
    ).toEqual({ chosen: ["c1-1-5-2026-03-02-02-00-00.snapshot"], passedOver: 1, groups: 1 });
  });
});
