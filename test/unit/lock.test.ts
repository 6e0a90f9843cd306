// The local lock (src/state/lock.ts) in a temp directory: exclusive creation, the holder in the message, stale
// same-host PIDs taken over, unreadable files held, --break-lock, release only of our own lock, races.
import { spawn } from "node:child_process";
import { unlinkSync, writeFileSync } from "node:fs";
import { readFile, readdir, writeFile } from "node:fs/promises";
import os from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { buildConfig } from "../../src/config.js";
import { ConfigError, EXIT, LockedError } from "../../src/errors.js";
import {
  acquireLocalLock,
  formatAge,
  LOCK_FILE_NAME,
  parseHolder,
  type LocalLockOptions,
} from "../../src/state/lock.js";
import { makeTempDir } from "../support/tmp.js";

const temps: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of temps.splice(0)) await cleanup();
});

async function tempDir(): Promise<string> {
  const t = await makeTempDir("lock");
  temps.push(t.cleanup);
  return t.dir;
}

const T0 = new Date("2026-03-01T10:00:00.000Z");
const at = (ms: number) => () => new Date(T0.getTime() + ms);

function options(dir: string, extra: Partial<LocalLockOptions> = {}): LocalLockOptions & { warnings: string[] } {
  const warnings: string[] = [];
  return {
    dir,
    tasks: ["create_snap"],
    breakLock: false,
    ttlMs: 600_000,
    autoRefresh: false,
    log: { warn: (m) => warnings.push(m) },
    clock: at(0),
    warnings,
    ...extra,
  };
}

async function lockError(p: Promise<unknown>): Promise<LockedError> {
  const err: unknown = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(LockedError);
  return err as LockedError;
}

async function writeHolder(dir: string, holder: object | string): Promise<void> {
  await writeFile(join(dir, LOCK_FILE_NAME), typeof holder === "string" ? holder : JSON.stringify(holder));
}

/** The PID of a process that has exited (a short child, reaped). */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
  const pid = child.pid;
  await new Promise((resolve) => child.on("exit", resolve));
  if (pid === undefined) throw new Error("no pid");
  return pid;
}

describe("local lock", () => {
  it("creates the lock file with the holder's tool, host, pid, start time and tasks, and removes it on release", async () => {
    const dir = join(await tempDir(), "not-yet");
    const lock = await acquireLocalLock(options(dir, { host: "h1", pid: 4242 }));
    const holder = parseHolder(await readFile(join(dir, LOCK_FILE_NAME)));
    expect(holder).toEqual({
      tool: "qdrant-backup-restore",
      host: "h1",
      pid: 4242,
      startedAt: T0.toISOString(),
      tasks: ["create_snap"],
      heartbeatAt: T0.toISOString(),
      runId: expect.stringMatching(/^[0-9a-f]{24}$/) as string,
    });
    expect(await readdir(dir)).toEqual([LOCK_FILE_NAME]); // no temporary file left behind
    await lock.release();
    expect(await readdir(dir)).toEqual([]);
  });

  it("a second run finds the lock: exit 5, one line naming the file, the holder's pid and host, and its age", async () => {
    const dir = await tempDir();
    const first = await acquireLocalLock(options(dir, { host: "h1", pid: 1234, isAlive: () => true }));
    const err = await lockError(
      acquireLocalLock(options(dir, { host: "h1", pid: 5678, clock: at(3 * 60_000 + 5_000), isAlive: () => true })),
    );
    expect(err.exitCode).toBe(EXIT.locked);
    expect(err.message).not.toContain("\n");
    expect(err.message).toContain(join(dir, LOCK_FILE_NAME));
    expect(err.message).toContain("pid 1234 on host h1");
    expect(err.message).toContain(`since ${T0.toISOString()}, 3 min ago`);
    expect(err.message).toContain("--break-lock");
    // The refused run left the holder's lock alone.
    expect(parseHolder(await readFile(join(dir, LOCK_FILE_NAME)))?.pid).toBe(1234);
    await first.release();
    const second = await acquireLocalLock(options(dir, { host: "h1", pid: 5678 }));
    await second.release();
  });

  it("a live PID on this host holds the lock (process.kill(pid, 0) succeeds)", async () => {
    const dir = await tempDir();
    await writeHolder(dir, {
      tool: "qdrant-backup-restore",
      host: os.hostname(),
      pid: process.pid,
      startedAt: T0.toISOString(),
      tasks: [],
    });
    const err = await lockError(acquireLocalLock(options(dir, { pid: process.pid + 1 })));
    expect(err.message).toContain(`pid ${process.pid} on host ${os.hostname()}`);
  });

  it("a stale lock (same host, the PID is gone) is taken over with a warning naming the old holder", async () => {
    const dir = await tempDir();
    const pid = await deadPid();
    await writeHolder(dir, {
      tool: "qdrant-backup-restore",
      host: os.hostname(),
      pid,
      startedAt: T0.toISOString(),
      tasks: ["recover_snap"],
    });
    const opts = options(dir);
    const lock = await acquireLocalLock(opts);
    expect(opts.warnings).toHaveLength(1);
    expect(opts.warnings[0]).toContain(`taking over the stale lock ${join(dir, LOCK_FILE_NAME)}`);
    expect(opts.warnings[0]).toContain(`pid ${pid} on host ${os.hostname()} (recover_snap)`);
    expect(parseHolder(await readFile(join(dir, LOCK_FILE_NAME)))?.pid).toBe(process.pid);
    await lock.release();
    expect(await readdir(dir)).toEqual([]);
  });

  it("a lock from another host whose heartbeat is older than QDRANT_LOCK_TTL is taken over with a warning naming the old holder", async () => {
    const dir = await tempDir();
    const started = new Date(T0.getTime() - 3600_000).toISOString();
    const beat = new Date(T0.getTime() - 601_000).toISOString();
    await writeHolder(dir, {
      tool: "qdrant-backup-restore",
      host: "other-pod",
      pid: 1,
      startedAt: started,
      tasks: ["create_snap"],
      heartbeatAt: beat,
      runId: "ab",
    });
    const opts = options(dir, { isAlive: () => true });
    const lock = await acquireLocalLock(opts);
    expect(opts.warnings).toEqual([
      `taking over the stale lock ${join(dir, LOCK_FILE_NAME)} of pid 1 on host other-pod (create_snap) since ${started}, 60 min ago: ` +
        "its last heartbeat was 10 min ago, more than QDRANT_LOCK_TTL (10 min)",
    ]);
    expect(parseHolder(await readFile(join(dir, LOCK_FILE_NAME)))?.pid).toBe(process.pid);
    await lock.release();
    expect(await readdir(dir)).toEqual([]);
  });

  it("a lock from another host with a fresh heartbeat is held (exit 5) however long ago it started, naming the heartbeat's age", async () => {
    const dir = await tempDir();
    const started = new Date(T0.getTime() - 5 * 3600_000).toISOString();
    const beat = new Date(T0.getTime() - 599_000).toISOString();
    await writeHolder(dir, {
      tool: "qdrant-backup-restore",
      host: "other-pod",
      pid: 1,
      startedAt: started,
      tasks: [],
      heartbeatAt: beat,
      runId: "ab",
    });
    const err = await lockError(acquireLocalLock(options(dir)));
    expect(err.exitCode).toBe(EXIT.locked);
    expect(err.message).toContain(
      `locked by pid 1 on host other-pod since ${started}, 5 h ago, heartbeat 9 min ago; if that run is gone`,
    );
  });

  it("a lock without a heartbeat (written by an older version) is judged by its start time", async () => {
    const dir = await tempDir();
    const legacy = (ms: number) => ({
      tool: "qdrant-backup-restore",
      host: "other-pod",
      pid: 1,
      startedAt: new Date(T0.getTime() - ms).toISOString(),
      tasks: [],
    });
    await writeHolder(dir, legacy(590_000));
    await lockError(acquireLocalLock(options(dir)));
    await writeHolder(dir, legacy(610_000));
    const opts = options(dir);
    const lock = await acquireLocalLock(opts);
    expect(opts.warnings[0]).toContain(
      "it has no heartbeat (an older version's lock) and started 10 min ago, more than QDRANT_LOCK_TTL (10 min)",
    );
    await lock.release();
  });

  it("an unreadable heartbeat makes the lock unreadable (held), never older than any TTL", async () => {
    const dir = await tempDir();
    await writeHolder(dir, {
      tool: "qdrant-backup-restore",
      host: "other-pod",
      pid: 1,
      startedAt: T0.toISOString(),
      tasks: [],
      heartbeatAt: "yesterday",
    });
    const err = await lockError(acquireLocalLock(options(dir)));
    expect(err.message).toContain("exists but is unreadable");
  });

  it("the heartbeat advances every TTL/3 while the run lives, and a reader never finds the lock half-written", async () => {
    const dir = await tempDir();
    const file = join(dir, LOCK_FILE_NAME);
    // A beat every 400 ms; the reads stop at the 4th distinct beat (or after 15 s, when the timer does not work).
    const lock = await acquireLocalLock(options(dir, { ttlMs: 1_200, autoRefresh: true, clock: () => new Date() }));
    const beats = new Set<string>();
    const until = Date.now() + 15_000;
    while (Date.now() < until && beats.size < 4) {
      const holder = parseHolder(await readFile(file)); // every read parses: the file is replaced whole
      expect(holder?.runId).toBe(lock.holder.runId);
      beats.add(holder?.heartbeatAt ?? "");
    }
    expect(beats.size).toBeGreaterThanOrEqual(4);
    expect([...beats].every((b) => !Number.isNaN(Date.parse(b)))).toBe(true);
    expect(lock.lost).toBeUndefined();
    await lock.release();
    expect(await readdir(dir)).toEqual([]); // no temporary file left behind
  });

  it("a run whose lock file is replaced (another run's --break-lock) loses it at the next heartbeat: onLost with exit 5, and release leaves the new lock", async () => {
    const dir = await tempDir();
    const file = join(dir, LOCK_FILE_NAME);
    const lost: LockedError[] = [];
    const opts = options(dir, { host: "h1", pid: 1111, onLost: (e) => lost.push(e) });
    const lock = await acquireLocalLock(opts);
    const other = JSON.stringify({
      tool: "qdrant-backup-restore",
      host: "h2",
      pid: 2222,
      startedAt: T0.toISOString(),
      tasks: ["get_coll"],
    });
    await writeFile(file, other);
    await lock.refresh();
    expect(lost).toHaveLength(1);
    expect(lost[0]?.exitCode).toBe(EXIT.locked);
    expect(lost[0]?.message).toContain(`lost the lock ${file}: replaced by pid 2222 on host h2 (get_coll)`);
    await lock.release();
    expect(await readFile(file, "utf8")).toBe(other);
  });

  it("a heartbeat not written for a whole TTL (a refresh that hangs or keeps failing) loses the lock without stalling the run", async () => {
    const dir = await tempDir();
    let skew = 0;
    const lost: LockedError[] = [];
    const lock = await acquireLocalLock(
      options(dir, {
        ttlMs: 150,
        autoRefresh: true,
        clock: () => new Date(Date.now() + skew),
        onLost: (e) => lost.push(e),
      }),
    );
    // The clock jumps past the TTL: the next tick finds the last written heartbeat a TTL old.
    skew = 10_000;
    const until = Date.now() + 2_000;
    while (lost.length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
    expect(lost[0]?.message).toMatch(
      /its heartbeat could not be refreshed for \d+ s \(QDRANT_LOCK_TTL 0 s\), so another run may take it over/,
    );
    expect(lock.lost).toBe(lost[0]);
    await lock.release();
    expect(await readdir(dir)).toEqual([]);
  });

  it("a lock from another host is held even when its PID means nothing here", async () => {
    const dir = await tempDir();
    await writeHolder(dir, {
      tool: "qdrant-backup-restore",
      host: "other-pod",
      pid: await deadPid(),
      startedAt: T0.toISOString(),
      tasks: [],
    });
    const err = await lockError(acquireLocalLock(options(dir)));
    expect(err.message).toContain("on host other-pod");
  });

  it("an unreadable lock file (garbled, empty, a zero PID) counts as held; --break-lock removes it with a warning", async () => {
    for (const text of [
      "{not json",
      "",
      JSON.stringify({ tool: "x", host: os.hostname(), pid: 0, startedAt: T0.toISOString() }),
    ]) {
      const dir = await tempDir();
      await writeHolder(dir, text);
      const err = await lockError(acquireLocalLock(options(dir)));
      expect(err.message).toContain(`${join(dir, LOCK_FILE_NAME)} exists but is unreadable`);
      expect(err.message).toContain("--break-lock");
      expect(await readFile(join(dir, LOCK_FILE_NAME), "utf8")).toBe(text);
      const opts = options(dir, { breakLock: true });
      const lock = await acquireLocalLock(opts);
      expect(opts.warnings).toEqual([expect.stringContaining("--break-lock: removed the lock") as string]);
      expect(opts.warnings[0]).toContain("unreadable lock file");
      await lock.release();
    }
  });

  it("--break-lock removes a live holder's lock, naming it; the old holder's release then leaves the new lock alone", async () => {
    const dir = await tempDir();
    const old = await acquireLocalLock(options(dir, { host: "h1", pid: 1111, isAlive: () => true }));
    const opts = options(dir, { host: "h1", pid: 2222, breakLock: true, clock: at(42_000), isAlive: () => true });
    const lock = await acquireLocalLock(opts);
    expect(opts.warnings).toEqual([
      `--break-lock: removed the lock ${join(dir, LOCK_FILE_NAME)}, held by pid 1111 on host h1 (create_snap) since ${T0.toISOString()}, 42 s ago`,
    ]);
    const oldWarnings: string[] = [];
    Object.assign(old, { log: { warn: (m: string) => oldWarnings.push(m) } });
    await old.release();
    expect(oldWarnings).toEqual([expect.stringContaining("was replaced by another run") as string]);
    expect(parseHolder(await readFile(join(dir, LOCK_FILE_NAME)))?.pid).toBe(2222);
    await lock.release();
    expect(await readdir(dir)).toEqual([]);
  });

  it("of many runs starting at once on a free directory, exactly one gets the lock", async () => {
    const dir = await tempDir();
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, (_, i) =>
        acquireLocalLock(options(dir, { host: "h1", pid: 100 + i, isAlive: () => true })),
      ),
    );
    const won = results.filter((r) => r.status === "fulfilled");
    expect(won).toHaveLength(1);
    for (const r of results) if (r.status === "rejected") expect(r.reason).toBeInstanceOf(LockedError);
  });

  it("of two runs taking over one stale lock at once, exactly one wins (repeated)", async () => {
    for (let round = 0; round < 25; round++) {
      const dir = await tempDir();
      await writeHolder(dir, {
        tool: "qdrant-backup-restore",
        host: "h1",
        pid: 99,
        startedAt: T0.toISOString(),
        tasks: [],
      });
      const isAlive = (pid: number) => pid !== 99;
      const results = await Promise.allSettled([
        acquireLocalLock(options(dir, { host: "h1", pid: 201, isAlive })),
        acquireLocalLock(options(dir, { host: "h1", pid: 202, isAlive })),
      ]);
      const won = results.filter((r) => r.status === "fulfilled");
      expect(won, `round ${round}`).toHaveLength(1);
      const lost = results.find((r) => r.status === "rejected");
      expect(lost?.reason).toBeInstanceOf(LockedError);
      // The lock on disk is the winner's, and nothing else is left in the directory.
      const winner = won[0]?.status === "fulfilled" ? won[0].value : undefined;
      expect(parseHolder(await readFile(join(dir, LOCK_FILE_NAME)))).toEqual(winner?.holder);
      expect(await readdir(dir)).toEqual([LOCK_FILE_NAME]);
      await winner?.release();
    }
  });

  it("a run that judged a lock stale but finds it already taken over by another run leaves that run's lock in place (exit 5)", async () => {
    const dir = await tempDir();
    const file = join(dir, LOCK_FILE_NAME);
    await writeHolder(dir, {
      tool: "qdrant-backup-restore",
      host: "h1",
      pid: 99,
      startedAt: T0.toISOString(),
      tasks: [],
    });
    const fresh = JSON.stringify({
      tool: "qdrant-backup-restore",
      host: "h1",
      pid: 201,
      startedAt: T0.toISOString(),
      tasks: ["get_coll"],
    });
    let tookOver = false;
    // Called right after this run read the stale lock: another run replaces it at that very moment.
    const isAlive = (pid: number): boolean => {
      if (pid === 99 && !tookOver) {
        tookOver = true;
        unlinkSync(file);
        writeFileSync(file, fresh);
      }
      return pid !== 99;
    };
    const err = await lockError(acquireLocalLock(options(dir, { host: "h1", pid: 202, isAlive })));
    expect(err.message).toContain("pid 201 on host h1 (get_coll)");
    expect(await readFile(file, "utf8")).toBe(fresh);
    expect(await readdir(dir)).toEqual([LOCK_FILE_NAME]);
  });

  it("a lock naming this process's own PID but not held by it is stale (a container's PID 1 again)", async () => {
    const dir = await tempDir();
    await writeHolder(dir, {
      tool: "qdrant-backup-restore",
      host: "h1",
      pid: 1,
      startedAt: T0.toISOString(),
      tasks: [],
    });
    const opts = options(dir, { host: "h1", pid: 1, isAlive: () => true });
    const lock = await acquireLocalLock(opts);
    expect(opts.warnings[0]).toContain("taking over the stale lock");
    // While this process holds it, the same PID is a live holder: a second run in this process is refused.
    await lockError(acquireLocalLock(options(dir, { host: "h1", pid: 1, isAlive: () => true })));
    await lock.release();
  });

  it("QDRANT_LOCK_TTL: 600 s by default, a duration, never zero or malformed (exit 2 naming it)", () => {
    const ttl = (v?: string) =>
      buildConfig(v === undefined ? {} : { QDRANT_LOCK_TTL: v }, { cwd: "/tmp" }).lockTtlSeconds;
    expect([ttl(), ttl("2s"), ttl("10m"), ttl("90")]).toEqual([600, 2, 600, 90]);
    for (const bad of ["0", "10x", "-5", "1.5h"]) {
      expect(() => ttl(bad)).toThrow(ConfigError);
      expect(() => ttl(bad)).toThrow(/^QDRANT_LOCK_TTL: /);
    }
  });

  it("formats ages for people", () => {
    expect([0, 59_000, 150_000, 3 * 3600_000, 3 * 86_400_000, -5_000].map(formatAge)).toEqual([
      "0 s",
      "59 s",
      "2 min",
      "3 h",
      "3 d",
      "0 s",
    ]);
  });
});
