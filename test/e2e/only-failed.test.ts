// create_snap --only-failed through the built CLI: a run where one collection fails on one source host records it in
// snapshot_failures; the next run with --only-failed snapshots only that collection on that host, records it `ok`, and
// a third finds nothing to retry.
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { seedCollection } from "../support/emulator/seed.js";
import { makeTempDir } from "../support/tmp.js";
import { expectExit, parseJsonSummary, plainLines, readStateText } from "./harness.js";
import { startRig, type Rig } from "./rig.js";

const s3 = inject("s3");
const SNAPSHOT_POST = /^\/collections\/([^/]+)\/snapshots$/;
let rig: Rig;
let dir = "";
let cleanup: () => Promise<void> = async () => {};

/** The snapshot creates the source nodes answered, as `node:collection`. */
const creates = (): string[] =>
  rig.source
    .requests()
    .filter((r) => r.method === "POST" && SNAPSHOT_POST.test(r.path))
    .map((r) => `${r.node}:${SNAPSHOT_POST.exec(r.path)?.[1] ?? ""}`)
    .sort();

beforeAll(async () => {
  rig = await startRig(s3, { label: "only-failed", sourceNodes: 2, targetNodes: 1 });
  for (const url of rig.source.urls)
    for (const c of ["c1", "c2", "c3"]) await seedCollection(url, c, { points: 5, dim: 3, apiKey: rig.apiKey });
  const t = await makeTempDir("only-failed");
  dir = t.dir;
  cleanup = t.cleanup;
});

afterAll(async () => {
  await rig?.stop();
  await cleanup();
});

describe("create_snap --only-failed", () => {
  it("with no failure recorded yet: exit 0, one line saying there is nothing to retry, no snapshot", async () => {
    const r = await rig.run(["create_snap", "--only-failed"], dir);
    expectExit(r, 0);
    expect(r.stdout).toBe(
      "[create_snap] Nothing failed in the last create_snap run (snapshot_failures): nothing to retry\n",
    );
    expect(creates()).toEqual([]);
  });

  it("retries only the collection and host that failed, records it ok, then finds nothing left", async () => {
    const b = rig.source.urls[1] ?? "";
    const remove = rig.source.faults.add({ node: 1, method: "POST", path: "/collections/c2/snapshots", status: 500 });
    const first = await rig.run(["create_snap"], dir);
    expectExit(first, 3);
    remove();
    expect(plainLines(await readStateText(dir, "snapshot_failures"))).toEqual([`${b},c2,failed`]);
    const snapshotsBefore = plainLines(await readStateText(dir, "snapshots"));
    expect(snapshotsBefore).toHaveLength(5);

    rig.source.resetRequests();
    const retry = await rig.run(["create_snap", "--only-failed", "--json", "--items"], dir);
    expectExit(retry, 0);
    const task = parseJsonSummary(retry.stdout).tasks[0];
    expect(task).toMatchObject({ task: "create_snap", done: 1, failed: 0, skipped: 0 });
    expect(task?.items.map((i) => [i["host"], i["collection"], i["outcome"]])).toEqual([[b, "c2", "done"]]);
    expect(task?.message).toMatch(/^Failures retried\. Snapshots created: 1, accepted: 0, failed: 0$/);
    expect(creates()).toEqual(["1:c2"]);
    const snapshotsAfter = plainLines(await readStateText(dir, "snapshots"));
    expect(snapshotsAfter.slice(0, 5)).toEqual(snapshotsBefore);
    expect(snapshotsAfter.slice(5)).toEqual([
      expect.stringMatching(new RegExp(`^${b},c2,c2-\\d+-[\\d-]+\\.snapshot$`)),
    ]);
    expect(plainLines(await readStateText(dir, "snapshot_failures"))).toEqual([`${b},c2,failed`, `${b},c2,ok`]);

    rig.source.resetRequests();
    const again = await rig.run(["create_snap", "--only-failed"], dir);
    expectExit(again, 0);
    expect(again.stdout).toBe(
      "[create_snap] Nothing failed in the last create_snap run (snapshot_failures): nothing to retry\n",
    );
    expect(creates()).toEqual([]);
    // A full run where nothing fails adds no row: the file does not grow night after night.
    expectExit(await rig.run(["create_snap"], dir), 0);
    expect(creates()).toEqual(["0:c1", "0:c2", "0:c3", "1:c1", "1:c2", "1:c3"]);
    expect(plainLines(await readStateText(dir, "snapshot_failures"))).toHaveLength(2);
  });
});
