// The state mirror (QDRANT_STATE_S3_PREFIX) over a real StateStore in a temp directory and a real bucket on the
// local S3 server: pull's four cases, coalesced uploads, failed uploads remembered and retried, reset of the copies.
import { readFile, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { GetObjectCommand, PutObjectCommand, S3ServiceException, type S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, inject, it, onTestFinished } from "vitest";
import { UpstreamError } from "../../src/errors.js";
import type { Logger } from "../../src/log.js";
import { createObjectStore, type ObjectStore } from "../../src/s3/objects.js";
import { StateStore, type StateKind } from "../../src/state/files.js";
import { StateMirror } from "../../src/state/mirror.js";
import { createTestBucket, createTestS3Client } from "../support/s3/client.js";
import { clearS3Faults, setS3Faults } from "../support/s3/fault-admin.js";
import { canInjectS3Faults, itWithS3Faults } from "../support/s3/impl.js";
import { makeTempDir } from "../support/tmp.js";
import { createBucketView, type BucketView } from "./helpers/bucket.js";

const info = inject("s3");
const AT = new Date(2026, 0, 29, 11, 44, 5); // local time, as `date +%F_%H-%M-%S`
const STAMP = "2026-01-29_11-44-05";
let bucket = "";
let view: BucketView;
let seedClient: S3Client;

beforeAll(async () => {
  bucket = await createTestBucket(info, "state-mirror");
  view = createBucketView(info, bucket);
  seedClient = createTestS3Client(info, { maxAttempts: 1 });
});

afterAll(async () => {
  if (canInjectS3Faults) await clearS3Faults(info.endpoint, bucket);
  view.close();
  seedClient.destroy();
});

/** An object's exact bytes as text, or undefined when there is no such key. */
async function remoteText(key: string): Promise<string | undefined> {
  try {
    const reply = await seedClient.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return Buffer.from((await reply.Body?.transformToByteArray()) ?? new Uint8Array()).toString("utf8");
  } catch (err) {
    if (err instanceof S3ServiceException && err.name === "NoSuchKey") return undefined;
    throw err;
  }
}

const putRemote = (key: string, text: string): Promise<unknown> =>
  seedClient.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: Buffer.from(text, "utf8") }));

/** An ObjectStore that records the keys it was asked to PUT (when the call starts) and can run a hook after each. */
function recording(inner: ObjectStore, afterPut?: (key: string) => void): ObjectStore & { puts: string[] } {
  const puts: string[] = [];
  return {
    bucket: inner.bucket,
    puts,
    get: (key) => inner.get(key),
    getTagged: (key) => inner.getTagged(key),
    putIf: (key, body, condition) => inner.putIf(key, body, condition),
    put: async (key, body, contentType) => {
      puts.push(key);
      await inner.put(key, body, contentType);
      afterPut?.(key);
    },
    copy: (from, to) => inner.copy(from, to),
    delete: (key) => inner.delete(key),
    list: (prefix) => inner.list(prefix),
  };
}

interface Fixture {
  dir: string;
  state: StateStore;
  mirror: StateMirror;
  objects: ObjectStore & { puts: string[] };
  warnings: string[];
  prefix: string;
  /** The local file's exact text, or undefined when it does not exist. */
  local(kind: StateKind): Promise<string | undefined>;
  writeLocal(kind: StateKind, text: string): Promise<void>;
  remote(kind: StateKind): Promise<string | undefined>;
  putRemote(kind: StateKind, text: string): Promise<unknown>;
}

/**
 * A state directory, a mirror on `prefix` of the shared bucket (through its own S3 client, SDK retries on) and a
 * logger that keeps warnings. Nothing is subscribed to the store's changes: tests do that after pull, as main does.
 */
async function fixture(
  prefix: string,
  opts: { bucket?: string; afterPut?: (key: string) => void; client?: S3Client } = {},
): Promise<Fixture> {
  const tmp = await makeTempDir("mirror");
  const client = opts.client ?? createTestS3Client(info);
  onTestFinished(async () => {
    if (!opts.client) client.destroy();
    await tmp.cleanup();
  });
  const warnings: string[] = [];
  const log: Logger = {
    level: "normal",
    info: () => undefined,
    warn: (message) => warnings.push(message),
    error: (message) => warnings.push(`ERROR: ${message}`),
    debug: () => undefined,
  };
  const state = new StateStore(tmp.dir);
  const objects = recording(createObjectStore(client, opts.bucket ?? bucket), opts.afterPut);
  const mirror = new StateMirror(state, objects, prefix, log, () => AT);
  return {
    dir: tmp.dir,
    state,
    mirror,
    objects,
    warnings,
    prefix,
    local: async (kind) => {
      try {
        return await readFile(state.path(kind), "utf8");
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
        throw err;
      }
    },
    writeLocal: (kind, text) => writeFile(state.path(kind), text, "utf8"),
    remote: (kind) => remoteText(mirror.key(kind)),
    putRemote: (kind, text) => putRemote(mirror.key(kind), text),
  };
}

function createQuietLog(): Logger {
  return {
    level: "normal",
    info: () => undefined,
    warn: () => undefined,
    error: () => undefined,
    debug: () => undefined,
  };
}

/** Every key in the bucket outside `prefix` and the keys a test put there itself: the mirror must not touch them. */
async function keysOutside(prefix: string): Promise<string[]> {
  return (await view.keys()).filter((key) => !key.startsWith(prefix));
}

const HOSTILE =
  'http://a:6333,"c,1",c1-1.snapshot\r\nhttp://a:6333,"say ""hi""",x.snapshot\nhttp://b:6333,ünï😀,"multi\nline"\n';

describe("StateMirror.pull", () => {
  it("uploads a local file the bucket has no copy of, byte for byte", async () => {
    const f = await fixture("pull/upload/");
    await f.writeLocal("snapshots", HOSTILE);
    await f.writeLocal("collections", "http://a:6333,c1\n");

    expect(await f.mirror.pull()).toEqual({ downloaded: 0, uploaded: 2 });

    expect(await f.remote("snapshots")).toBe(HOSTILE);
    expect(await f.remote("collections")).toBe("http://a:6333,c1\n");
    expect(await view.keys("pull/upload/")).toEqual(["pull/upload/collections", "pull/upload/snapshots"]);
    expect(f.warnings).toEqual([]);
  });

  it("creates nothing on either side when neither has the files", async () => {
    const outside = await keysOutside("pull/none/");
    const f = await fixture("pull/none/");

    expect(await f.mirror.pull()).toEqual({ downloaded: 0, uploaded: 0 });
    await f.mirror.flush();

    expect(await readdir(f.dir)).toEqual([]);
    expect(await view.keys("pull/none/")).toEqual([]);
    expect(f.objects.puts).toEqual([]);
    expect(await keysOutside("pull/none/")).toEqual(outside);
  });

  it("downloads the bucket's copies when the local files are missing, and uploads nothing back", async () => {
    const f = await fixture("pull/download/");
    await f.putRemote("snapshots", HOSTILE);
    await f.putRemote("collectionAliases", "c1,a1\n");
    await f.putRemote("aliasRecoveryHistory", "c1,a1,ok"); // no final newline: kept as is

    expect(await f.mirror.pull()).toEqual({ downloaded: 3, uploaded: 0 });
    // Subscribed after pull, as main.ts does: later appends are mirrored, the downloads are not sent back.
    f.state.onChange((kind) => f.mirror.notify(kind));
    await f.mirror.flush();

    expect(await f.local("snapshots")).toBe(HOSTILE);
    expect(await readFile(f.state.path("snapshots"))).toEqual(Buffer.from(HOSTILE, "utf8"));
    expect(await f.local("collectionAliases")).toBe("c1,a1\n");
    expect(await f.local("aliasRecoveryHistory")).toBe("c1,a1,ok");
    expect(await f.state.read("snapshots")).toEqual([
      { host: "http://a:6333", collection: "c,1", snapshot: "c1-1.snapshot" },
      { host: "http://a:6333", collection: 'say "hi"', snapshot: "x.snapshot" },
      { host: "http://b:6333", collection: "ünï😀", snapshot: "multi\nline" },
    ]);
    expect((await readdir(f.dir)).sort()).toEqual(["alias_recovery_history", "collection_aliases", "snapshots"]);
    expect(f.objects.puts).toEqual([]);
    expect(f.warnings).toEqual([]);
  });

  it("does nothing when both sides are equal", async () => {
    const f = await fixture("pull/same/");
    await f.putRemote("collections", "h,c1\n");
    await f.writeLocal("collections", "h,c1\n");

    expect(await f.mirror.pull()).toEqual({ downloaded: 0, uploaded: 0 });
    expect(f.objects.puts).toEqual([]);
    expect(f.warnings).toEqual([]);
  });

  it("uploads a local file that is the bucket's copy plus more rows, with one warning naming the file", async () => {
    const f = await fixture("pull/local-ahead/");
    await f.putRemote("snapshots", "h,c1,s1\n");
    await f.writeLocal("snapshots", "h,c1,s1\nh,c2,s2\n");

    expect(await f.mirror.pull()).toEqual({ downloaded: 0, uploaded: 1 });

    expect(await f.remote("snapshots")).toBe("h,c1,s1\nh,c2,s2\n");
    expect(await f.local("snapshots")).toBe("h,c1,s1\nh,c2,s2\n");
    expect(f.warnings).toHaveLength(1);
    expect(f.warnings[0]).toContain(f.state.path("snapshots"));
    expect(f.warnings[0]).toContain(`s3://${bucket}/pull/local-ahead/`);
  });

  it("downloads the bucket's copy when it is the local file plus more rows", async () => {
    const f = await fixture("pull/remote-ahead/");
    await f.putRemote("snapshotRecoveryHistory", "h,s1,ok\nh,s2,ok\n");
    await f.writeLocal("snapshotRecoveryHistory", "h,s1,ok\n");

    expect(await f.mirror.pull()).toEqual({ downloaded: 1, uploaded: 0 });

    expect(await f.local("snapshotRecoveryHistory")).toBe("h,s1,ok\nh,s2,ok\n");
    expect(await readdir(f.dir)).toEqual(["snapshot_recovery_history"]);
    expect(f.objects.puts).toEqual([]);
    expect(f.warnings).toEqual([]);
  });

  it("lets the bucket win when the two diverged, keeping the local file as <name>-<stamp>.local.bkp", async () => {
    const f = await fixture("pull/diverged/");
    await f.putRemote("collections", "h,c1\nh,remote\n");
    await f.writeLocal("collections", "h,c1\nh,local\n");

    expect(await f.mirror.pull()).toEqual({ downloaded: 1, uploaded: 0 });

    const aside = join(f.dir, `collections-${STAMP}.local.bkp`);
    expect(await f.local("collections")).toBe("h,c1\nh,remote\n");
    expect(await readFile(aside, "utf8")).toBe("h,c1\nh,local\n");
    expect((await readdir(f.dir)).sort()).toEqual(["collections", `collections-${STAMP}.local.bkp`]);
    expect(await f.remote("collections")).toBe("h,c1\nh,remote\n");
    expect(f.objects.puts).toEqual([]);
    expect(f.warnings).toHaveLength(1);
    expect(f.warnings[0]).toContain(aside);
    expect(f.warnings[0]).toContain(f.state.path("collections"));
  });

  it("refuses a bucket that does not exist (NoSuchBucket is never 'no state yet')", async () => {
    const missing = `${bucket}-missing`;
    const f = await fixture("pull/no-bucket/", { bucket: missing });
    await f.writeLocal("collections", "h,c1\n");

    const err: unknown = await f.mirror.pull().then(
      () => undefined,
      (e: unknown) => e,
    );

    expect(err).toBeInstanceOf(UpstreamError);
    expect((err as UpstreamError).exitCode).toBe(4);
    expect((err as UpstreamError).message).toMatch(new RegExp(`s3://${missing}/pull/no-bucket/.*NoSuchBucket`));
    expect(await f.local("collections")).toBe("h,c1\n");
    expect(await readdir(f.dir)).toEqual(["collections"]);
  });
});

describe("StateMirror uploads", () => {
  const row = (i: number) => ({
    host: "http://a:6333",
    collection: `c${i}`,
    snapshot: i % 7 === 0 ? `s "${i}",\n😀` : `s${i}`,
  });

  it("coalesces bursts of appends into few whole-file uploads, ending equal to the local files", async () => {
    const f = await fixture("uploads/burst/");
    await f.mirror.pull();
    f.state.onChange((kind) => f.mirror.notify(kind));

    // 100 appends at once over two files: each file's first upload starts after all of its queued appends.
    await Promise.all([
      ...Array.from({ length: 60 }, (_, i) => f.state.append("snapshots", row(i))),
      ...Array.from({ length: 40 }, (_, i) =>
        f.state.append("collections", { host: "http://a:6333", collection: `c${i}` }),
      ),
    ]);
    await f.mirror.flush();
    const afterBurst = f.objects.puts.length;
    expect(afterBurst).toBeGreaterThanOrEqual(2);
    expect(afterBurst).toBeLessThanOrEqual(4); // at most two per file: one in flight, one for what came meanwhile
    expect(await f.remote("snapshots")).toBe(await f.local("snapshots"));
    expect(await f.remote("collections")).toBe(await f.local("collections"));

    // 100 more, one after another.
    for (let i = 60; i < 160; i++) await f.state.append("snapshots", row(i));
    await f.mirror.flush();

    const local = await f.local("snapshots");
    expect(local?.match(/^http:\/\/a:6333,/gm)).toHaveLength(160);
    expect(await f.remote("snapshots")).toBe(local);
    expect(await f.state.read("snapshots")).toEqual(Array.from({ length: 160 }, (_, i) => row(i)));
    expect(f.objects.puts.length).toBeGreaterThanOrEqual(3);
    expect(f.objects.puts.length).toBeLessThan(200);
    expect(new Set(f.objects.puts)).toEqual(new Set([f.mirror.key("snapshots"), f.mirror.key("collections")]));
    expect(await view.keys("uploads/burst/")).toEqual(["uploads/burst/collections", "uploads/burst/snapshots"]);
    expect(f.warnings).toEqual([]);
  });

  it("uploads a change that comes in just as the previous upload ends", async () => {
    // The change is notified a few microtasks after a PUT resolves, for each of several depths, so it lands in
    // the gap between the upload loop's last check and its end. It must start a new upload, not wait for flush().
    for (let depth = 0; depth < 12; depth++) {
      let fired = false;
      let raced: () => void = () => undefined;
      const done = new Promise<void>((resolve) => (raced = resolve));
      const target: { mirror?: StateMirror } = {};
      const afterPut = (): void => {
        if (fired) return;
        fired = true;
        const step = (n: number): void => {
          if (n > 0) return queueMicrotask(() => step(n - 1));
          target.mirror?.notify("collections");
          raced();
        };
        step(depth);
      };
      const f = await fixture(`uploads/race-${depth}/`, { afterPut });
      target.mirror = f.mirror;
      await f.writeLocal("collections", "h,c1\n");
      f.mirror.notify("collections");
      await done;
      await new Promise((resolve) => setImmediate(resolve)); // every pending microtask has run
      await f.state.readBytes("collections"); // queued behind the upload's own read, if one started
      expect(f.objects.puts, `depth ${depth}`).toHaveLength(2);
      await f.mirror.flush();
      expect(f.objects.puts, `depth ${depth}`).toHaveLength(2);
    }
  });

  itWithS3Faults(
    "keeps appending when uploads fail, remembers the failed file and uploads it once S3 is back",
    async () => {
      const f = await fixture("uploads/failing/");
      await f.putRemote("collections", "h,c0\n");
      await f.mirror.pull();
      f.state.onChange((kind) => f.mirror.notify(kind));
      await setS3Faults(info.endpoint, { rate: 1, statuses: [500, 503], operations: ["PutObject"], bucket });
      onTestFinished(() => clearS3Faults(info.endpoint, bucket));

      await Promise.all(
        Array.from({ length: 5 }, (_, i) => f.state.append("collections", { host: "h", collection: `c${i + 1}` })),
      );
      const err: unknown = await f.mirror.flush().then(
        () => undefined,
        (e: unknown) => e,
      );

      expect(await f.local("collections")).toBe("h,c0\nh,c1\nh,c2\nh,c3\nh,c4\nh,c5\n");
      expect(err).toBeInstanceOf(UpstreamError);
      expect((err as UpstreamError).exitCode).toBe(4);
      expect((err as UpstreamError).message).toContain(`s3://${bucket}/uploads/failing/collections`);
      expect(f.warnings.length).toBeGreaterThanOrEqual(1);
      expect(f.warnings[0]).toMatch(/^state mirror: S3 PUT s3:\/\/.*\/uploads\/failing\/collections failed: .*retried/);
      expect(await f.remote("collections")).toBe("h,c0\n");
      // Still failing: a second flush throws again (the file is still remembered).
      await expect(f.mirror.flush()).rejects.toBeInstanceOf(UpstreamError);

      await clearS3Faults(info.endpoint, bucket);
      await f.mirror.flush(); // no change since: only the remembered failure makes it upload

      expect(await f.remote("collections")).toBe(await f.local("collections"));
      const puts = f.objects.puts.length;
      await f.mirror.flush();
      expect(f.objects.puts).toHaveLength(puts); // nothing left to retry
      expect(await view.keys("uploads/failing/")).toEqual(["uploads/failing/collections"]);
    },
  );

  itWithS3Faults("absorbs a few transient PUT faults in the SDK's retries, and more in the next flush", async () => {
    const client = createTestS3Client(info, { maxAttempts: 3 });
    onTestFinished(() => client.destroy());
    const f = await fixture("uploads/transient/", { client });
    await f.mirror.pull();
    f.state.onChange((kind) => f.mirror.notify(kind));
    onTestFinished(() => clearS3Faults(info.endpoint, bucket));

    // Two faults, three attempts: the upload succeeds without anyone noticing.
    await setS3Faults(info.endpoint, { rate: 1, statuses: [503], operations: ["PutObject"], bucket, limit: 2 });
    await f.state.append("snapshots", { host: "h", collection: "c1", snapshot: "s1" });
    await f.mirror.flush();
    expect(await f.remote("snapshots")).toBe("h,c1,s1\n");
    expect(f.warnings).toEqual([]);

    // Three faults: the upload triggered by the append gives up (a warning), flush() retries it and succeeds.
    await setS3Faults(info.endpoint, { rate: 1, statuses: [500], operations: ["PutObject"], bucket, limit: 3 });
    await f.state.append("snapshots", { host: "h", collection: "c2", snapshot: "s2" });
    await f.mirror.flush();
    expect(await f.remote("snapshots")).toBe("h,c1,s1\nh,c2,s2\n");
    expect(f.warnings).toHaveLength(1);
    expect(f.warnings[0]).toMatch(/^state mirror: .*uploads\/transient\/snapshots.*retried/);
  });
});

describe("StateMirror.reset", () => {
  /** Copies of three state files, an older backup and a stranger under the prefix, a key next to it and one below. */
  async function seeded(prefix: string) {
    const f = await fixture(prefix);
    const texts = { collections: "h,c1\n", snapshots: HOSTILE, aliasRecoveryHistory: "c1,a1,ok\n" } as const;
    for (const [kind, text] of Object.entries(texts)) await f.putRemote(kind as StateKind, text);
    const others = [
      `${prefix}collections-2025-01-01_00-00-00.bkp`,
      `${prefix}notes.txt`,
      `${prefix}nested/collections`,
      `${prefix.slice(0, -1)}-sibling/collections`,
      `${prefix.slice(0, -1)}collections`,
    ];
    for (const key of others) await putRemote(key, `other ${key}`);
    await f.mirror.pull();
    return { f, texts, others };
  }

  it("deletes the copies that exist and lists each as s3://bucket/key", async () => {
    const prefix = "reset/plain/";
    const { f, others } = await seeded(prefix);
    const outside = await keysOutside(prefix);

    const result = await f.mirror.reset({ bkp: false, now: AT });

    expect(result.backedUp).toEqual([]);
    expect([...result.removed].sort()).toEqual(
      ["alias_recovery_history", "collections", "snapshots"].map((name) => `s3://${bucket}/${prefix}${name}`),
    );
    expect(await view.keys(prefix)).toEqual(others.filter((key) => key.startsWith(prefix)).sort());
    for (const key of others) expect(await remoteText(key)).toBe(`other ${key}`);
    expect(await keysOutside(prefix)).toEqual(outside);
    // Nothing to do the second time.
    expect(await f.mirror.reset({ bkp: false, now: AT })).toEqual({ removed: [], backedUp: [] });
  });

  it("with bkp copies each to <key>-<stamp>.bkp with the old bytes, then deletes it", async () => {
    const prefix = "reset/bkp/";
    const { f, texts, others } = await seeded(prefix);
    const outside = await keysOutside(prefix);

    const result = await f.mirror.reset({ bkp: true, now: AT });

    expect(result.removed).toEqual([]);
    const names = {
      collections: "collections",
      snapshots: "snapshots",
      aliasRecoveryHistory: "alias_recovery_history",
    };
    expect([...result.backedUp].sort()).toEqual(
      Object.values(names)
        .map((name) => `s3://${bucket}/${prefix}${name}-${STAMP}.bkp`)
        .sort(),
    );
    for (const [kind, name] of Object.entries(names)) {
      expect(await remoteText(`${prefix}${name}-${STAMP}.bkp`)).toBe(texts[kind as keyof typeof texts]);
      expect(await remoteText(`${prefix}${name}`)).toBeUndefined();
    }
    expect(await view.keys(prefix)).toEqual(
      [
        ...others.filter((key) => key.startsWith(prefix)),
        ...Object.values(names).map((n) => `${prefix}${n}-${STAMP}.bkp`),
      ].sort(),
    );
    for (const key of others) expect(await remoteText(key)).toBe(`other ${key}`);
    expect(await keysOutside(prefix)).toEqual(outside);
  });

  it("never overwrites an earlier backup taken in the same second", async () => {
    const f = await fixture("reset/bkp-twice/");
    await f.putRemote("snapshots", "h,c,first.snapshot\n");
    await f.mirror.reset({ bkp: true, now: AT });
    await f.putRemote("snapshots", "h,c,second.snapshot\n");

    const result = await f.mirror.reset({ bkp: true, now: AT });

    expect(result.backedUp).toEqual([`s3://${bucket}/reset/bkp-twice/snapshots-${STAMP}-1.bkp`]);
    expect(await remoteText(`reset/bkp-twice/snapshots-${STAMP}.bkp`)).toBe("h,c,first.snapshot\n");
    expect(await remoteText(`reset/bkp-twice/snapshots-${STAMP}-1.bkp`)).toBe("h,c,second.snapshot\n");
    expect(await view.keys("reset/bkp-twice/")).toEqual([
      `reset/bkp-twice/snapshots-${STAMP}-1.bkp`,
      `reset/bkp-twice/snapshots-${STAMP}.bkp`,
    ]);
  });

  it("deletes nothing when the server cannot copy a key it has just listed", async () => {
    const f = await fixture("reset/copy-refused/");
    await f.putRemote("snapshots", "h,c,kept.snapshot\n");
    const refusing = new StateMirror(
      f.state,
      { ...f.objects, copy: async () => false },
      f.prefix,
      createQuietLog(),
      () => AT,
    );

    await expect(refusing.reset({ bkp: true, now: AT })).rejects.toThrow(
      /answered NoSuchKey although the key was just listed; nothing deleted/,
    );

    expect(await f.remote("snapshots")).toBe("h,c,kept.snapshot\n");
  });

  it("backs up and deletes copies under a prefix with spaces and non-ASCII characters", async () => {
    const prefix = "reset/état prod ü/";
    const f = await fixture(prefix);
    await f.putRemote("collections", "h,c1\n");

    const result = await f.mirror.reset({ bkp: true, now: AT });

    expect(result.backedUp).toEqual([`s3://${bucket}/${prefix}collections-${STAMP}.bkp`]);
    expect(await view.keys(prefix)).toEqual([`${prefix}collections-${STAMP}.bkp`]);
    expect(await remoteText(`${prefix}collections-${STAMP}.bkp`)).toBe("h,c1\n");
  });

  it("forgets pending uploads of the copies it removed", async () => {
    const f = await fixture("reset/pending/");
    await f.mirror.pull();
    f.state.onChange((kind) => f.mirror.notify(kind));
    await f.state.append("collections", { host: "h", collection: "c1" });

    await f.mirror.reset({ bkp: false, now: AT }); // waits for the upload in flight, then deletes its result
    await f.state.reset({ bkp: false, now: AT });
    await f.mirror.flush();

    expect(await view.keys("reset/pending/")).toEqual([]);
  });
});

describe("ObjectStore on the local S3 server", () => {
  it("copy answers false for a missing source (NoSuchKey), get answers undefined", async () => {
    const objects = createObjectStore(seedClient, bucket);
    expect(await objects.copy("objects/missing", "objects/target")).toBe(false);
    expect(await objects.get("objects/missing")).toBeUndefined();
    expect(await view.keys("objects/")).toEqual([]);
  });
});
