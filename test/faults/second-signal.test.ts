// A second signal means "exit now": through the built CLI with a mirrored state (a lease in the bucket), SIGINT then
// SIGTERM while the run is held inside a Qdrant request. The process exits 130 at once, and still leaves neither the
// lock file nor the lease object behind.
import { existsSync } from "node:fs";
import path from "node:path";
import { GetObjectCommand, S3ServiceException, type S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { LOCK_FILE_NAME } from "../../src/state/lock.js";
import { parseLease, type LeaseBody } from "../../src/state/lease-body.js";
import { seedCollection } from "../support/emulator/seed.js";
import { createTestS3Client } from "../support/s3/client.js";
import { makeTempDir } from "../support/tmp.js";
import { expectExit, waitFor } from "../e2e/harness.js";
import { startRig, type Rig } from "../e2e/rig.js";

const s3 = inject("s3");
let rig: Rig;
let client: S3Client;
const temps: (() => Promise<void>)[] = [];

beforeAll(async () => {
  rig = await startRig(s3, { label: "second-signal", sourceNodes: 1, targetNodes: 1 });
  client = createTestS3Client(s3);
  await seedCollection(rig.source.urls[0] ?? "", "c1", { points: 5, dim: 4, apiKey: rig.apiKey });
});

afterAll(async () => {
  rig?.source.faults.clear();
  client?.destroy();
  await rig?.stop();
  for (const cleanup of temps) await cleanup();
});

async function lease(prefix: string): Promise<LeaseBody | undefined> {
  try {
    const reply = await client.send(new GetObjectCommand({ Bucket: rig.bucket, Key: `${prefix}.lock` }));
    return parseLease((await reply.Body?.transformToByteArray()) ?? new Uint8Array());
  } catch (err) {
    if (err instanceof S3ServiceException && err.name === "NoSuchKey") return undefined;
    throw err;
  }
}

describe("a second signal exits now", () => {
  it("SIGINT then SIGTERM while a request is held: exit 130 at once, the lock file and the state lease both released", async () => {
    const t = await makeTempDir("second-signal");
    temps.push(t.cleanup);
    const prefix = "state/second-signal/";
    let arrived = false;
    const release = rig.source.faults.add({
      method: "GET",
      path: "/collections",
      latencyMs: 30_000,
      onMatch: () => (arrived = true),
    });
    const run = rig.start(["create_snap"], t.dir, rig.env({ QDRANT_STATE_S3_PREFIX: prefix }));
    try {
      await waitFor(() => (arrived ? true : undefined), "the run inside GET /collections", 20_000);
      expect((await lease(prefix))?.pid).toBe(run.pid);
      expect(existsSync(path.join(t.dir, LOCK_FILE_NAME))).toBe(true);
      const sent = Date.now();
      // Two different signals: both are delivered (two of one kind may merge into one while pending).
      run.kill("SIGINT");
      run.kill("SIGTERM");
      const result = await run.finish();
      expect(Date.now() - sent, "exited within the lease deadline").toBeLessThan(8_000);
      expectExit(result, 130);
      expect(result.stderr).toMatch(
        /WARNING: second SIG(INT|TERM): exiting now; the lock is released, the state lease within 3 s/,
      );
    } finally {
      release();
    }
    expect(existsSync(path.join(t.dir, LOCK_FILE_NAME)), "lock file left").toBe(false);
    expect(await lease(prefix), "lease left").toBeUndefined();
  });
});
