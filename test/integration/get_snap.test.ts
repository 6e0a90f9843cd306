// get_snap against emulator nodes with S3 snapshot storage: filters, shard snapshots, resume, shared-bucket duplicates.
import { describe, expect, it } from "vitest";
import { run } from "../../src/commands/get_snap.js";
import { EXIT } from "../../src/errors.js";
import { qdrantCall, seedCollection } from "../support/emulator/seed.js";
import { csv, manualClock, startRig, type Rig } from "./helpers/rig.js";

const OLD = "2025-12-31T23:59:59Z";
const MATCH = "2026-01-29T11:44:10Z";
const LATER = "2026-01-29T11:45:00Z";

/** Creates a collection snapshot on `url` at the clock's `iso` time and returns its name. */
async function snapshotAt(
  url: string,
  collection: string,
  clock: ReturnType<typeof manualClock>,
  iso: string,
): Promise<string> {
  clock.set(iso);
  const result = await qdrantCall(url, "POST", `/collections/${collection}/snapshots`);
  if (typeof result !== "object" || result === null || Array.isArray(result) || typeof result["name"] !== "string") {
    throw new Error("snapshot create answered no name");
  }
  return result["name"];
}

/** One node with collection `docs` and three snapshots of it (2025, 2026 at 11:44, 2026 at 11:45). */
async function threeSnapshots(label: string): Promise<{ rig: Rig; url: string; names: string[] }> {
  const clock = manualClock(OLD);
  const rig = await startRig(label, { nodes: 1, clock: clock.now, peerIds: [7] });
  const url = rig.urls[0] ?? "";
  await seedCollection(url, "docs", { points: 4, dim: 2 });
  const names: string[] = [];
  for (const at of [LATER, OLD, MATCH]) names.push(await snapshotAt(url, "docs", clock, at));
  await rig.write("collections", csv([url, "docs"]));
  return { rig, url, names };
}

describe("get_snap", () => {
  it("keeps only names containing a plain filter", async () => {
    const { rig, url } = await threeSnapshots("get-snap-substring");
    const deps = rig.deps({ QDRANT_SNAPSHOT_DATETIME_FILTER: "2026-01-29-11-44" });

    const summary = await run({}, deps);

    expect(summary).toMatchObject({ task: "get_snap", done: 1, failed: 0, exitCode: EXIT.ok });
    expect(await rig.read("snapshots")).toBe(csv([url, "docs", "docs-7-2026-01-29-11-44-10.snapshot"]));
    expect(await deps.state.read("snapshots")).toEqual([
      { host: url, collection: "docs", snapshot: "docs-7-2026-01-29-11-44-10.snapshot" },
    ]);
  });

  it("treats a filter with * as a glob over the whole name, and writes oldest first", async () => {
    const { rig, url } = await threeSnapshots("get-snap-glob");

    const summary = await run({}, rig.deps({ QDRANT_SNAPSHOT_DATETIME_FILTER: "*-2026-*" }));

    expect(summary).toMatchObject({ done: 2, exitCode: EXIT.ok });
    expect(await rig.read("snapshots")).toBe(
      csv([url, "docs", "docs-7-2026-01-29-11-44-10.snapshot"], [url, "docs", "docs-7-2026-01-29-11-45-00.snapshot"]),
    );
  });

  it("a glob must match the whole name", async () => {
    const { rig } = await threeSnapshots("get-snap-glob-whole");

    const summary = await run({}, rig.deps({ QDRANT_SNAPSHOT_DATETIME_FILTER: "2026-*" }));

    expect(summary).toMatchObject({ done: 0, exitCode: EXIT.ok });
    expect(await rig.read("snapshots")).toBeUndefined();
  });

  it("leaves out shard snapshots, which Qdrant's S3 listing returns too", async () => {
    const clock = manualClock(MATCH);
    const rig = await startRig("get-snap-shards", { nodes: 1, clock: clock.now, peerIds: [7] });
    const url = rig.urls[0] ?? "";
    await seedCollection(url, "docs", { points: 4, dim: 2, shards: 2 });
    const name = await snapshotAt(url, "docs", clock, MATCH);
    await qdrantCall(url, "POST", "/collections/docs/shards/1/snapshots");
    const listed = JSON.stringify(await qdrantCall(url, "GET", "/collections/docs/snapshots"));
    expect(listed).toContain("docs-shard-1-2026-01-29-11-44-10.snapshot");
    const deps = rig.deps({ QDRANT_SOURCE_HOSTS: url });

    const summary = await run({}, deps);

    expect(summary).toMatchObject({ done: 1, exitCode: EXIT.ok });
    expect(await rig.read("snapshots")).toBe(csv([url, "docs", name]));
    expect(await rig.read("collections")).toBe(csv([url, "docs"]));
    expect(deps.lines.some((l) => l.includes("Skipped 1 shard snapshots"))).toBe(true);
  });

  it("fetches nothing when snapshots already has rows", async () => {
    const { rig } = await threeSnapshots("get-snap-resume");
    const before = "http://old:6333,docs,docs-1-2020-01-01-00-00-00.snapshot\n";
    await rig.write("snapshots", before);
    rig.emu.resetRequests();

    const summary = await run({}, rig.deps());

    expect(summary).toMatchObject({ done: 0, failed: 0, exitCode: EXIT.ok });
    expect(summary.message).toMatch(/already has rows/);
    expect(rig.emu.requests()).toEqual([]);
    expect(await rig.read("snapshots")).toBe(before);
  });

  it("writes a snapshot once when hosts sharing one bucket both list it", async () => {
    const clock = manualClock(OLD);
    const rig = await startRig("get-snap-dup", { nodes: 2, clock: clock.now, peerIds: [11, 22] });
    const [a = "", b = ""] = rig.urls;
    for (const url of [a, b]) await seedCollection(url, "dup", { points: 2, dim: 2 });
    const fromB = await snapshotAt(b, "dup", clock, OLD);
    const fromA = await snapshotAt(a, "dup", clock, MATCH);
    await rig.write("collections", csv([a, "dup"], [b, "dup"]));

    const summary = await run({}, rig.deps({ QDRANT_CONCURRENCY: "1" }));

    expect(summary).toMatchObject({ done: 2, failed: 0, exitCode: EXIT.ok });
    expect(rig.requests("GET", /^\/collections\/dup\/snapshots$/).map((r) => r.node)).toEqual([0, 1]);
    // Host a lists both objects of the shared bucket first; host b's identical listing adds nothing.
    expect(await rig.read("snapshots")).toBe(csv([a, "dup", fromB], [a, "dup", fromA]));
  });

  it("counts a host that cannot list a collection as failed (exit 3) and keeps the others", async () => {
    const { rig, url } = await threeSnapshots("get-snap-fail");
    await seedCollection(url, "other", { points: 1, dim: 2 });
    await rig.write("collections", csv([url, "docs"], [url, "other"]));
    rig.emu.faults.add({ method: "GET", path: "/collections/other/snapshots", status: 500 });

    const summary = await run({}, rig.deps());

    expect(summary).toMatchObject({ done: 3, failed: 1, exitCode: EXIT.partial });
    expect(await rig.read("snapshots")).not.toContain(",other,");
  });
});
