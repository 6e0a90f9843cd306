// prune_snap through the built CLI: nodes on S3 snapshot storage with the bucket as destination, and nodes on local
// storage with a directory destination. The dry run prints and deletes nothing; --confirm deletes what it said and
// records it in pruned_snapshots; the percentage guard exits 3; a failed listing exits 4. Every run is secret-scanned.
import { mkdir, readdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { ListObjectsV2Command, PutObjectCommand } from "@aws-sdk/client-s3";
import { parse } from "csv-parse/sync";
import { describe, expect, inject, it, onTestFinished } from "vitest";
import { runCli, type CliResult } from "../support/cli.js";
import { startEmulator, type EmulatorOptions } from "../support/emulator/index.js";
import { qdrantCall, seedCollection } from "../support/emulator/seed.js";
import { createTestBucket, createTestS3Client } from "../support/s3/client.js";
import { makeTempDir } from "../support/tmp.js";
import {
  closedPort,
  expectExit,
  expectLogLines,
  parseJsonSummary,
  readStateText,
  s3Env,
  s3Storage,
  type Env,
} from "./harness.js";
import { randomApiKey } from "./rig.js";
import { assertNoSecrets } from "./secret-scan.js";

const s3 = inject("s3");
const DAYS = ["16", "17", "18", "19", "20"];
/** 2 daily snapshots, nothing else; the percentage guard off unless a test says otherwise. */
const POLICY: Env = {
  QDRANT_KEEP_DAILY: "2",
  QDRANT_KEEP_WEEKLY: "0",
  QDRANT_KEEP_MONTHLY: "0",
  QDRANT_PRUNE_MAX_DELETE_PCT: "100",
};

/** One node (peer 7) whose collection c1 has a snapshot at 02:00 on each of DAYS (Nov 2026); cleaned up after the test. */
async function nodeWithSnapshots(label: string, storage: EmulatorOptions["storage"]) {
  const apiKey = randomApiKey(label);
  let now = new Date("2026-11-16T02:00:00Z");
  const emu = await startEmulator({
    nodes: 1,
    apiKey,
    peerIds: [7],
    clock: () => now,
    ...(storage ? { storage } : {}),
  });
  const cwd = await makeTempDir(label);
  onTestFinished(async () => {
    await emu.stop();
    await cwd.cleanup();
  });
  const url = emu.urls[0] ?? "";
  await seedCollection(url, "c1", { points: 3, dim: 2, apiKey });
  for (const day of DAYS) {
    now = new Date(`2026-11-${day}T02:00:00Z`);
    await qdrantCall(url, "POST", "/collections/c1/snapshots", apiKey);
  }
  // The node's S3 listing is unfiltered (a foreign object shows up too): only snapshot files count here.
  const names = async (): Promise<string[]> => {
    const list = await qdrantCall(url, "GET", "/collections/c1/snapshots", apiKey);
    return (Array.isArray(list) ? list : [])
      .map((s: unknown) => (typeof s === "object" && s !== null && "name" in s ? String(s.name) : ""))
      .filter((n) => n.endsWith(".snapshot"))
      .sort();
  };
  return { emu, url, apiKey, dir: cwd.dir, names };
}

const snap = (day: string) => `c1-7-2026-11-${day}-02-00-00.snapshot`;

/** Runs the CLI in `cwd` and scans everything it printed or wrote for the secrets. */
async function cli(args: string[], cwd: string, env: Env, secrets: Record<string, string>): Promise<CliResult> {
  const result = await runCli(args, { env, cwd });
  await assertNoSecrets({ stdout: result.stdout, stderr: result.stderr, stateDir: cwd, secrets });
  return result;
}

/** pruned_snapshots parsed strictly as CSV: `location key` per row, after checking deleted_at. */
async function prunedRows(dir: string): Promise<string[]> {
  const text = await readStateText(dir, "pruned_snapshots");
  const rows: unknown = parse(text ?? "", { relax_column_count: false });
  if (!Array.isArray(rows)) throw new Error("no rows");
  return rows
    .map((row: unknown) => {
      if (!Array.isArray(row) || row.length !== 3) throw new Error(`bad row ${JSON.stringify(row)}`);
      expect(String(row[2])).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
      return `${String(row[0])} ${String(row[1])}`;
    })
    .sort();
}

const deleteKeys = (stdout: string, outcome: string): string[] =>
  (parseJsonSummary(stdout).tasks[0]?.items ?? [])
    .filter((i) => i["action"] === "delete" && i["outcome"] === outcome)
    .map((i) => String(i["key"]))
    .sort();

describe("prune_snap, nodes on S3 snapshot storage, the bucket as destination", () => {
  it("dry run prints and deletes nothing; the guard exits 3; --confirm deletes what the dry run said", async () => {
    const bucket = await createTestBucket(s3, "e2e-prune");
    const node = await nodeWithSnapshots("e2e-prune-s3", s3Storage(s3, bucket));
    const client = createTestS3Client(s3);
    onTestFinished(() => client.destroy());
    const keys = async () =>
      ((await client.send(new ListObjectsV2Command({ Bucket: bucket }))).Contents ?? []).map((o) => o.Key ?? "").sort();
    const extra = [
      "snapshots/c1/notes.txt",
      `backup_metadata/c1/${snap("16")}.json`,
      `backup_metadata/c1/${snap("20")}.json`,
    ];
    for (const Key of extra) await client.send(new PutObjectCommand({ Bucket: bucket, Key, Body: "{}" }));
    const before = await keys();
    const env: Env = { QDRANT_API_KEY: node.apiKey, QDRANT_SOURCE_HOSTS: node.url, ...s3Env(s3, bucket), ...POLICY };
    const secrets = { QDRANT_API_KEY: node.apiKey, QDRANT_S3_SECRET_ACCESS_KEY: s3.secretKey };

    const dry = await cli(["prune_snap", "--json", "--items"], node.dir, env, secrets);
    expectExit(dry, 0);
    const condemned = ["16", "17", "18"].map((d) => `snapshots/c1/${snap(d)}`);
    expect(deleteKeys(dry.stdout, "skipped")).toEqual(condemned);
    const items = parseJsonSummary(dry.stdout).tasks[0]?.items ?? [];
    expect(items.find((i) => i["key"] === `snapshots/c1/${snap("20")}`)).toMatchObject({
      action: "keep",
      rules: "daily 2026-11-20",
      places: `s3://${bucket}, ${node.url}`,
    });
    expectLogLines(dry.stderr);
    for (const key of condemned) expect(dry.stderr).toContain(`would delete ${key} in s3://${bucket}, ${node.url}`);
    expect(await keys()).toEqual(before);
    expect(await node.names()).toEqual(DAYS.map(snap));
    expect(await readStateText(node.dir, "pruned_snapshots")).toBeUndefined();

    const human = await cli(["prune_snap"], node.dir, env, secrets);
    expectExit(human, 0);
    expect(human.stdout).toBe(
      "[prune_snap] Dry run: 3 of 5 snapshots in 1 group would be deleted, 2 kept; --confirm deletes them\n",
    );

    // 3 of 5 is 60%: over the default 50%, so the group is left alone and the run says so.
    const guarded = await cli(
      ["prune_snap", "--confirm"],
      node.dir,
      { ...env, QDRANT_PRUNE_MAX_DELETE_PCT: "50" },
      secrets,
    );
    expectExit(guarded, 3);
    expect(guarded.stdout).toBe(
      "[prune_snap] Deleted 0 of 5 snapshots in 1 group, 2 kept, 0 failed, 1 group refused (3 more to delete, over 50%; --force allows it)\n",
    );
    expect(guarded.stderr).toMatch(/WARNING: collection c1 peer 7: refused: would delete 3 of 5 snapshots \(60%\)/);
    expect(await keys()).toEqual(before);

    const confirmed = await cli(["prune_snap", "--confirm", "--json", "--items"], node.dir, env, secrets);
    expectExit(confirmed, 0);
    expect(deleteKeys(confirmed.stdout, "done")).toEqual(condemned);
    expect(await keys()).toEqual(
      before.filter((k) => !condemned.includes(k) && k !== `backup_metadata/c1/${snap("16")}.json`),
    );
    expect(await node.names()).toEqual([snap("19"), snap("20")]);
    expect(await prunedRows(node.dir)).toEqual(
      [...condemned, `backup_metadata/c1/${snap("16")}.json`].map((k) => `s3://${bucket} ${k}`).sort(),
    );
  });

  it("a node that cannot be listed: exit 4, one line naming it, nothing deleted", async () => {
    const bucket = await createTestBucket(s3, "e2e-prune-down");
    const node = await nodeWithSnapshots("e2e-prune-down", s3Storage(s3, bucket));
    const down = `http://127.0.0.1:${await closedPort()}`;
    const env: Env = {
      QDRANT_API_KEY: node.apiKey,
      QDRANT_SOURCE_HOSTS: `${node.url},${down}`,
      ...s3Env(s3, bucket),
      ...POLICY,
      QDRANT_RETRIES: "0",
    };

    const r = await cli(["prune_snap", "--confirm", "--force"], node.dir, env, {
      QDRANT_API_KEY: node.apiKey,
      QDRANT_S3_SECRET_ACCESS_KEY: s3.secretKey,
    });

    expectExit(r, 4);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain(`prune_snap: cannot list the collections of ${down}`);
    expect(r.stderr).toContain("refusing to prune, nothing was deleted");
    expect(node.emu.requests().filter((q) => q.method === "DELETE")).toEqual([]);
    expect(await node.names()).toEqual(DAYS.map(snap));
    expect(await readStateText(node.dir, "pruned_snapshots")).toBeUndefined();
  });
});

describe("prune_snap, a node on local storage, QDRANT_BACKUP_DIR as destination", () => {
  it("deletes each old snapshot from the node and its copy from the directory, and records both", async () => {
    const node = await nodeWithSnapshots("e2e-prune-local", { kind: "local" });
    const backup = await makeTempDir("e2e-prune-dest");
    onTestFinished(() => backup.cleanup());
    const copies = ["16", "20"].map((d) => `snapshots/c1/${snap(d)}`);
    for (const key of [...copies, "snapshots/c1/README"]) {
      const file = path.join(backup.dir, ...key.split("/"));
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, "copy");
    }
    const files = async () => (await readdir(path.join(backup.dir, "snapshots", "c1"))).sort();
    const env: Env = {
      QDRANT_API_KEY: node.apiKey,
      QDRANT_SOURCE_HOSTS: node.url,
      QDRANT_BACKUP_DIR: backup.dir,
      ...POLICY,
      QDRANT_PRUNE_MAX_DELETE_PCT: "50",
    };
    const secrets = { QDRANT_API_KEY: node.apiKey };

    const dry = await cli(["prune_snap", "--json", "--items", "--force"], node.dir, env, secrets);
    expectExit(dry, 0);
    expect(deleteKeys(dry.stdout, "skipped")).toEqual(["16", "17", "18"].map((d) => `snapshots/c1/${snap(d)}`));
    expect(await node.names()).toEqual(DAYS.map(snap));
    expect(await files()).toEqual(["README", snap("16"), snap("20")]);

    const confirmed = await cli(["prune_snap", "--confirm", "--force"], node.dir, env, secrets);
    expectExit(confirmed, 0);
    expect(confirmed.stdout).toBe("[prune_snap] Deleted 3 of 5 snapshots in 1 group, 2 kept, 0 failed\n");
    expect(await node.names()).toEqual([snap("19"), snap("20")]);
    expect(await files()).toEqual(["README", snap("20")]);
    expect(await prunedRows(node.dir)).toEqual(
      [
        `${backup.dir} snapshots/c1/${snap("16")}`,
        ...["16", "17", "18"].map((d) => `${node.url} snapshots/c1/${snap(d)}`),
      ].sort(),
    );
  });
});
