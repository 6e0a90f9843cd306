// Crash safety with the state mirror (QDRANT_STATE_S3_PREFIX): `create_snap` and `recover_snap` are SIGKILLed in a pod
// at seeded points of their Qdrant requests and of the mirror's uploads of the state files (the kill comes while the
// upload is in flight, through an HTTP tap in front of the S3 server). The dead pod's lease (QDRANT_LOCK_TTL=3) is
// waited out; the same command then runs in a fresh, empty state directory (a new pod) with the same prefix. It
// resumes from the bucket's copies: their rows are kept, nothing the bucket's history records is done again, every
// state file in the bucket is whole rows, and the targets end equal to the source.
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { GetObjectCommand, NoSuchKey, PutObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { qdrantCall, readAllPoints, seedCollection } from "../support/emulator/seed.js";
import { createTestS3Client } from "../support/s3/client.js";
import { makeTempDir } from "../support/tmp.js";
import { expectExit, type Env } from "../e2e/harness.js";
import { startRig, type Rig } from "../e2e/rig.js";
import {
  duplicates,
  planKills,
  readStateStrict,
  runKilledAt,
  sorted,
  STATE_COLUMNS,
  type KillTarget,
  type StateRows,
} from "./crash-helpers.js";
import { startS3Tap, type S3Tap } from "./helpers/s3-tap.js";

const SEED = 6251;
const s3 = inject("s3");
const COLLECTIONS = ["c1", "c2", "c3"];
const TARGETS = 2;
const TTL_MS = 3000;
/** A complete run uploads a changed state file at least this often (after a change, and at the end of the run). */
const MIRROR_PUTS = 2;
const RECOVER = /^\/collections\/([^/]+)\/snapshots\/recover$/;
const client = createTestS3Client(s3, { maxAttempts: 1 });
const temps: (() => Promise<void>)[] = [];
let rig: Rig;
let tap: S3Tap;
/** The backup's `snapshots` file, which each restore test puts under its own prefix. */
let backupSnapshots = "";
let prefixes = 0;

/** A PUT of the state file `name` under a test's prefix, as the tap sees it (`/bucket/key`). */
const mirrorPut = (name: string, total: number): KillTarget => ({
  label: `PUT mirror ${name}`,
  method: "PUT",
  path: new RegExp(`^/[^/]+/crash-mirror/[^/]+/${name}$`),
  total,
});
const CREATE_KILLS = planKills(
  SEED,
  [
    mirrorPut("snapshots", MIRROR_PUTS),
    { label: "POST snapshot", method: "POST", path: /^\/collections\/[^/]+\/snapshots$/, total: COLLECTIONS.length },
  ],
  3,
);
const RECOVER_KILLS = planKills(
  SEED + 1,
  [
    mirrorPut("snapshot_recovery_history", MIRROR_PUTS),
    { label: "PUT recover", method: "PUT", path: RECOVER, total: COLLECTIONS.length * TARGETS },
  ],
  3,
);

async function pod(label: string): Promise<string> {
  const t = await makeTempDir(label);
  temps.push(t.cleanup);
  return t.dir;
}

/** Every state file's copy in the bucket under `prefix`, parsed strictly (whole rows, column counts, no NUL). */
async function bucketState(prefix: string): Promise<StateRows> {
  const dir = path.join(await pod("crash-mirror-bucket"), "state");
  await mkdir(dir);
  for (const name of Object.keys(STATE_COLUMNS)) {
    try {
      const reply = await client.send(new GetObjectCommand({ Bucket: rig.bucket, Key: `${prefix}${name}` }));
      await writeFile(path.join(dir, name), (await reply.Body?.transformToByteArray()) ?? new Uint8Array());
    } catch (err) {
      if (!(err instanceof NoSuchKey)) throw err;
    }
  }
  return readStateStrict(dir);
}

/** The CLI's environment: S3 through the tap, the state mirrored under `prefix`, a 3 s lease. */
function env(prefix: string, extra: Env = {}): Env {
  return rig.env({
    QDRANT_S3_ENDPOINT_URL: tap.endpoint,
    QDRANT_STATE_S3_PREFIX: prefix,
    QDRANT_LOCK_TTL: String(TTL_MS / 1000),
    ...extra,
  });
}

/** The dead pod's lease (renewed last before `killedAt`) expires: no --break-lock, the next pod takes it over. */
const leaseExpires = (killedAt: number) =>
  new Promise((resolve) => setTimeout(resolve, Math.max(0, killedAt + TTL_MS + 300 - Date.now())));

const newPrefix = (label: string) => `crash-mirror/${label}-${++prefixes}/`;

beforeAll(async () => {
  rig = await startRig(s3, { label: "crash-mirror", sourceNodes: 1, targetNodes: TARGETS });
  tap = await startS3Tap(s3.endpoint);
  for (const [i, c] of COLLECTIONS.entries())
    await seedCollection(rig.source.urls[0] ?? "", c, { points: 20 + 5 * i, dim: 4, apiKey: rig.apiKey });
  const dir = await pod("crash-mirror-backup");
  expectExit(await rig.run(["create_snap"], dir, env(newPrefix("backup"))), 0);
  backupSnapshots = (await readStateStrict(dir)).snapshots.map((r) => `${r.join(",")}\n`).join("");
});

afterAll(async () => {
  await rig?.stop();
  await tap?.stop();
  client.destroy();
  for (const cleanup of temps) await cleanup();
});

describe(`create_snap with the state mirror, SIGKILL at seeded points, resumed in a new pod (seed ${SEED})`, () => {
  for (const point of CREATE_KILLS) {
    it(`${point.title}: the new pod's run exits 0, keeps the bucket's rows and snapshots every collection; whole rows in the bucket`, async () => {
      const prefix = newPrefix("create");
      const first = await pod("crash-mirror-create-1");
      await runKilledAt(point.target.label.startsWith("PUT mirror") ? tap : rig.source, point, () =>
        rig.start(["create_snap"], first, env(prefix)),
      );
      const killedAt = Date.now();
      const before = await bucketState(prefix);
      // One file's uploads run one after another: a kill at its 2nd upload comes after the 1st landed, so the bucket
      // holds rows the new pod must keep (the 1st upload, killed in flight, may or may not have landed).
      if (point.target.label.startsWith("PUT mirror") && point.index >= 2)
        expect(before.snapshots.length, "rows in the bucket at the kill").toBeGreaterThan(0);
      await leaseExpires(killedAt);

      const dir = await pod("crash-mirror-create-2");
      expectExit(await rig.run(["create_snap"], dir, env(prefix)), 0);
      const after = await bucketState(prefix);
      const label = `${point.title}, seed ${SEED}`;
      expect(
        after.snapshots.slice(0, before.snapshots.length),
        `the bucket's rows from the dead pod are kept (${label})`,
      ).toEqual(before.snapshots);
      expect(
        sorted(after.snapshots.slice(before.snapshots.length).map((r) => r[1] ?? "")),
        `collections snapshotted by the new pod (${label})`,
      ).toEqual(COLLECTIONS);
      expect((await readStateStrict(dir)).snapshots, "the new pod's local file is the bucket's").toEqual(
        after.snapshots,
      );
      for (const [, collection = "", name = ""] of after.snapshots) {
        const reply = await client
          .send(new GetObjectCommand({ Bucket: rig.bucket, Key: `snapshots/${collection}/${name}` }))
          .catch(() => undefined);
        expect(
          reply,
          `snapshots/${collection}/${name}, recorded in the bucket's snapshots (${label}), is stored`,
        ).toBeDefined();
      }
    });
  }
});

describe(`recover_snap with the state mirror, SIGKILL at seeded points, resumed in a new pod (seed ${SEED + 1})`, () => {
  for (const point of RECOVER_KILLS) {
    it(`${point.title}: the new pod's run exits 0, redoes no recovery the bucket's history records; targets equal the source`, async () => {
      const prefix = newPrefix("recover");
      for (const url of rig.target.urls)
        for (const c of COLLECTIONS) await qdrantCall(url, "DELETE", `/collections/${c}`, rig.apiKey);
      await client.send(new PutObjectCommand({ Bucket: rig.bucket, Key: `${prefix}snapshots`, Body: backupSnapshots }));
      const first = await pod("crash-mirror-recover-1");
      await runKilledAt(point.target.label.startsWith("PUT mirror") ? tap : rig.target, point, () =>
        rig.start(["recover_snap"], first, env(prefix)),
      );
      const killedAt = Date.now();
      const before = await bucketState(prefix);
      const okBefore = before.snapshot_recovery_history
        .filter((r) => r[2] === "ok")
        .map(([host, snap]) => `${host}|${snap}`);
      // As above: a kill at a history upload leaves recoveries recorded in the bucket, which the new pod must not redo.
      if (point.target.label.startsWith("PUT mirror") && point.index >= 2)
        expect(okBefore.length, "recoveries recorded in the bucket at the kill").toBeGreaterThan(0);
      await leaseExpires(killedAt);

      rig.target.resetRequests();
      const dir = await pod("crash-mirror-recover-2");
      expectExit(await rig.run(["recover_snap"], dir, env(prefix)), 0);
      const after = await bucketState(prefix);
      const label = `${point.title}, seed ${SEED + 1}`;
      const snapshotOf = new Map(before.snapshots.map(([, c = "", name = ""]) => [c, name]));
      const redone = rig.target
        .requests()
        .filter((q) => q.method === "PUT" && RECOVER.test(q.path))
        .map((q) => `${rig.target.urls[q.node]}|${snapshotOf.get(RECOVER.exec(q.path)?.[1] ?? "") ?? "?"}`);
      expect(
        redone.filter((p) => okBefore.includes(p)),
        `recorded in the bucket before the kill, recovered again (${label})`,
      ).toEqual([]);
      expect(
        after.snapshot_recovery_history.slice(0, before.snapshot_recovery_history.length),
        `the bucket's rows are kept (${label})`,
      ).toEqual(before.snapshot_recovery_history);
      const okAfter = after.snapshot_recovery_history
        .filter((r) => r[2] === "ok")
        .map(([host, snap]) => `${host}|${snap}`);
      expect(duplicates(okAfter), "a (host, snapshot) recorded ok twice").toEqual([]);
      expect(sorted(okAfter)).toEqual(
        sorted(rig.target.urls.flatMap((u) => [...snapshotOf.values()].map((s) => `${u}|${s}`))),
      );
      expect(after.failed_snapshot_recovery).toEqual([]);
      for (const url of rig.target.urls) {
        for (const c of COLLECTIONS) {
          expect(await readAllPoints(url, c, rig.apiKey), `${c} on ${url} (${label})`).toEqual(
            await readAllPoints(rig.source.urls[0] ?? "", c, rig.apiKey),
          );
        }
      }
    });
  }
});
