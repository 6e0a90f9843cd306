// Crash safety of `prune_snap --confirm` through the built CLI: a node with two collections' snapshots over eight
// days, and a destination holding a copy of each with its metadata (a directory, or the bucket the node itself stores
// its snapshots in). A dry run first says what the policy keeps; then --confirm is SIGKILLed at a seeded Nth DELETE
// on the node (each comes right after that snapshot's destination copy was deleted and recorded) and run again to
// completion. Nothing the policy keeps is ever deleted, the end state is exactly the kept set, every deletion
// recorded in pruned_snapshots is really gone, nothing recorded is deleted again, and the state parses strictly.
import { copyFile, mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { ListObjectsV2Command, PutObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, describe, expect, inject, it, onTestFinished } from "vitest";
import { runCli, startCli, type CliResult } from "../support/cli.js";
import { startEmulator, type Emulator, type EmulatorOptions } from "../support/emulator/index.js";
import { qdrantCall, seedCollection } from "../support/emulator/seed.js";
import { createTestBucket, createTestS3Client } from "../support/s3/client.js";
import { makeTempDir } from "../support/tmp.js";
import { expectExit, isRecord, parseJsonSummary, s3Env, s3Storage, type Env } from "../e2e/harness.js";
import { randomApiKey } from "../e2e/rig.js";
import { assertNoSecrets } from "../e2e/secret-scan.js";
import {
  filesUnder,
  planKills,
  readStateStrict,
  runKilledAt,
  sorted,
  type KillPoint,
  type KillTarget,
} from "./crash-helpers.js";

const SEED = 6221;
const s3 = inject("s3");
const COLLECTIONS = ["c1", "c2"];
const DAYS = ["02", "05", "08", "11", "14", "17", "19", "20"];
/** Keeps the 19th and 20th (daily 2) and the 14th (the newest of ISO week 46): 5 of 8 deleted per collection. */
const POLICY: Env = {
  QDRANT_KEEP_LAST: "0",
  QDRANT_KEEP_DAILY: "2",
  QDRANT_KEEP_WEEKLY: "2",
  QDRANT_KEEP_MONTHLY: "0",
  QDRANT_KEEP_YEARLY: "0",
  QDRANT_PRUNE_MAX_DELETE_PCT: "100",
};
const CONDEMNED = 5 * COLLECTIONS.length;
const DELETE_SNAPSHOT = /^\/collections\/[^/]+\/snapshots\/[^/]+\.snapshot$/;
const TARGETS: KillTarget[] = [{ label: "node DELETE", method: "DELETE", path: DELETE_SNAPSHOT, total: CONDEMNED }];
const DIR_KILLS = planKills(SEED, TARGETS, 3);
const S3_KILLS = planKills(SEED + 1, TARGETS, 2);
const client = createTestS3Client(s3, { maxAttempts: 1 });

afterAll(() => client.destroy());

interface PruneRig {
  emu: Emulator;
  url: string;
  apiKey: string;
  /** State directory. */
  dir: string;
  env: Env;
  /** Snapshot keys (`snapshots/c/name`) stored in the destination, sorted. */
  destKeys(): Promise<string[]>;
  /** Metadata keys in the destination, sorted. */
  metadataKeys(): Promise<string[]>;
  /** Snapshot keys the node lists, sorted. */
  nodeKeys(): Promise<string[]>;
}

/** A node (peer 7) with a snapshot of each collection at 02:00 on each of DAYS, and the destination's copies. */
async function pruneRig(label: string, dest: "dir" | "s3"): Promise<PruneRig> {
  const apiKey = randomApiKey(label);
  let now = new Date("2026-11-01T02:00:00Z");
  const bucket = dest === "s3" ? await createTestBucket(s3, label) : "";
  const storage: EmulatorOptions["storage"] = dest === "s3" ? s3Storage(s3, bucket) : { kind: "local" };
  const emu = await startEmulator({ nodes: 1, apiKey, peerIds: [7], clock: () => now, storage });
  const state = await makeTempDir(label);
  const backup = await makeTempDir(`${label}-dest`);
  onTestFinished(async () => {
    await emu.stop();
    await state.cleanup();
    await backup.cleanup();
  });
  const url = emu.urls[0] ?? "";
  for (const c of COLLECTIONS) {
    await seedCollection(url, c, { points: 3, dim: 2, apiKey });
    for (const day of DAYS) {
      now = new Date(`2026-11-${day}T02:00:00Z`);
      await qdrantCall(url, "POST", `/collections/${c}/snapshots`, apiKey);
    }
  }
  const nodeKeys = async (): Promise<string[]> => {
    const keys: string[] = [];
    for (const c of COLLECTIONS) {
      const list = await qdrantCall(url, "GET", `/collections/${c}/snapshots`, apiKey);
      for (const s of Array.isArray(list) ? list : []) {
        if (isRecord(s) && typeof s["name"] === "string" && s["name"].endsWith(".snapshot"))
          keys.push(`snapshots/${c}/${s["name"]}`);
      }
    }
    return keys.sort();
  };
  const metaOf = (key: string) => `backup_metadata/${key.slice("snapshots/".length)}.json`;
  if (dest === "dir") {
    // The transfer-mode layout: a copy of every node snapshot and its metadata.
    for (const key of await nodeKeys()) {
      const [, c = "", name = ""] = key.split("/");
      for (const [k, from] of [
        [key, path.join(emu.nodes[0]?.snapshotsDir ?? "", c, name)] as const,
        [metaOf(key), undefined] as const,
      ]) {
        const file = path.join(backup.dir, ...k.split("/"));
        await mkdir(path.dirname(file), { recursive: true });
        if (from) await copyFile(from, file);
        else await writeFile(file, "{}\n");
      }
    }
    const under = async (prefix: string) => (await filesUnder(backup.dir)).filter((k) => k.startsWith(prefix));
    return {
      emu,
      url,
      apiKey,
      dir: state.dir,
      nodeKeys,
      env: { QDRANT_API_KEY: apiKey, QDRANT_SOURCE_HOSTS: url, QDRANT_BACKUP_DIR: backup.dir, ...POLICY },
      destKeys: () => under("snapshots/"),
      metadataKeys: () => under("backup_metadata/"),
    };
  }
  for (const key of await nodeKeys())
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: metaOf(key), Body: "{}\n" }));
  const list = async (prefix: string) =>
    ((await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }))).Contents ?? [])
      .map((o) => o.Key ?? "")
      .sort();
  return {
    emu,
    url,
    apiKey,
    dir: state.dir,
    nodeKeys,
    env: { QDRANT_API_KEY: apiKey, QDRANT_SOURCE_HOSTS: url, ...s3Env(s3, bucket), ...POLICY },
    destKeys: () => list("snapshots/"),
    metadataKeys: () => list("backup_metadata/"),
  };
}

async function cli(rig: PruneRig, args: string[]): Promise<CliResult> {
  const result = await runCli(args, { env: rig.env, cwd: rig.dir });
  await assertNoSecrets({
    stdout: result.stdout,
    stderr: result.stderr,
    stateDir: rig.dir,
    secrets: [rig.apiKey, s3.secretKey],
  });
  return result;
}

/** Node snapshot names DELETEd in `rig`'s request log, as keys. */
function nodeDeletes(rig: PruneRig): string[] {
  return rig.emu
    .requests()
    .filter((q) => q.method === "DELETE" && DELETE_SNAPSHOT.test(q.path))
    .map((q) => {
      const [, , c = "", , name = ""] = q.path.split("/");
      return `snapshots/${decodeURIComponent(c)}/${decodeURIComponent(name)}`;
    });
}

async function killAndResume(dest: "dir" | "s3", point: KillPoint, seed: number): Promise<void> {
  const rig = await pruneRig(`crash-prune-${dest}`, dest);
  const label = `${point.title}, seed ${seed}`;
  const dry = await cli(rig, ["prune_snap", "--json", "--items"]);
  expectExit(dry, 0);
  const items = parseJsonSummary(dry.stdout).tasks[0]?.items ?? [];
  const kept = sorted(items.filter((i) => i["action"] === "keep").map((i) => String(i["key"])));
  const condemned = sorted(items.filter((i) => i["action"] === "delete").map((i) => String(i["key"])));
  expect(condemned).toHaveLength(CONDEMNED);
  expect(sorted([...kept, ...condemned])).toEqual(await rig.nodeKeys());
  expect(await rig.destKeys()).toEqual(await rig.nodeKeys());

  await runKilledAt(rig.emu, point, () => {
    const child = startCli(["prune_snap", "--confirm"], { env: rig.env, cwd: rig.dir });
    return {
      ...child,
      finish: async () => {
        const r = await child.done;
        await assertNoSecrets({
          stdout: r.stdout,
          stderr: r.stderr,
          stateDir: rig.dir,
          secrets: [rig.apiKey, s3.secretKey],
        });
        return r;
      },
    };
  });
  const before = (await readStateStrict(rig.dir)).pruned_snapshots;
  const killedDeletes = nodeDeletes(rig);
  rig.emu.resetRequests();

  expectExit(await cli(rig, ["prune_snap", "--confirm"]), 0);
  const after = (await readStateStrict(rig.dir)).pruned_snapshots;
  const rerunDeletes = nodeDeletes(rig);

  // No snapshot a rule keeps is ever deleted, and everything condemned is gone: exactly the kept set remains.
  expect(
    [...killedDeletes, ...rerunDeletes].filter((k) => kept.includes(k)),
    `kept snapshots deleted (${label})`,
  ).toEqual([]);
  expect(await rig.nodeKeys(), label).toEqual(kept);
  expect(await rig.destKeys(), label).toEqual(kept);
  const metadata = await rig.metadataKeys();
  // The metadata of kept snapshots stays; that of deleted ones goes, also when the kill came between a snapshot's
  // recorded deletion and its metadata's. Only a deletion the kill cut off before it was recorded can leave its
  // metadata behind (nothing proves that snapshot was deleted by the tool): at most one per group in flight.
  const metaOf = (key: string) => `backup_metadata/${key.slice("snapshots/".length)}.json`;
  for (const key of kept) expect(metadata, `metadata of kept ${key} (${label})`).toContain(metaOf(key));
  const orphans = metadata.filter((m) => !kept.some((key) => metaOf(key) === m));
  const recordedKeys = new Set(after.map(([, key = ""]) => key));
  for (const m of orphans) {
    const snapshot = condemned.find((key) => metaOf(key) === m);
    expect(snapshot, `${m} left over (${label})`).toBeDefined();
    expect(
      recordedKeys.has(snapshot ?? ""),
      `${m} left over although its snapshot's deletion is recorded (${label})`,
    ).toBe(false);
  }
  expect(orphans.length, `metadata left over (${label})`).toBeLessThanOrEqual(COLLECTIONS.length);

  // Every recorded deletion is of a condemned snapshot (or its metadata) and is really gone; none is recorded twice.
  const nodeLocation = rig.url;
  const recorded = after.map(([location = "", key = ""]) => `${location} ${key}`);
  expect(recorded.length, label).toBe(new Set(recorded).size);
  expect(after.slice(0, before.length), "rows written before the kill are kept as they were").toEqual(before);
  for (const [location = "", key = ""] of after) {
    const snapshotKey = key.startsWith("backup_metadata/")
      ? `snapshots/${key.slice("backup_metadata/".length, -".json".length)}`
      : key;
    expect(condemned, `${location} ${key} recorded as pruned (${label})`).toContain(snapshotKey);
    if (location === nodeLocation) expect(await rig.nodeKeys()).not.toContain(key);
    else if (key.startsWith("backup_metadata/")) expect(metadata).not.toContain(key);
    else expect(await rig.destKeys()).not.toContain(key);
  }
  // Nothing recorded as deleted from the node before the kill is deleted there again.
  const recordedOnNode = before.filter(([location]) => location === nodeLocation).map(([, key = ""]) => key);
  expect(
    rerunDeletes.filter((k) => recordedOnNode.includes(k)),
    `deleted again (${label})`,
  ).toEqual([]);
}

describe(`prune_snap --confirm with a directory destination, SIGKILL at seeded points (seed ${SEED})`, () => {
  for (const point of DIR_KILLS) {
    it(`${point.title}: the re-run exits 0; kept snapshots untouched, condemned ones gone, recorded deletions not repeated`, () =>
      killAndResume("dir", point, SEED));
  }
});

describe(`prune_snap --confirm, nodes storing snapshots in the destination bucket, SIGKILL at seeded points (seed ${SEED + 1})`, () => {
  for (const point of S3_KILLS) {
    it(`${point.title}: the re-run exits 0; kept snapshots untouched, condemned ones gone, recorded deletions not repeated`, () =>
      killAndResume("s3", point, SEED + 1));
  }
});
