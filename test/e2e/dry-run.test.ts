// --dry-run of recover_snap, recover_colla and reset through the built CLI, with the state mirrored in the bucket
// (QDRANT_STATE_S3_PREFIX): the plan is logged and returned as items, and nothing changes: no request but GETs to the
// restore host, the bucket's listing (keys and ETags) and the state files the same, byte for byte.
import { ListObjectsV2Command, type S3Client } from "@aws-sdk/client-s3";
import { readdir } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createAlias, qdrantCall, seedCollection } from "../support/emulator/seed.js";
import { createTestS3Client } from "../support/s3/client.js";
import { makeTempDir } from "../support/tmp.js";
import { expectExit, expectLogLines, parseJsonSummary, snapshotDir } from "./harness.js";
import { startRig, type Rig } from "./rig.js";

const s3 = inject("s3");
const PREFIX = "state/dry-run/";
let rig: Rig;
let client: S3Client;
let backupDir = "";
const temps: (() => Promise<void>)[] = [];

async function tempDir(label: string): Promise<string> {
  const t = await makeTempDir(label);
  temps.push(t.cleanup);
  return t.dir;
}

/** Every key of the bucket with its ETag: any write shows. */
async function bucketListing(): Promise<string[]> {
  const page = await client.send(new ListObjectsV2Command({ Bucket: rig.bucket }));
  return (page.Contents ?? []).map((o) => `${o.Key ?? ""} ${o.ETag ?? ""} ${o.Size ?? ""}`).sort();
}

/** The restore host's collections and aliases, as Qdrant lists them. */
async function targetView(): Promise<string> {
  const url = rig.target.urls[0] ?? "";
  const collections = await qdrantCall(url, "GET", "/collections", rig.apiKey);
  const aliases = await qdrantCall(url, "GET", "/aliases", rig.apiKey);
  return JSON.stringify([collections, aliases]);
}

const withPrefix = () => rig.env({ QDRANT_STATE_S3_PREFIX: PREFIX });

beforeAll(async () => {
  rig = await startRig(s3, { label: "dry-run", sourceNodes: 1, targetNodes: 1 });
  client = createTestS3Client(s3);
  const src = rig.source.urls[0] ?? "";
  for (const c of ["c1", "c2"]) {
    await seedCollection(src, c, { points: 20, dim: 4, apiKey: rig.apiKey });
    await createAlias(src, c, `${c}-live`, rig.apiKey);
  }
  // On the target, c1-live points elsewhere: a dry run of recover_colla says it would switch it.
  await seedCollection(rig.target.urls[0] ?? "", "old", { points: 3, dim: 4, apiKey: rig.apiKey });
  await createAlias(rig.target.urls[0] ?? "", "old", "c1-live", rig.apiKey);
  backupDir = await tempDir("dry-run-backup");
  expectExit(await rig.run(["create_snap", "get_colla"], backupDir, withPrefix()), 0);
});

afterAll(async () => {
  client?.destroy();
  await rig?.stop();
  for (const cleanup of temps) await cleanup();
});

describe("--dry-run of recover_snap, recover_colla and reset", () => {
  it("in a fresh pod: plans from the bucket's copies of the state, then changes nothing anywhere", async () => {
    const pod = await tempDir("dry-run-pod");
    const bucketBefore = await bucketListing();
    const targetBefore = await targetView();
    rig.target.resetRequests();

    const r = await rig.run(
      ["recover_snap", "recover_colla", "reset", "--bkp", "true", "--dry-run", "--json", "--items"],
      pod,
      withPrefix(),
    );

    expectExit(r, 0);
    expectLogLines(r.stderr);
    const [recover, aliases, reset] = parseJsonSummary(r.stdout).tasks;
    const target = rig.target.urls[0] ?? "";
    expect(recover?.items.map((i) => [i["host"], i["collection"], i["action"], i["via"]])).toEqual([
      [target, "c1", "recover", "url"],
      [target, "c2", "recover", "url"],
    ]);
    expect(recover?.message).toBe(
      "[dry run] Snapshots that would be recovered: 2, checked again: 0, already recovered: 0; nothing changed",
    );
    expect(aliases?.items.map((i) => [i["alias"], i["collection"], i["action"]])).toEqual([
      ["c1-live", "c1", "switch"],
      ["c2-live", "c2", "create"],
    ]);
    expect(r.stderr).toContain(`[dry run] ${target}: would switch alias c1-live from old to c1`);
    expect(r.stderr).toMatch(/\[dry run\] would recover c1 from c1-\S+\.snapshot on \S+ by presigned URL/);
    // reset names the copies in the bucket it would keep as .bkp (the pod has no local files).
    expect(reset?.items.map((i) => i["action"])).toEqual(["would back up", "would back up", "would back up"]);
    expect(reset?.items.map((i) => String(i["file"]))).toEqual(
      ["collections", "snapshots", "collection_aliases"].map((n) =>
        expect.stringMatching(
          new RegExp(`^s3://${rig.bucket}/${PREFIX}${n}-\\d{4}-\\d{2}-\\d{2}_\\d{2}-\\d{2}-\\d{2}\\.bkp$`),
        ),
      ),
    );

    expect(rig.target.requests().filter((q) => q.method !== "GET")).toEqual([]);
    expect(await targetView()).toBe(targetBefore);
    expect(await bucketListing()).toEqual(bucketBefore);
    expect(await readdir(pod)).toEqual([]);
  });

  it("next to the local state files: reset --dry-run lists them and leaves every byte (and mtime) as it was", async () => {
    const before = await snapshotDir(backupDir);
    const bucketBefore = await bucketListing();

    const r = await rig.run(["reset", "--dry-run"], backupDir, withPrefix());

    expectExit(r, 0);
    expect(r.stdout).toBe(
      `[reset] [dry run] State files that would be removed: 3; copies in s3://${rig.bucket}/${PREFIX}: 3; nothing changed\n`,
    );
    expect(r.stderr).toMatch(/\[dry run\] would remove \S+\/snapshots$/m);
    expect(await snapshotDir(backupDir)).toEqual(before);
    expect(await bucketListing()).toEqual(bucketBefore);
  });

  it("recover_snap --dry-run after a real recovery: every snapshot already recovered, nothing sent", async () => {
    const dir = await tempDir("dry-run-after");
    expectExit(await rig.run(["recover_snap"], dir, rig.env({ QDRANT_STATE_S3_PREFIX: "state/dry-run-after/" })), 0);
    const before = await snapshotDir(dir);
    rig.target.resetRequests();

    const r = await rig.run(
      ["recover_snap", "--dry-run"],
      dir,
      rig.env({ QDRANT_STATE_S3_PREFIX: "state/dry-run-after/" }),
    );

    expectExit(r, 0);
    expect(r.stdout).toBe(
      "[recover_snap] [dry run] Snapshots that would be recovered: 0, checked again: 0, already recovered: 2; nothing changed\n",
    );
    expect(rig.target.requests()).toEqual([]);
    expect(await snapshotDir(dir)).toEqual(before);
  });

  it("a task without a dry run in the chain: exit 2 before anything runs, naming it", async () => {
    const dir = await tempDir("dry-run-refused");
    const r = await rig.run(["create_snap", "reset", "--dry-run"], dir);
    expectExit(r, 2);
    expect(r.stderr).toMatch(
      /^error: --dry-run: create_snap has no dry run \(tasks with one: [^)]*reset[^)]*\); run it without --dry-run\n$/,
    );
    expect(await readdir(dir)).toEqual([]);
  });
});
