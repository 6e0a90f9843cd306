// get_snap_s3 against the local S3 server, with snapshots made by emulator nodes (S3 snapshot storage) and objects
// put directly into the bucket.
import { describe, expect, it } from "vitest";
import { run } from "../../src/commands/get_snap_s3.js";
import { EXIT, UpstreamError } from "../../src/errors.js";
import { qdrantCall, seedCollection } from "../support/emulator/seed.js";
import { csv, manualClock, startRig, type Rig } from "./helpers/rig.js";

/** A node (peer id 5) with collections docs (two snapshots) and other (one), all in the rig's bucket. */
async function bucketWithSnapshots(label: string): Promise<{ rig: Rig; url: string; docs: string[]; other: string }> {
  const clock = manualClock("2026-02-01T10:00:00Z");
  const rig = await startRig(label, { nodes: 1, clock: clock.now, peerIds: [5] });
  const url = rig.urls[0] ?? "";
  await seedCollection(url, "docs", { points: 3, dim: 2 });
  await seedCollection(url, "other", { points: 3, dim: 2 });
  await qdrantCall(url, "POST", "/collections/docs/snapshots");
  await qdrantCall(url, "POST", "/collections/other/snapshots");
  clock.set("2026-02-02T10:00:00Z");
  await qdrantCall(url, "POST", "/collections/docs/snapshots");
  const docs = ["docs-5-2026-02-01-10-00-00.snapshot", "docs-5-2026-02-02-10-00-00.snapshot"];
  const other = "other-5-2026-02-01-10-00-00.snapshot";
  expect(await rig.bucket.keys()).toEqual([
    `snapshots/docs/${docs[0]}`,
    `snapshots/docs/${docs[1]}`,
    `snapshots/other/${other}`,
  ]);
  rig.emu.resetRequests();
  return { rig, url, docs, other };
}

describe("get_snap_s3", () => {
  it("lists the snapshots of the collections in `collections` from the bucket, oldest first", async () => {
    const { rig, url, docs } = await bucketWithSnapshots("get-snap-s3-rows");
    await rig.write("collections", csv([url, "docs"]));
    const deps = rig.deps();

    const summary = await run({}, deps);

    expect(summary).toMatchObject({ task: "get_snap_s3", done: 2, skipped: 0, failed: 0, exitCode: EXIT.ok });
    expect(await rig.read("snapshots")).toBe(csv([url, "docs", docs[0] ?? ""], [url, "docs", docs[1] ?? ""]));
    expect(rig.emu.requests()).toEqual([]);
  });

  it("takes the collections from the bucket's folders when `collections` is empty, with an empty host", async () => {
    const { rig, docs, other } = await bucketWithSnapshots("get-snap-s3-folders");
    // No QDRANT_SOURCE_HOSTS at all: a restore needs no access to the source.
    const deps = rig.deps({ QDRANT_CONCURRENCY: "1" });

    const summary = await run({}, deps);

    expect(summary).toMatchObject({ done: 3, exitCode: EXIT.ok });
    expect(await rig.read("snapshots")).toBe(
      csv(["", "docs", docs[0] ?? ""], ["", "docs", docs[1] ?? ""], ["", "other", other]),
    );
    expect(await deps.state.read("snapshots")).toEqual([
      { host: "", collection: "docs", snapshot: docs[0] },
      { host: "", collection: "docs", snapshot: docs[1] },
      { host: "", collection: "other", snapshot: other },
    ]);
    expect(await rig.read("collections")).toBeUndefined();
  });

  it("ignores shard snapshots, nested objects and keys that are not .snapshot files", async () => {
    const { rig, docs, other } = await bucketWithSnapshots("get-snap-s3-ignore");
    await rig.bucket.put([
      "snapshots/docs/shards/0/docs-shard-0-2026-02-03-00-00-00.snapshot",
      "snapshots/docs/nested/docs-5-2026-02-03-00-00-00.snapshot",
      "snapshots/docs/README.txt",
      "snapshots/docs/docs-5-2026-02-03-00-00-00.snapshot.checksum",
      "snapshots/full-snapshot-2026-02-03-00-00-00.snapshot",
      "elsewhere/docs-5-2026-02-03-00-00-00.snapshot",
    ]);

    const summary = await run({}, rig.deps({ QDRANT_CONCURRENCY: "1" }));

    expect(summary).toMatchObject({ done: 3, exitCode: EXIT.ok });
    expect(await rig.read("snapshots")).toBe(
      csv(["", "docs", docs[0] ?? ""], ["", "docs", docs[1] ?? ""], ["", "other", other]),
    );
  });

  it("writes nothing new when run twice", async () => {
    const { rig } = await bucketWithSnapshots("get-snap-s3-twice");
    await run({}, rig.deps());
    const first = await rig.read("snapshots");

    const again = await run({}, rig.deps());

    expect(again).toMatchObject({ done: 0, skipped: 3, failed: 0, exitCode: EXIT.ok });
    expect(await rig.read("snapshots")).toBe(first);
  });

  it("writes each snapshot once when `collections` lists the collection for several hosts", async () => {
    // Two source hosts sharing one bucket both hold `docs`: get_coll lists it once per host.
    const { rig, url, docs } = await bucketWithSnapshots("get-snap-s3-two-hosts");
    await rig.write("collections", csv([url, "docs"], ["http://second-source:6333", "docs"]));

    const summary = await run({}, rig.deps());

    expect(summary).toMatchObject({ done: 2, exitCode: EXIT.ok });
    const rows = await rig.deps().state.read("snapshots");
    expect(rows.map((r) => r.snapshot).sort()).toEqual(docs);
  });

  it("applies the snapshot filter", async () => {
    const { rig, docs } = await bucketWithSnapshots("get-snap-s3-filter");

    const summary = await run({}, rig.deps({ QDRANT_SNAPSHOT_DATETIME_FILTER: "docs-*-02-02-*" }));

    expect(summary).toMatchObject({ done: 1, exitCode: EXIT.ok });
    expect(await rig.read("snapshots")).toBe(csv(["", "docs", docs[1] ?? ""]));
  });

  it("finds every object past the first 1,000 under one collection prefix", async () => {
    const rig = await startRig("get-snap-s3-many", { nodes: 1 });
    const names = Array.from(
      { length: 1_100 },
      (_, i) => `big-${String(i).padStart(4, "0")}-2026-01-01-00-00-00.snapshot`,
    );
    await rig.bucket.put(
      names.map((n) => `snapshots/big/${n}`),
      32,
    );
    await rig.write("collections", csv(["http://src:6333", "big"]));

    const summary = await run({}, rig.deps());

    expect(summary).toMatchObject({ done: 1_100, exitCode: EXIT.ok });
    expect(await rig.read("snapshots")).toBe(csv(...names.map((n) => ["http://src:6333", "big", n])));
  });

  it("fails with an upstream error (exit 4) naming the bucket when it does not exist", async () => {
    const rig = await startRig("get-snap-s3-nobucket", { nodes: 1 });
    const missing = `${rig.bucket.name}-gone`;

    const failure = await run({}, rig.deps({ QDRANT_S3_BUCKET_NAME: missing })).then(
      () => undefined,
      (err: unknown) => err,
    );

    expect(failure).toBeInstanceOf(UpstreamError);
    expect(failure).toMatchObject({ exitCode: EXIT.upstream });
    expect(String(failure)).toContain(missing);
    expect(await rig.read("snapshots")).toBeUndefined();
  });
});
