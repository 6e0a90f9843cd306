// The state lease (src/state/lease.ts) against the local S3 server's conditional writes: create, refusal while
// held, takeover once expired (exactly one of two racers), renewal, a lost lease, release of our own only, S3 errors.
// Time is the lease's injected clock, never the wall clock (except the one test of the renewal timer).
import {
  DeleteObjectCommand,
  GetObjectCommand,
  PutObjectCommand,
  S3ServiceException,
  type S3Client,
} from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { EXIT, LockedError, UpstreamError } from "../../src/errors.js";
import type { Logger } from "../../src/log.js";
import { createObjectStore } from "../../src/s3/objects.js";
import { StateStore } from "../../src/state/files.js";
import { StateLease } from "../../src/state/lease.js";
import { parseLease, type LeaseBody } from "../../src/state/lease-body.js";
import type { LeaseOptions } from "../../src/state/lease-options.js";
import { StateMirror } from "../../src/state/mirror.js";
import { waitFor } from "../e2e/harness.js";
import { createTestBucket, createTestS3Client } from "../support/s3/client.js";
import { clearS3Faults, setS3Faults } from "../support/s3/fault-admin.js";
import { canInjectS3Faults, itWithS3Faults } from "../support/s3/impl.js";
import { makeTempDir } from "../support/tmp.js";

const info = inject("s3");
const T0 = Date.parse("2026-03-01T10:00:00.000Z");
const TTL = 60_000;
let bucket = "";
let client: S3Client;
let prefixes = 0;

beforeAll(async () => {
  bucket = await createTestBucket(info, "lease");
  client = createTestS3Client(info, { maxAttempts: 1 });
});

afterAll(async () => {
  if (canInjectS3Faults) await clearS3Faults(info.endpoint, bucket);
  client.destroy();
});

/** A fresh prefix per test, so tests share the bucket but not a lease. */
const freshPrefix = () => `state/lease-${++prefixes}/`;

interface Run {
  opts: LeaseOptions;
  now: number;
  warnings: string[];
  lost: LockedError[];
}

/** Options for one "run" on `prefix`, with its own clock (set `run.now`), pid and log. */
function run(prefix: string, pid: number, extra: Partial<LeaseOptions> = {}): Run {
  const r: Run = { now: T0, warnings: [], lost: [], opts: undefined as unknown as LeaseOptions };
  const log: Pick<Logger, "warn" | "debug"> = { warn: (m) => r.warnings.push(m), debug: () => undefined };
  r.opts = {
    objects: createObjectStore(client, bucket),
    prefix,
    ttlMs: TTL,
    breakLock: false,
    log,
    onLost: (e) => r.lost.push(e),
    clock: () => new Date(r.now),
    host: `host-${pid}`,
    pid,
    autoRenew: false,
    ...extra,
  };
  return r;
}

async function remote(key: string): Promise<LeaseBody | undefined> {
  try {
    const reply = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return parseLease((await reply.Body?.transformToByteArray()) ?? new Uint8Array());
  } catch (err) {
    if (err instanceof S3ServiceException && err.name === "NoSuchKey") return undefined;
    throw err;
  }
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => undefined,
    (e: unknown) => e,
  );
}

describe("state lease", () => {
  it("is created at <prefix>.lock with holder, times and runId, and deleted on release", async () => {
    const prefix = freshPrefix();
    const a = run(prefix, 1001);
    const lease = await StateLease.acquire(a.opts);
    expect(lease.location).toBe(`s3://${bucket}/${prefix}.lock`);
    const body = await remote(`${prefix}.lock`);
    expect(body).toEqual({
      tool: "qdrant-backup-restore",
      host: "host-1001",
      pid: 1001,
      startedAt: new Date(T0).toISOString(),
      renewedAt: new Date(T0).toISOString(),
      expiresAt: new Date(T0 + TTL).toISOString(),
      runId: lease.current.runId,
    });
    expect(lease.current.runId).toMatch(/^[0-9a-f]{24}$/);
    await lease.release();
    expect(await remote(`${prefix}.lock`)).toBeUndefined();
    expect(a.warnings).toEqual([]);
  });

  it("a second run is refused while the lease is valid: exit 5 naming holder, age and expiry", async () => {
    const prefix = freshPrefix();
    const a = run(prefix, 1001);
    const lease = await StateLease.acquire(a.opts);
    const b = run(prefix, 2002);
    b.now = T0 + 3 * 60_000 - 150_000; // 30 s later
    const err = await rejection(StateLease.acquire(b.opts));
    expect(err).toBeInstanceOf(LockedError);
    const message = (err as LockedError).message;
    expect((err as LockedError).exitCode).toBe(EXIT.locked);
    expect(message).not.toContain("\n");
    expect(message).toContain(`state lease s3://${bucket}/${prefix}.lock: held by pid 1001 on host host-1001`);
    expect(message).toContain("30 s ago");
    expect(message).toContain(`expires at ${new Date(T0 + TTL).toISOString()} (in 30 s)`);
    expect((await remote(`${prefix}.lock`))?.runId).toBe(lease.current.runId);
    await lease.release();
  });

  it("an expired lease is taken over with a warning; the old holder's next renewal finds it lost and its release leaves the new one", async () => {
    const prefix = freshPrefix();
    const a = run(prefix, 1001);
    const old = await StateLease.acquire(a.opts);
    const b = run(prefix, 2002);
    b.now = T0 + TTL + 1;
    const lease = await StateLease.acquire(b.opts);
    expect(b.warnings).toEqual([
      expect.stringContaining(
        `taking over the expired state lease s3://${bucket}/${prefix}.lock: pid 1001 on host host-1001`,
      ) as string,
    ]);
    expect((await remote(`${prefix}.lock`))?.pid).toBe(2002);
    a.now = T0 + TTL + 2;
    await old.renew();
    expect(a.lost).toHaveLength(1);
    expect(old.lost?.exitCode).toBe(EXIT.locked);
    expect(old.lost?.message).toContain("taken over by pid 2002 on host host-2002");
    await old.release();
    expect((await remote(`${prefix}.lock`))?.runId).toBe(lease.current.runId);
    await lease.release();
    expect(await remote(`${prefix}.lock`)).toBeUndefined();
  });

  it("of two runs taking over one expired lease at once, exactly one wins; the other exits 5 naming the winner (repeated)", async () => {
    for (let round = 0; round < 5; round++) {
      const prefix = freshPrefix();
      const stale = await StateLease.acquire(run(prefix, 1001).opts);
      const racers = [run(prefix, 2002), run(prefix, 3003)];
      for (const r of racers) r.now = T0 + TTL + 1000;
      const results = await Promise.allSettled(racers.map((r) => StateLease.acquire(r.opts)));
      const won = results.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
      expect(won, `round ${round}`).toHaveLength(1);
      const lost = results.find((r) => r.status === "rejected");
      expect(lost?.reason).toBeInstanceOf(LockedError);
      expect(String((lost?.reason as Error).message)).toContain(`held by pid ${won[0]?.current.pid}`);
      expect((await remote(`${prefix}.lock`))?.runId).toBe(won[0]?.current.runId);
      await won[0]?.release();
      await stale.release(); // not its lease any more: leaves nothing behind, deletes nothing
    }
  });

  it("renewal keeps the lease alive past its first TTL", async () => {
    const prefix = freshPrefix();
    const a = run(prefix, 1001);
    const lease = await StateLease.acquire(a.opts);
    a.now = T0 + 50_000;
    await lease.renew();
    expect((await remote(`${prefix}.lock`))?.expiresAt).toBe(new Date(T0 + 50_000 + TTL).toISOString());
    const b = run(prefix, 2002);
    b.now = T0 + TTL + 30_000; // past the first expiry, before the renewed one
    expect(await rejection(StateLease.acquire(b.opts))).toBeInstanceOf(LockedError);
    b.now = T0 + 50_000 + TTL + 1;
    const next = await StateLease.acquire(b.opts);
    expect(b.warnings[0]).toContain("taking over the expired state lease");
    await next.release();
    await lease.release();
  });

  it("renews itself on a timer every TTL/3 while the run lasts", async () => {
    const prefix = freshPrefix();
    const lease = await StateLease.acquire({
      ...run(prefix, 1001).opts,
      clock: undefined,
      ttlMs: 600,
      autoRenew: true,
    });
    const first = lease.current.expiresAt;
    const renewed = await waitFor(async () => {
      const body = await remote(`${prefix}.lock`);
      return body && body.expiresAt !== first ? body : undefined;
    }, "a renewal of the lease");
    expect(Date.parse(renewed.expiresAt)).toBeGreaterThan(Date.parse(first));
    await lease.release();
    expect(await remote(`${prefix}.lock`)).toBeUndefined();
  });

  it("a lease given a label and a cure names itself by that label when held, taken over and lost, and gives that cure", async () => {
    const prefix = freshPrefix();
    const named = { label: "restore lock", cure: "wait for it to expire" };
    const a = run(prefix, 1001, named);
    const old = await StateLease.acquire(a.opts);
    const b = run(prefix, 2002, named);
    b.now = T0 + 30_000;
    const held = (await rejection(StateLease.acquire(b.opts))) as LockedError;
    expect(held.exitCode).toBe(EXIT.locked);
    expect(held.message).toMatch(
      new RegExp(
        `^restore lock s3://${bucket}/${prefix}\\.lock: held by pid 1001 .*; if that run is gone, wait for it to expire$`,
      ),
    );
    expect(held.message).not.toContain("state lease");
    expect(held.message).not.toContain("--break-lock");
    b.now = T0 + TTL + 1;
    const lease = await StateLease.acquire(b.opts);
    expect(b.warnings).toEqual([
      expect.stringMatching(
        new RegExp(`^taking over the expired restore lock s3://${bucket}/${prefix}\\.lock: pid 1001`),
      ),
    ]);
    a.now = T0 + TTL + 2;
    await old.renew();
    expect(a.lost.map((e) => e.message)).toEqual([
      expect.stringMatching(new RegExp(`^lost the restore lock s3://${bucket}/${prefix}\\.lock: `)),
    ]);
    await old.release();
    await lease.release();
  });

  it("a lease deleted behind the run's back (another run's --break-lock) is lost at the next renewal", async () => {
    const prefix = freshPrefix();
    const a = run(prefix, 1001);
    const lease = await StateLease.acquire(a.opts);
    await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: `${prefix}.lock` }));
    await lease.renew();
    expect(a.lost.map((e) => e.message)).toEqual([expect.stringContaining("deleted (--break-lock?)") as string]);
    await lease.release();
  });

  it("--break-lock deletes a valid lease with a warning naming its holder, then takes it", async () => {
    const prefix = freshPrefix();
    const a = run(prefix, 1001);
    const old = await StateLease.acquire(a.opts);
    const b = run(prefix, 2002, { breakLock: true });
    const lease = await StateLease.acquire(b.opts);
    expect(b.warnings).toEqual([
      expect.stringContaining(
        `--break-lock: removed the state lease s3://${bucket}/${prefix}.lock, held by pid 1001 on host host-1001`,
      ) as string,
    ]);
    await old.renew();
    expect(a.lost).toHaveLength(1);
    await lease.release();
  });

  it("an unreadable lease object counts as held (exit 5) unless --break-lock", async () => {
    const prefix = freshPrefix();
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}.lock`, Body: "garbage" }));
    const err = await rejection(StateLease.acquire(run(prefix, 1001).opts));
    expect(err).toBeInstanceOf(LockedError);
    expect((err as Error).message).toContain("is unreadable");
    const b = run(prefix, 2002, { breakLock: true });
    const lease = await StateLease.acquire(b.opts);
    expect(b.warnings[0]).toContain("an unreadable lease object");
    await lease.release();
  });

  itWithS3Faults(
    "S3 errors: acquiring fails with exit 4; a renewal failure is a warning until the lease expires, then the lease is lost",
    async () => {
      const prefix = freshPrefix();
      const a = run(prefix, 1001);
      const lease = await StateLease.acquire(a.opts);
      await setS3Faults(info.endpoint, { bucket, rate: 1, statuses: [503], seed: 1 });
      try {
        const err = await rejection(StateLease.acquire(run(freshPrefix(), 2002).opts));
        expect(err).toBeInstanceOf(UpstreamError);
        expect((err as UpstreamError).exitCode).toBe(EXIT.upstream);
        expect((err as Error).message).toContain("(state lease)");
        a.now = T0 + 30_000;
        await lease.renew();
        expect(a.lost).toEqual([]);
        expect(a.warnings).toEqual([
          expect.stringContaining(`cannot renew the state lease s3://${bucket}/${prefix}.lock`) as string,
        ]);
        a.now = T0 + TTL;
        await lease.renew();
        expect(a.lost.map((e) => e.message)).toEqual([
          expect.stringContaining(`not renewed in time: it expires at ${new Date(T0 + TTL).toISOString()}`) as string,
        ]);
      } finally {
        await clearS3Faults(info.endpoint, bucket);
      }
      await lease.release(); // lost: it leaves the object for whoever takes it over
      expect((await remote(`${prefix}.lock`))?.pid).toBe(1001);
    },
  );

  it("a renewal that hangs is cut off: the next renewal still runs, and release() is not held up by one in flight", async () => {
    const prefix = freshPrefix();
    const real = createObjectStore(client, bucket);
    let hang = true;
    const hung: number[] = [];
    // putIf hangs (ignoring its signal, the worst case) while `hang` is set.
    const objects = {
      ...real,
      putIf: (...args: Parameters<typeof real.putIf>) => {
        if (hang && args[2] !== undefined && "ifMatch" in args[2]) {
          hung.push(Date.now());
          return new Promise<never>(() => undefined);
        }
        return real.putIf(...args);
      },
    };
    const a = run(prefix, 1001, { objects, clock: undefined, ttlMs: 3_000, autoRenew: true });
    const lease = await StateLease.acquire(a.opts);
    const first = lease.current.expiresAt;
    await waitFor(() => (hung.length > 0 ? true : undefined), "a hung renewal", 5_000);
    hang = false;
    const renewed = await waitFor(
      async () => {
        const body = await remote(`${prefix}.lock`);
        return body && body.expiresAt !== first ? body : undefined;
      },
      "a renewal after the hung one",
      5_000,
    );
    expect(Date.parse(renewed.expiresAt)).toBeGreaterThan(Date.parse(first));
    expect(a.lost).toEqual([]);
    // The hung renewal is cut off at the latest when the lease would have been given up; the lease lives on.
    await waitFor(
      () => (a.warnings.some((w) => /cannot renew the state lease .*no answer within/.test(w)) ? true : undefined),
      "the hung renewal cut off",
      5_000,
    );
    expect(a.lost).toEqual([]);

    hang = true;
    const before = hung.length;
    await waitFor(() => (hung.length > before ? true : undefined), "a second hung renewal", 5_000);
    const started = Date.now();
    await lease.release();
    expect(Date.now() - started, "release() waited on the hung renewal").toBeLessThan(2_000);
    expect(await remote(`${prefix}.lock`)).toBeUndefined();
  });

  it("a lease that cannot be renewed is lost (exit 5) TTL/10 before it expires, before another run could take it over", async () => {
    const prefix = freshPrefix();
    const real = createObjectStore(client, bucket);
    const objects = {
      ...real,
      putIf: (...args: Parameters<typeof real.putIf>) =>
        args[2] !== undefined && "ifMatch" in args[2] ? new Promise<never>(() => undefined) : real.putIf(...args),
    };
    const lostAt: number[] = [];
    const a = run(prefix, 1001, {
      objects,
      clock: undefined,
      ttlMs: 3_000,
      autoRenew: true,
      onLost: () => lostAt.push(Date.now()),
    });
    const lease = await StateLease.acquire(a.opts);
    const expiresAt = Date.parse(lease.current.expiresAt);
    await waitFor(() => lease.lost, "the lease to be lost", 5_000);
    expect(lostAt).toHaveLength(1);
    expect(lostAt[0]!, "lost before the lease expired").toBeLessThan(expiresAt);
    expect(lease.lost?.exitCode).toBe(EXIT.locked);
    expect(lease.lost?.message).toContain(`not renewed in time: it expires at ${lease.current.expiresAt}`);
    // Another run is still refused until the expiry, then takes it over.
    expect(await rejection(StateLease.acquire(run(prefix, 2002, { clock: undefined }).opts))).toBeInstanceOf(
      LockedError,
    );
    await lease.release();
  });

  it("the state mirror neither downloads nor resets the lease object", async () => {
    const prefix = freshPrefix();
    const lease = await StateLease.acquire(run(prefix, 1001).opts);
    const t = await makeTempDir("lease-mirror");
    try {
      const state = new StateStore(t.dir);
      const log: Logger = {
        level: "quiet",
        info: () => undefined,
        warn: () => undefined,
        error: () => undefined,
        debug: () => undefined,
      };
      const mirror = new StateMirror(state, createObjectStore(client, bucket), prefix, log, () => new Date(T0));
      await state.append("collections", { host: "http://q:6333", collection: "c" });
      expect(await mirror.pull()).toEqual({ downloaded: 0, uploaded: 1 });
      await mirror.reset({ bkp: false, now: new Date(T0) });
      expect((await remote(`${prefix}.lock`))?.runId).toBe(lease.current.runId);
      await state.close();
    } finally {
      await t.cleanup();
    }
    await lease.release();
  });
});
