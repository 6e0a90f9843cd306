// Backup sets restored through the built CLI: `create_snap_shards` on a 3-peer emulated cluster (snapshots in the
// bucket), then `recover_snap_shards` onto a fresh 3-peer cluster sharing the bucket: the points, the alias and a
// VERIFIED verdict, exit 0, no secret in any output; a re-run from a fresh state directory resumes (nothing
// recovered again, VERIFIED); a filter matching no set exits 3 without touching the target.
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startCli } from "../support/cli.js";
import { startEmulator, type Emulator } from "../support/emulator/index.js";
import { createAlias, listAliases, readAllPoints, seedCollection } from "../support/emulator/seed.js";
import { createTestBucket } from "../support/s3/client.js";
import { makeTempDir } from "../support/tmp.js";
import { expectExit, s3Env, s3Storage, type Env } from "./harness.js";
import { randomApiKey } from "./rig.js";
import { assertNoSecrets } from "./secret-scan.js";

const s3 = inject("s3");
const apiKey = randomApiKey("restore-sets");
const SHARD_RECOVER = /^\/collections\/docs\/shards\/\d+\/snapshots\/recover$/;
let source: Emulator;
let target: Emulator;
let bucket: string;
const temps: (() => Promise<void>)[] = [];

beforeAll(async () => {
  bucket = await createTestBucket(s3, "e2e-restore-sets");
  source = await startEmulator({ cluster: { peers: 3 }, apiKey, storage: s3Storage(s3, bucket) });
  target = await startEmulator({ cluster: { peers: 3 }, apiKey, storage: s3Storage(s3, bucket) });
  await seedCollection(source.urls[0]!, "docs", { points: 40, dim: 4, shards: 3, rf: 2, apiKey });
  await createAlias(source.urls[0]!, "docs", "docs-live", apiKey);
});

afterAll(async () => {
  await source?.stop();
  await target?.stop();
  for (const t of temps) await t();
});

function env(): Env {
  return {
    QDRANT_API_KEY: apiKey,
    QDRANT_SOURCE_HOSTS: source.urls[0]!,
    QDRANT_RESTORE_HOSTS: target.urls[0]!,
    QDRANT_HTTP_PORT: String(source.nodes[0]!.port),
    HOSTNAME: "e2e-backup",
    QDRANT_VERIFY_GREEN_TIMEOUT_SECONDS: "5",
    QDRANT_VERIFY_POLL_INTERVAL_SECONDS: "1",
    ...s3Env(s3, bucket),
  };
}

async function cli(args: string[], extra: Env = {}) {
  const dir = await makeTempDir("e2e-restore-sets-state");
  temps.push(dir.cleanup);
  const done = await startCli(args, { env: { ...env(), ...extra }, cwd: dir.dir }).done;
  return { done, dir: dir.dir };
}

describe("recover_snap_shards through the CLI", () => {
  it("restores a set written by create_snap_shards onto a fresh cluster: VERIFIED, exit 0; a re-run resumes; a filter matching no set exits 3", async () => {
    // The two clusters need one QDRANT_HTTP_PORT each: the source's for the backup, the target's for the restore.
    const backup = await cli(["create_snap_shards"]);
    expectExit(backup.done, 0);

    const restore = await cli(["recover_snap_shards"], { QDRANT_HTTP_PORT: String(target.nodes[0]!.port) });
    expectExit(restore.done, 0);
    expect(restore.done.stderr).toMatch(/restore of docs from set \S+-e2e-backup VERIFIED \(40 points, 3 shard\(s\)/);
    expect(restore.done.stdout).toContain("restore summary: 1 collection(s) verified, 0 failed");
    expect(await readAllPoints(target.urls[0]!, "docs", apiKey)).toEqual(
      await readAllPoints(source.urls[0]!, "docs", apiKey),
    );
    expect(await listAliases(target.urls[0]!, apiKey)).toEqual([{ alias_name: "docs-live", collection_name: "docs" }]);
    await assertNoSecrets({
      stdout: restore.done.stdout,
      stderr: restore.done.stderr,
      stateDir: restore.dir,
      secrets: { QDRANT_API_KEY: apiKey, QDRANT_S3_SECRET_ACCESS_KEY: s3.secretKey },
    });

    target.resetRequests();
    const again = await cli(["recover_snap_shards"], { QDRANT_HTTP_PORT: String(target.nodes[0]!.port) });
    expectExit(again.done, 0);
    expect(again.done.stderr).toMatch(/3 shard\(s\) already recovered by an earlier run/);
    expect(target.requests().filter((r) => SHARD_RECOVER.test(r.path))).toEqual([]);

    const none = await cli(["recover_snap_shards"], {
      QDRANT_HTTP_PORT: String(target.nodes[0]!.port),
      QDRANT_SNAPSHOT_DATETIME_FILTER: "1999-",
    });
    expectExit(none.done, 3);
    expect(none.done.stderr).toMatch(
      /no set of docs starts with QDRANT_SNAPSHOT_DATETIME_FILTER="1999-"; sets there are: /,
    );
    expect(none.done.stdout).toContain("restore summary: 0 collection(s) verified, 1 failed");
  });
});
