// Crash safety of recover_snap_shards with the state mirror (QDRANT_STATE_S3_PREFIX): the built CLI restoring a set
// (3 shards, written by create_snap_shards from a 3-peer cluster) onto a fresh 3-peer cluster, one recovery at a time,
// is SIGKILLed as its 1st, 2nd and last shard recovery arrives (the node still carries it out, unheard of). The dead pod's leases (QDRANT_LOCK_TTL=3)
// are waited out; the same command then runs in a fresh, empty state directory (a new pod) with the same prefix. It
// ends VERIFIED with exit 0, the target holds the source's points, and no shard the bucket's resume state
// (`restore_state/{c}/{set}.csv`) records as done is recovered again.
import { GetObjectCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, inject, it, onTestFinished } from "vitest";
import { startCli } from "../support/cli.js";
import { startEmulator, type Emulator } from "../support/emulator/index.js";
import { createAlias, readAllPoints, seedCollection } from "../support/emulator/seed.js";
import { createTestBucket, createTestS3Client } from "../support/s3/client.js";
import { makeTempDir } from "../support/tmp.js";
import { expectExit, s3Env, s3Storage, type Env } from "../e2e/harness.js";
import { randomApiKey } from "../e2e/rig.js";
import { assertNoSecrets } from "../e2e/secret-scan.js";
import { runKilledAt, type KillPoint, type KillTarget } from "./crash-helpers.js";

const s3 = inject("s3");
const apiKey = randomApiKey("crash-restore-sets");
const TTL_MS = 3000;
const SHARD_RECOVER = /^\/collections\/docs\/shards\/(\d+)\/snapshots\/recover$/;
const RECOVER: KillTarget = { label: "PUT shard recover", method: "PUT", path: SHARD_RECOVER, total: 3 };
const KILLS: KillPoint[] = [1, 2, 3].map((index) => ({
  target: RECOVER,
  index,
  title: `kill at shard recovery #${index} of ${RECOVER.total}${index === RECOVER.total ? " (the last)" : ""}`,
}));
const client = createTestS3Client(s3, { maxAttempts: 1 });
const temps: (() => Promise<void>)[] = [];
let source: Emulator;
let bucket: string;
let prefixes = 0;

async function pod(label: string): Promise<string> {
  const t = await makeTempDir(label);
  temps.push(t.cleanup);
  return t.dir;
}

function env(extra: Env = {}): Env {
  return {
    QDRANT_API_KEY: apiKey,
    QDRANT_SOURCE_HOSTS: source.urls[0]!,
    QDRANT_HTTP_PORT: String(source.nodes[0]!.port),
    HOSTNAME: "crash-restore-sets",
    QDRANT_VERIFY_GREEN_TIMEOUT_SECONDS: "5",
    QDRANT_VERIFY_POLL_INTERVAL_SECONDS: "1",
    QDRANT_LOCK_TTL: String(TTL_MS / 1000),
    ...s3Env(s3, bucket),
    ...extra,
  };
}

/** The shard ids the bucket's resume state of `docs` records `ok` on `target` (every set's file in `restore_state/docs/`). */
async function doneInBucket(target: string): Promise<Set<string>> {
  const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: "restore_state/docs/" }));
  const done = new Set<string>();
  for (const { Key } of listed.Contents ?? []) {
    const reply = await client.send(new GetObjectCommand({ Bucket: bucket, Key: Key! }));
    for (const line of (await reply.Body!.transformToString()).split("\n").filter(Boolean)) {
      const fields = line.split(",");
      expect(fields, `a whole row in ${Key}: ${line}`).toHaveLength(5);
      if (fields[0] === target && fields[4] === "ok") done.add(fields[3]!);
    }
  }
  return done;
}

beforeAll(async () => {
  bucket = await createTestBucket(s3, "crash-restore-sets");
  source = await startEmulator({ cluster: { peers: 3 }, apiKey, storage: s3Storage(s3, bucket) });
  await seedCollection(source.urls[0]!, "docs", { points: 45, dim: 4, shards: 3, rf: 2, apiKey });
  await createAlias(source.urls[0]!, "docs", "docs-live", apiKey);
  const dir = await pod("crash-restore-sets-backup");
  expectExit(await startCli(["create_snap_shards"], { env: env(), cwd: dir }).done, 0);
});

afterAll(async () => {
  await source?.stop();
  client.destroy();
  for (const cleanup of temps) await cleanup();
});

describe("recover_snap_shards with the state mirror, SIGKILL at its 1st, 2nd and last shard recovery, resumed in a new pod", () => {
  for (const point of KILLS) {
    it(`${point.title}: the new pod's run ends VERIFIED, exit 0, and recovers no shard the bucket's resume state records done`, async () => {
      const target = await startEmulator({ cluster: { peers: 3 }, apiKey, storage: s3Storage(s3, bucket) });
      onTestFinished(() => target.stop());
      // Each test restores onto its own fresh cluster, with its own state prefix and its own resume state.
      const restoreEnv = env({
        QDRANT_RESTORE_HOSTS: target.urls[0]!,
        QDRANT_HTTP_PORT: String(target.nodes[0]!.port),
        QDRANT_STATE_S3_PREFIX: `crash-restore-sets/${++prefixes}/`,
        // One recovery at a time: each shard's line is in the bucket before the next recovery is sent.
        QDRANT_CONCURRENCY: "1",
      });
      const first = await pod("crash-restore-sets-1");
      await runKilledAt(target, point, () => startCli(["recover_snap_shards"], { env: restoreEnv, cwd: first }));
      const killedAt = Date.now();
      const done = await doneInBucket(target.urls[0]!);
      expect(done.size, `${point.title}: the shards recovered before the kill are in the bucket's resume state`).toBe(
        point.index - 1,
      );
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, killedAt + TTL_MS + 300 - Date.now())));
      target.resetRequests();

      const dir = await pod("crash-restore-sets-2");
      const again = await startCli(["recover_snap_shards"], { env: restoreEnv, cwd: dir }).done;

      expectExit(again, 0);
      expect(again.stderr).toMatch(/restore of docs from set \S+ VERIFIED \(45 points, 3 shard\(s\)/);
      const recovered = target
        .requests()
        .filter((r) => r.method === "PUT" && SHARD_RECOVER.test(r.path))
        .map((r) => SHARD_RECOVER.exec(r.path)![1]!);
      expect(
        recovered.filter((sid) => done.has(sid)),
        `${point.title}: shards the bucket records done (${[...done].join(",") || "none"}) recovered again`,
      ).toEqual([]);
      expect(new Set([...done, ...recovered]), "every shard recovered once by either run").toEqual(
        new Set(["0", "1", "2"]),
      );
      expect(await readAllPoints(target.urls[0]!, "docs", apiKey)).toEqual(
        await readAllPoints(source.urls[0]!, "docs", apiKey),
      );
      await assertNoSecrets({
        stdout: again.stdout,
        stderr: again.stderr,
        stateDir: dir,
        secrets: { QDRANT_API_KEY: apiKey, QDRANT_S3_SECRET_ACCESS_KEY: s3.secretKey },
      });
    });
  }
});
