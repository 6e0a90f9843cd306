// State that survives pods (QDRANT_STATE_S3_PREFIX): a backup "Job" and restore "Jobs" each start in a fresh, empty
// directory, as a pod with an emptyDir does, and resume through the state files' copies in the bucket.
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from "@aws-sdk/client-s3";
import { readdir } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createAlias, listAliases, readAllPoints, seedCollection } from "../support/emulator/seed.js";
import { createTestS3Client } from "../support/s3/client.js";
import { clearS3Faults, setS3Faults } from "../support/s3/fault-admin.js";
import { itWithS3Faults } from "../support/s3/impl.js";
import { makeTempDir } from "../support/tmp.js";
import { expectExit, parseJsonSummary, plainLines, readStateText } from "./harness.js";
import { startRig, type Rig } from "./rig.js";
import { assertNoSecrets } from "./secret-scan.js";

const s3 = inject("s3");
const PREFIX = "state/prod-backup/";
const COLLECTIONS = ["articles", "products", "users"];
const RECOVER = /^\/collections\/([^/]+)\/snapshots\/recover$/;
let rig: Rig;
let client: S3Client;
const temps: (() => Promise<void>)[] = [];

/** A fresh empty directory, like a new pod's emptyDir. */
async function pod(label: string): Promise<string> {
  const t = await makeTempDir(label);
  temps.push(t.cleanup);
  return t.dir;
}

async function keysUnder(prefix: string): Promise<string[]> {
  const page = await client.send(new ListObjectsV2Command({ Bucket: rig.bucket, Prefix: prefix }));
  return (page.Contents ?? []).map((o) => o.Key ?? "").sort();
}

async function objectText(key: string): Promise<string> {
  const reply = await client.send(new GetObjectCommand({ Bucket: rig.bucket, Key: key }));
  return (await reply.Body?.transformToString("utf8")) ?? "";
}

const withPrefix = (prefix: string) => rig.env({ QDRANT_STATE_S3_PREFIX: prefix });

beforeAll(async () => {
  rig = await startRig(s3, { label: "state-mirror", sourceNodes: 1, targetNodes: 1 });
  client = createTestS3Client(s3);
  const src = rig.source.urls[0] ?? "";
  for (const [i, c] of COLLECTIONS.entries()) {
    await seedCollection(src, c, { points: 30 + i, dim: 4, apiKey: rig.apiKey });
    await createAlias(src, c, `${c}-live`, rig.apiKey);
  }
});

afterAll(async () => {
  client?.destroy();
  await rig?.stop();
  for (const cleanup of temps) await cleanup();
});

describe("a backup Job, then restore Jobs in fresh pods", () => {
  it("backup: the collection, snapshot and alias files land next to the snapshots, byte for byte", async () => {
    const dir = await pod("mirror-backup");
    expectExit(await rig.run(["create_snap", "get_colla"], dir, withPrefix(PREFIX)), 0);
    const keys = await keysUnder(PREFIX);
    expect(keys).toEqual([`${PREFIX}collection_aliases`, `${PREFIX}collections`, `${PREFIX}snapshots`]);
    for (const key of keys) {
      const name = key.slice(PREFIX.length);
      expect(await objectText(key), name).toBe(await readStateText(dir, name));
    }
    expect(plainLines(await objectText(`${PREFIX}snapshots`))).toHaveLength(COLLECTIONS.length);
  });

  it("a restore that fails part-way records its history in the bucket; the next pod redoes only the failures", async () => {
    const first = await pod("mirror-restore-1");
    rig.target.faults.add({ method: "PUT", path: /^\/collections\/products\/snapshots\/recover$/, status: 500 });
    rig.target.resetRequests();
    const r1 = await rig.run(["recover_snap", "recover_colla"], first, withPrefix(PREFIX));
    expectExit(r1, 3);
    // 2 recoveries done and checked (`ok`, `verified`).
    expect(plainLines(await objectText(`${PREFIX}snapshot_recovery_history`))).toHaveLength(4);
    expect(plainLines(await objectText(`${PREFIX}failed_snapshot_recovery`))).toHaveLength(1);

    rig.target.faults.clear();
    rig.target.resetRequests();
    const second = await pod("mirror-restore-2");
    const r2 = await rig.run(["recover_snap", "recover_colla"], second, withPrefix(PREFIX));
    expectExit(r2, 0);
    expect(r2.stdout).toContain("[recover_snap] Snapshots recovered: 1, accepted: 0, already recovered: 2, failed: 0");
    const recovered = rig.target
      .requests()
      .filter((q) => q.method === "PUT" && RECOVER.test(q.path))
      .map((q) => decodeURIComponent(RECOVER.exec(q.path)?.[1] ?? ""));
    expect(recovered).toEqual(["products"]);

    const src = rig.source.urls[0] ?? "";
    const dst = rig.target.urls[0] ?? "";
    for (const c of COLLECTIONS)
      expect(await readAllPoints(dst, c, rig.apiKey), c).toEqual(await readAllPoints(src, c, rig.apiKey));
    const aliases = (await listAliases(dst, rig.apiKey)).map((a) => `${a.alias_name}->${a.collection_name}`).sort();
    expect(aliases).toEqual(COLLECTIONS.map((c) => `${c}-live->${c}`));
    // The second pod's local history is the bucket's, so a third pod has nothing left to do.
    expect(await objectText(`${PREFIX}snapshot_recovery_history`)).toBe(
      await readStateText(second, "snapshot_recovery_history"),
    );
    const third = await pod("mirror-restore-3");
    const r3 = await rig.run(["recover_snap", "recover_colla"], third, withPrefix(PREFIX));
    expectExit(r3, 0);
    expect(r3.stdout).toContain("already recovered: 3, failed: 0");
  });

  it("no state copy in the bucket holds a secret or a presigned URL's credentials", async () => {
    const extra = await Promise.all(
      (await keysUnder("state/")).map(async (key) => ({ where: `s3 ${key}`, text: await objectText(key) })),
    );
    expect(extra.length).toBeGreaterThan(0);
    await assertNoSecrets({ stdout: "", stderr: "", secrets: rig.secrets, extra });
  });
});

describe("when the bucket refuses the uploads", () => {
  itWithS3Faults("exit 4 after the local state is written, naming the state mirror", async () => {
    const dir = await pod("mirror-refused");
    const prefix = "state/refused/";
    // The state files' uploads only: the run's lease (<prefix>.lock) is taken, then every state upload fails.
    await setS3Faults(s3.endpoint, {
      bucket: rig.bucket,
      rate: 1,
      statuses: [500],
      operations: ["PutObject"],
      keyPattern: "^state/refused/[^.]",
    });
    try {
      const r = await rig.run(["get_colla", "--json"], dir, { ...withPrefix(prefix), QDRANT_RETRIES: "1" });
      expectExit(r, 4);
      expect(r.stderr).toMatch(/ERROR: state mirror: S3 PUT s3:\/\/[^ ]+\/state\/refused\/collection_aliases failed/);
      const summary = parseJsonSummary(r.stdout);
      expect(summary.ok).toBe(false);
      expect(summary.exitCode).toBe(4);
      expect(plainLines(await readStateText(dir, "collection_aliases")).sort()).toEqual(
        COLLECTIONS.map((c) => `${c},${c}-live`),
      );
    } finally {
      await clearS3Faults(s3.endpoint, rig.bucket);
    }
    expect(await keysUnder(prefix)).toEqual([]);
    // The next run on the same host uploads what the failed one could not.
    expectExit(await rig.run(["get_colla"], await pod("mirror-reset-again"), withPrefix(prefix)), 0);
    expect(await objectText(`${prefix}collection_aliases`)).toBe(await readStateText(dir, "collection_aliases"));
  });
});

describe("reset clears the mirrored copies too", () => {
  it("--bkp true keeps .bkp copies in the bucket; plain reset deletes", async () => {
    const prefix = "state/to-reset/";
    const dir = await pod("mirror-reset");
    expectExit(await rig.run(["get_coll", "get_colla"], dir, withPrefix(prefix)), 0);
    const before = await objectText(`${prefix}collection_aliases`);

    const fresh = await pod("mirror-reset-bkp");
    const r = await rig.run(["reset", "--bkp", "true"], fresh, withPrefix(prefix));
    expectExit(r, 0);
    expect(r.stdout).toMatch(/^\[reset\] State files backed up: 2; copies in s3:\/\/[^ ]+\/state\/to-reset\/: 2\n$/);
    const keys = await keysUnder(prefix);
    expect(keys).toHaveLength(2);
    for (const key of keys)
      expect(key).toMatch(/^state\/to-reset\/(collections|collection_aliases)-\d{4}-\d\d-\d\d_\d\d-\d\d-\d\d\.bkp$/);
    const aliasBkp = keys.find((k) => k.includes("collection_aliases")) ?? "";
    expect(await objectText(aliasBkp)).toBe(before);
    expect((await readdir(fresh)).filter((f) => f.endsWith(".bkp"))).toHaveLength(2);

    // A new run starts from nothing: the .bkp copies are never read back as state.
    expectExit(await rig.run(["get_colla"], await pod("mirror-reset-again"), withPrefix(prefix)), 0);
    const plain = await rig.run(["reset"], await pod("mirror-reset-plain"), withPrefix(prefix));
    expectExit(plain, 0);
    expect(plain.stdout).toMatch(/copies in s3:\/\/[^ ]+\/state\/to-reset\/: 1\n$/);
    expect((await keysUnder(prefix)).every((k) => k.endsWith(".bkp"))).toBe(true);
  });
});

describe("secret hygiene of the bucket's state", () => {
  // Last in the file: every copy, .bkp copy and lease the runs above left under state/.
  it("no object under state/ holds a secret or a presigned URL's credentials", async () => {
    const extra = await Promise.all(
      (await keysUnder("state/")).map(async (key) => ({ where: `s3 ${key}`, text: await objectText(key) })),
    );
    expect(extra.length).toBeGreaterThan(0);
    await assertNoSecrets({ stdout: "", stderr: "", secrets: rig.secrets, extra });
  });
});
