// The restore drill through the built CLI, on emulated Qdrant nodes whose snapshots live in the local S3 bucket:
// `drill --collection docs` restores the newest backup set under a scratch name and deletes it (exit 0), after
// removing a leftover scratch of a killed drill, leaving a similarly named collection, the live collection and its
// alias as they were; `--json drill --collection logs` drills a legacy snapshot; a backup altered so its count
// differs makes `drill --all` exit 3, still without a scratch left. The report lines, drill_history and the metrics
// (`task="drill"`: exit code and items) carry the evidence; no secret anywhere. A second drill of the same target
// from another state directory exits 5 naming the holder of the drill lock, the first's scratch untouched. SIGTERM
// mid-drill still removes the scratch (exit 130); a SIGKILLed drill leaves it and its drill lock, and the next drill,
// once the lock's TTL has passed, takes the lock over and removes the scratch.
import { readFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it, onTestFinished } from "vitest";
import { readMetadata, writeMetadata } from "../../src/backup/metadata.js";
import { collectionSnapshotKey } from "../../src/core/keys.js";
import { METRICS } from "../../src/metrics/names.js";
import { createSnapshotStore } from "../../src/store/s3.js";
import { createAlias, listAliases, qdrantCall, readAllPoints, seedCollection } from "../support/emulator/seed.js";
import { parseExposition, valueOf } from "../support/metrics/exposition.js";
import { createTestS3Client } from "../support/s3/client.js";
import { makeTempDir } from "../support/tmp.js";
import { expectExit, parseJsonSummary, plainLines, readStateText } from "./harness.js";
import type { CliResult } from "../support/cli.js";
import { startRig, type Rig } from "./rig.js";

const s3 = inject("s3");
const s3client = createTestS3Client(s3);
let rig: Rig;
let dir = "";
let cleanup: () => Promise<void> = async () => {};
let target = "";
const LEFTOVER = "docs__drill_20260101T000000Z";
const task = { task: "drill" };
const SHARD_RECOVER = /^\/collections\/docs__drill_[^/]+\/shards\/\d+\/snapshots\/recover$/;

async function collections(url: string): Promise<string[]> {
  const got = (await qdrantCall(url, "GET", "/collections", rig.apiKey)) as { collections: { name: string }[] };
  return got.collections.map((c) => c.name).sort();
}

beforeAll(async () => {
  rig = await startRig(s3, { label: "drill", sourceNodes: 1, targetNodes: 1 });
  ({ dir, cleanup } = await makeTempDir("drill-e2e"));
  const source = rig.source.urls[0]!;
  target = rig.target.urls[0]!;
  await seedCollection(source, "docs", { points: 30, dim: 4, shards: 2, apiKey: rig.apiKey });
  expectExit(await rig.run(["create_snap_shards"], dir), 0);
  // `logs` gets legacy snapshots only; `docs` gets one too, beside its set.
  await seedCollection(source, "logs", { points: 20, dim: 4, apiKey: rig.apiKey });
  expectExit(await rig.run(["create_snap"], dir), 0);
  // The live collection on the restore host, with its alias; a leftover scratch and a similarly named collection.
  await seedCollection(target, "docs", { points: 5, dim: 4, apiKey: rig.apiKey });
  await createAlias(target, "docs", "docs-live", rig.apiKey);
  await seedCollection(target, LEFTOVER, { points: 3, dim: 4, apiKey: rig.apiKey });
  await seedCollection(target, "docs__drill_notes", { points: 2, dim: 4, apiKey: rig.apiKey });
});

afterAll(async () => {
  s3client.destroy();
  await rig?.stop();
  await cleanup();
});

describe("drill through the CLI", () => {
  it("drills the newest set of docs under a scratch name and deletes it: PASSED, exit 0, the leftover removed, the rest untouched", async () => {
    const live = {
      points: await readAllPoints(target, "docs", rig.apiKey),
      aliases: await listAliases(target, rig.apiKey),
    };

    const r = await rig.run(["--metrics-file", "drill.prom", "drill", "--collection", "docs"], dir);

    expectExit(r, 0);
    const out = plainLines(r.stdout);
    expect(out[0]).toBe(`drill: removed the leftover scratch ${LEFTOVER} on ${target}`);
    expect(out[1]).toMatch(
      new RegExp(
        `^drill of docs as docs__drill_\\d{8}T\\d{6}Z from set \\S+ \\(backup_manifests/docs/\\S+\\.json in s3://${rig.bucket}\\) onto ${target}: PASSED, points expected 30, found 30, .*VERIFIED .*legacy snapshot docs-\\S+ exists too; the set is preferred`,
      ),
    );
    expect(out[2]).toBe("[drill] drill: 1 passed, 0 failed, 1 leftover scratch collection(s) handled");
    expect(await collections(target)).toEqual(["docs", "docs__drill_notes"]);
    expect(await readAllPoints(target, "docs", rig.apiKey)).toEqual(live.points);
    expect(await listAliases(target, rig.apiKey)).toEqual(live.aliases);
    const rows = plainLines(await readStateText(dir, "drill_history"));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatch(/^[^,]+,docs,docs__drill_\d{8}T\d{6}Z,set,.*,30,30,.*,passed$/);
    const families = parseExposition(await readFile(path.join(dir, "drill.prom"), "utf8"));
    expect(valueOf(families, METRICS.exitCode.name, task)).toBe(0);
    expect(valueOf(families, METRICS.items.name, { ...task, outcome: "done" })).toBe(1);
  });

  it("--json drills a legacy snapshot: one item with the evidence; drill_history is mirrored with the state", async () => {
    // With the state mirrored: drill_history goes to the bucket like every state file.
    const r = await rig.run(
      ["--json", "--items", "drill", "--collection", "logs"],
      dir,
      rig.env({ QDRANT_STATE_S3_PREFIX: "state/drill/" }),
    );

    expectExit(r, 0);
    const summary = parseJsonSummary(r.stdout);
    expect(summary.tasks[0]?.items).toEqual([
      expect.objectContaining({
        outcome: "done",
        collection: "logs",
        kind: "snapshot",
        key: expect.stringMatching(/^snapshots\/logs\/logs-\S+\.snapshot$/),
        targets: target,
        expected: "20",
        found: "20",
        verdict: "passed",
      }),
    ]);
    expect(await collections(target)).toEqual(["docs", "docs__drill_notes"]);
    const store = createSnapshotStore(s3client, rig.bucket, new AbortController().signal);
    const mirrored = await store.get("state/drill/drill_history");
    const chunks: Buffer[] = [];
    for await (const chunk of mirrored!.body) chunks.push(Buffer.from(chunk as Uint8Array));
    expect(Buffer.concat(chunks).toString("utf8")).toBe(await readStateText(dir, "drill_history"));
  });

  it("a backup whose count was altered fails its drill: exit 3, the scratch removed, the metrics say so", async () => {
    const store = createSnapshotStore(s3client, rig.bucket, new AbortController().signal);
    const name = (await store.listKeys("snapshots/logs/"))
      .find((k) => k.endsWith(".snapshot"))!
      .split("/")
      .pop()!;
    const key = collectionSnapshotKey("logs", name);
    const meta = await readMetadata(store, key);
    await writeMetadata(store, key, { ...meta!, pointsCount: 25, pointsCountAfter: 25 });

    const r = await rig.run(["--metrics-file", "drill.prom", "drill", "--all"], dir);

    expectExit(r, 3);
    const out = plainLines(r.stdout);
    expect(out.find((l) => l.startsWith("drill of docs "))).toMatch(/: PASSED, /);
    expect(out.find((l) => l.startsWith("drill of logs "))).toMatch(
      /: FAILED, points expected 25, found 20, .*holds 20 points/,
    );
    expect(out.at(-1)).toBe("[drill] drill: 1 passed, 1 failed");
    expect(await collections(target)).toEqual(["docs", "docs__drill_notes"]);
    const families = parseExposition(await readFile(path.join(dir, "drill.prom"), "utf8"));
    expect(valueOf(families, METRICS.exitCode.name, task)).toBe(3);
    expect(valueOf(families, METRICS.items.name, { ...task, outcome: "failed" })).toBe(1);
    expect(plainLines(await readStateText(dir, "drill_history")).map((l) => l.split(",").at(-1))).toEqual([
      "passed",
      "passed",
      "passed",
      "failed",
    ]);
  });

  it("a second drill of the same target, from another state directory, exits 5 with one line naming the holder; the first passes and deletes its own scratch", async () => {
    const [one, two] = [await makeTempDir("drill-e2e-one"), await makeTempDir("drill-e2e-two")];
    onTestFinished(one.cleanup);
    onTestFinished(two.cleanup);
    let second: Promise<{ r: CliResult; during: string[] }> | undefined;
    // The first drill's first shard recovery is held until the second drill has exited and the collections were
    // looked at: no timing guess.
    rig.target.faults.add({
      method: "PUT",
      path: SHARD_RECOVER,
      times: 1,
      holdUntil: () => second!,
      onMatch: () => {
        second = (async () => {
          const r = await rig.run(["drill", "--collection", "docs"], two.dir);
          return { r, during: await collections(target) };
        })();
      },
    });

    const first = await rig.run(["drill", "--collection", "docs"], one.dir);

    const { r, during } = await second!;
    expectExit(r, 5);
    expect(r.stderr.split("\n").filter((l) => l.includes("drill lock"))).toEqual([
      expect.stringMatching(
        new RegExp(
          `drill: another drill holds the drill lock of ${target}: drill lock s3://${rig.bucket}/drill_locks/\\S+: held by pid \\d+ on host \\S+ since `,
        ),
      ),
    ]);
    expect(during).toEqual(["docs", expect.stringMatching(/^docs__drill_\d{8}T\d{6}Z$/), "docs__drill_notes"]);
    expectExit(first, 0);
    expect(plainLines(first.stdout)[0]).toMatch(/: PASSED, /);
    expect(await collections(target)).toEqual(["docs", "docs__drill_notes"]);
  });

  it("SIGTERM mid-drill still deletes the scratch and records the drill (exit 130); SIGKILL leaves it and its drill lock, and the next drill takes the lock over once expired and removes it", async () => {
    const temp = await makeTempDir("drill-e2e-kill");
    onTestFinished(temp.cleanup);
    const state = temp.dir;
    const stopAt = (signal: NodeJS.Signals, env = rig.env()) => {
      const run = rig.start(["drill", "--collection", "docs"], state, env);
      rig.target.faults.add({
        method: "PUT",
        path: SHARD_RECOVER,
        times: 1,
        latencyMs: 500,
        onMatch: () => run.kill(signal),
      });
      return run.finish();
    };

    const termed = await stopAt("SIGTERM");
    expectExit(termed, 130);
    expect(termed.stderr).toMatch(/drill: removed docs__drill_\d{8}T\d{6}Z on /);
    expect(await collections(target)).toEqual(["docs", "docs__drill_notes"]);
    expect(plainLines(await readStateText(state, "drill_history"))).toEqual([
      expect.stringMatching(/,docs,docs__drill_\d{8}T\d{6}Z,set,.*,FAILED: interrupted,failed$/),
    ]);

    // The killed drill's lock stays in the bucket until its TTL (4 s here) has passed; the next drill takes it over.
    const killed = await stopAt("SIGKILL", rig.env({ QDRANT_LOCK_TTL: "4" }));
    expect(killed.signal).toBe("SIGKILL");
    const left = (await collections(target)).filter((c) => /^docs__drill_\d{8}T\d{6}Z$/.test(c));
    expect(left).toHaveLength(1);
    const store = createSnapshotStore(s3client, rig.bucket, new AbortController().signal);
    expect(await store.listKeys("drill_locks/")).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 4500));

    const next = await rig.run(["drill", "--collection", "docs"], state);
    expectExit(next, 0);
    expect(next.stderr).toMatch(/taking over the expired drill lock s3:\/\/\S+\/drill_locks\//);
    expect(plainLines(next.stdout)[0]).toBe(`drill: removed the leftover scratch ${left[0]} on ${target}`);
    expect(await collections(target)).toEqual(["docs", "docs__drill_notes"]);
    // The killed run's restore lock and resume state under the scratch name went with it; no drill lock is left.
    expect((await store.listKeys("")).filter((k) => k.includes("__drill_") || k.startsWith("drill_locks/"))).toEqual(
      [],
    );
  });
});
