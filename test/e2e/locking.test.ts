// One run at a time per state, through the built CLI: the lock file in the state directory and, with a mirrored
// state (QDRANT_STATE_S3_PREFIX), the lease object in the bucket. A first run is held inside its first Qdrant
// request (the emulator delays GET /collections) while a second one tries; no assertion depends on timing.
import { readFile, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import {
  DeleteObjectCommand,
  GetObjectCommand,
  PutObjectCommand,
  S3ServiceException,
  type S3Client,
} from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { LOCK_FILE_NAME, parseHolder } from "../../src/state/lock.js";
import { parseLease, type LeaseBody } from "../../src/state/lease-body.js";
import type { CliResult } from "../support/cli.js";
import { seedCollection } from "../support/emulator/seed.js";
import { createTestS3Client } from "../support/s3/client.js";
import { makeTempDir } from "../support/tmp.js";
import { closedPort, expectExit, expectLogLines, waitFor } from "./harness.js";
import { startRig, type Rig } from "./rig.js";

const s3 = inject("s3");
const COLLECTIONS = ["alpha", "beta"];
let rig: Rig;
let client: S3Client;
let prefixes = 0;
const temps: (() => Promise<void>)[] = [];

async function stateDir(label: string): Promise<string> {
  const t = await makeTempDir(label);
  temps.push(t.cleanup);
  return t.dir;
}

const freshPrefix = () => `state/locking-${++prefixes}/`;
const lockPath = (dir: string) => path.join(dir, LOCK_FILE_NAME);

/** The lock file's holder pid, or undefined while there is none. */
async function lockPid(dir: string): Promise<number | undefined> {
  try {
    return parseHolder(await readFile(lockPath(dir)))?.pid;
  } catch {
    return undefined;
  }
}

async function lease(prefix: string): Promise<LeaseBody | undefined> {
  try {
    const reply = await client.send(new GetObjectCommand({ Bucket: rig.bucket, Key: `${prefix}.lock` }));
    return parseLease((await reply.Body?.transformToByteArray()) ?? new Uint8Array());
  } catch (err) {
    if (err instanceof S3ServiceException && err.name === "NoSuchKey") return undefined;
    throw err;
  }
}

/** Holds every run inside its first Qdrant request until the returned function is called (and the run stopped). */
function holdRuns(): () => void {
  return rig.source.faults.add({ method: "GET", path: "/collections", latencyMs: 30_000 });
}

/** The one ERROR line of a refused run. */
function errorLine(result: CliResult): string {
  const lines = result.stderr.split("\n").filter((l) => l.includes("ERROR: "));
  expect(lines, result.stderr).toHaveLength(1);
  return lines[0] ?? "";
}

beforeAll(async () => {
  rig = await startRig(s3, { label: "locking", sourceNodes: 1, targetNodes: 1 });
  client = createTestS3Client(s3);
  for (const c of COLLECTIONS)
    await seedCollection(rig.source.urls[0] ?? "", c, { points: 5, dim: 4, apiKey: rig.apiKey });
});

afterAll(async () => {
  rig?.source.faults.clear();
  client?.destroy();
  await rig?.stop();
  for (const cleanup of temps) await cleanup();
});

describe("one run at a time per state", () => {
  it("a second run in the same state directory exits 5 naming the first's pid; the first, stopped by SIGTERM, exits 130 and releases the lock; then a run succeeds", async () => {
    const dir = await stateDir("lock-same");
    const release = holdRuns();
    const first = rig.start(["create_snap"], dir);
    try {
      await waitFor(
        async () => ((await lockPid(dir)) === first.pid ? true : undefined),
        "the first run's lock",
        20_000,
      );
      const second = await rig.run(["get_coll"], dir);
      expectExit(second, 5);
      expectLogLines(second.stderr);
      const line = errorLine(second);
      expect(line).toContain(lockPath(dir));
      expect(line).toContain(`locked by pid ${first.pid} on host ${os.hostname()} (create_snap) since `);
      expect(line).toMatch(/, \d+ s ago, heartbeat \d+ s ago; if that run is gone, run again with --break-lock$/);
      expect(await lockPid(dir)).toBe(first.pid); // the refused run left it alone
    } finally {
      first.kill("SIGTERM");
      release();
    }
    expectExit(await first.finish(), 130);
    expect(await lockPid(dir)).toBeUndefined();
    expectExit(await rig.run(["create_snap"], dir), 0);
    expect(await lockPid(dir)).toBeUndefined();
  });

  it("two state directories sharing one QDRANT_STATE_S3_PREFIX: the lease refuses the second run (exit 5) and is deleted when the first ends", async () => {
    const prefix = freshPrefix();
    const env = rig.env({ QDRANT_STATE_S3_PREFIX: prefix });
    const [dirA, dirB] = [await stateDir("lease-a"), await stateDir("lease-b")];
    const release = holdRuns();
    const first = rig.start(["create_snap"], dirA, env);
    try {
      const held = await waitFor(
        async () => ((await lease(prefix))?.pid === first.pid ? lease(prefix) : undefined),
        "the first run's lease",
        20_000,
      );
      expect(held?.host).toBe(os.hostname());
      const second = await rig.run(["get_coll"], dirB, env);
      expectExit(second, 5);
      const line = errorLine(second);
      expect(line).toContain(
        `state lease s3://${rig.bucket}/${prefix}.lock: held by pid ${first.pid} on host ${os.hostname()}`,
      );
      expect(line).toContain(`expires at ${held?.expiresAt ?? "?"}`);
      expect(await lockPid(dirB)).toBeUndefined(); // its own lock released on the way out
    } finally {
      first.kill("SIGTERM");
      release();
    }
    expectExit(await first.finish(), 130);
    expect(await lease(prefix)).toBeUndefined();
    expectExit(await rig.run(["create_snap"], dirB, env), 0);
    expect(await lease(prefix)).toBeUndefined();
  });

  it("a holder killed with SIGKILL: the next run takes over its stale lock and its expired lease with warnings", async () => {
    const prefix = freshPrefix();
    const env = rig.env({ QDRANT_STATE_S3_PREFIX: prefix, QDRANT_LOCK_TTL: "3s" });
    const dir = await stateDir("lock-killed");
    const release = holdRuns();
    const first = rig.start(["create_snap"], dir, env);
    try {
      await waitFor(
        async () => ((await lease(prefix))?.pid === first.pid ? true : undefined),
        "the first run's lease",
        20_000,
      );
      first.kill("SIGKILL");
      expect((await first.finish()).signal).toBe("SIGKILL");
    } finally {
      release();
    }
    expect(await lockPid(dir)).toBe(first.pid); // left behind
    const left = await lease(prefix);
    expect(left?.pid).toBe(first.pid);
    // Wait (by the same clock the CLI reads) until the dead run's lease has expired; read again in case a renewal
    // sent just before the kill landed late.
    for (let body = left; body !== undefined && Date.parse(body.expiresAt) >= Date.now(); body = await lease(prefix)) {
      await sleep(Date.parse(body.expiresAt) - Date.now() + 50);
    }
    const next = await rig.run(["create_snap"], dir, env);
    expectExit(next, 0);
    expect(next.stderr).toContain(
      `WARNING: taking over the stale lock ${lockPath(dir)} of pid ${first.pid} on host ${os.hostname()} (create_snap)`,
    );
    expect(next.stderr).toContain(
      `WARNING: taking over the expired state lease s3://${rig.bucket}/${prefix}.lock: pid ${first.pid} on host ${os.hostname()}`,
    );
    expect(await lockPid(dir)).toBeUndefined();
    expect(await lease(prefix)).toBeUndefined();
  });

  it("the lock's heartbeat advances while a run lives; after SIGKILL, a run on another host takes the lock over once the heartbeat is older than QDRANT_LOCK_TTL", async () => {
    const env = rig.env({ QDRANT_LOCK_TTL: "1s" });
    const dir = await stateDir("lock-heartbeat");
    const release = holdRuns();
    const first = rig.start(["create_snap"], dir, env);
    let last: string | undefined;
    try {
      const beat = async () => {
        try {
          const h = parseHolder(await readFile(lockPath(dir)));
          return h?.pid === first.pid ? h.heartbeatAt : undefined;
        } catch {
          return undefined;
        }
      };
      const firstBeat = await waitFor(beat, "the first run's lock", 20_000);
      // Refreshed every third of the TTL: two later heartbeats within a few seconds.
      const second = await waitFor(
        async () => ((await beat()) !== firstBeat ? beat() : undefined),
        "a second heartbeat",
        10_000,
      );
      last = await waitFor(async () => ((await beat()) !== second ? beat() : undefined), "a third heartbeat", 10_000);
      expect(Date.parse(last ?? "")).toBeGreaterThan(Date.parse(firstBeat ?? ""));
      first.kill("SIGKILL");
      expect((await first.finish()).signal).toBe("SIGKILL");
    } finally {
      release();
    }
    // As the next pod finds it: the dead run's lock names a host that is not this one, so no PID can be checked.
    const left = parseHolder(await readFile(lockPath(dir)));
    expect(left?.pid).toBe(first.pid);
    await writeFile(lockPath(dir), JSON.stringify({ ...left, host: "dead-pod-7f9c" }));
    const fresh = await rig.run(["get_coll"], dir, rig.env({ QDRANT_LOCK_TTL: "1h" }));
    expectExit(fresh, 5); // with a TTL the heartbeat is still within, the lock holds
    expect(errorLine(fresh)).toContain(`locked by pid ${first.pid} on host dead-pod-7f9c (create_snap)`);
    const beat = Date.parse(left?.heartbeatAt ?? "");
    await sleep(Math.max(0, beat + 1_100 - Date.now()));
    const next = await rig.run(["create_snap"], dir, env);
    expectExit(next, 0);
    expect(next.stderr).toMatch(
      new RegExp(
        `WARNING: taking over the stale lock ${lockPath(dir).replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} of pid ${first.pid} on host dead-pod-7f9c \\(create_snap\\) since .*: its last heartbeat was \\d+ s ago, more than QDRANT_LOCK_TTL \\(1 s\\)`,
      ),
    );
    expect(await lockPid(dir)).toBeUndefined();
  });

  it("a run whose lease is deleted under it (another operator's --break-lock) stops with exit 5 and releases its lock", async () => {
    const prefix = freshPrefix();
    const env = rig.env({ QDRANT_STATE_S3_PREFIX: prefix, QDRANT_LOCK_TTL: "3s" });
    const dir = await stateDir("lease-lost");
    const release = holdRuns();
    const first = rig.start(["create_snap"], dir, env);
    let result: CliResult;
    try {
      await waitFor(
        async () => ((await lease(prefix))?.pid === first.pid ? true : undefined),
        "the first run's lease",
        20_000,
      );
      await client.send(new DeleteObjectCommand({ Bucket: rig.bucket, Key: `${prefix}.lock` }));
      result = await first.finish(); // its next renewal (within 1/3 s) finds the lease gone and stops the run
    } finally {
      release();
    }
    expectExit(result, 5);
    expect(result.stderr).toContain(
      `ERROR: lost the state lease s3://${rig.bucket}/${prefix}.lock: deleted (--break-lock?)`,
    );
    expect(await lockPid(dir)).toBeUndefined();
    expect(await lease(prefix)).toBeUndefined(); // not recreated by the stopped run
  });

  it("--break-lock removes a live holder's lock and lease, naming the holder, and runs", async () => {
    const prefix = freshPrefix();
    const env = rig.env({ QDRANT_STATE_S3_PREFIX: prefix });
    const dir = await stateDir("break-lock");
    // A live process on this host (this test worker) "holds" both.
    const startedAt = new Date(Date.now() - 5 * 60_000).toISOString();
    await writeFile(
      lockPath(dir),
      JSON.stringify({
        tool: "qdrant-backup-restore",
        host: os.hostname(),
        pid: process.pid,
        startedAt,
        tasks: ["recover_snap"],
      }),
    );
    const far = new Date(Date.now() + 3600_000).toISOString();
    const body = {
      tool: "qdrant-backup-restore",
      host: "other-pod",
      pid: 7,
      startedAt,
      renewedAt: startedAt,
      expiresAt: far,
      runId: "feedface",
    };
    await client.send(new PutObjectCommand({ Bucket: rig.bucket, Key: `${prefix}.lock`, Body: JSON.stringify(body) }));

    const refused = await rig.run(["get_coll"], dir, env);
    expectExit(refused, 5);
    expect(errorLine(refused)).toContain(
      `locked by pid ${process.pid} on host ${os.hostname()} (recover_snap) since ${startedAt}, 5 min ago`,
    );
    const withoutLock = await stateDir("break-lock-2");
    const refusedByLease = await rig.run(["get_coll"], withoutLock, env);
    expectExit(refusedByLease, 5);
    expect(errorLine(refusedByLease)).toContain("held by pid 7 on host other-pod");

    const broke = await rig.run(["--break-lock", "get_coll"], dir, env);
    expectExit(broke, 0);
    expect(broke.stderr).toContain(
      `WARNING: --break-lock: removed the lock ${lockPath(dir)}, held by pid ${process.pid} on host ${os.hostname()} (recover_snap)`,
    );
    expect(broke.stderr).toContain(
      `WARNING: --break-lock: removed the state lease s3://${rig.bucket}/${prefix}.lock, held by pid 7 on host other-pod`,
    );
    expect(await lockPid(dir)).toBeUndefined();
    expect(await lease(prefix)).toBeUndefined();
  });

  it("the lock and the lease are released after exit 0, 3 and 4", async () => {
    const check = async (result: CliResult, code: number, dir: string, prefix: string) => {
      expectExit(result, code);
      expect(await lockPid(dir), `lock after exit ${code}`).toBeUndefined();
      expect(await lease(prefix), `lease after exit ${code}`).toBeUndefined();
    };
    const prefix = freshPrefix();
    const env = rig.env({ QDRANT_STATE_S3_PREFIX: prefix });
    const dir = await stateDir("released");
    await check(await rig.run(["get_coll"], dir, env), 0, dir, prefix);
    const remove = rig.source.faults.add({ method: "POST", path: "/collections/beta/snapshots", status: 500 });
    try {
      await check(await rig.run(["create_snap"], dir, env), 3, dir, prefix);
    } finally {
      remove();
    }
    // Qdrant unreachable (a fresh state, so the run has to ask it).
    const [dir4, prefix4] = [await stateDir("released-4"), freshPrefix()];
    const down = {
      QDRANT_STATE_S3_PREFIX: prefix4,
      QDRANT_SOURCE_HOSTS: `http://127.0.0.1:${await closedPort()}`,
      QDRANT_RETRIES: "0",
    };
    await check(await rig.run(["get_coll"], dir4, rig.env(down)), 4, dir4, prefix4);
  });
});
