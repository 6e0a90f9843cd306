// download_snap and upload_snap: the policy's `curl -O …/snapshots/<name>` and `curl -X POST …/snapshots/upload
// -F snapshot=@file`, done safely. Emulator nodes with local snapshot storage (Qdrant's checksum, HTTP Range) and
// with S3 storage (no checksum, no Range), the directory and S3 destinations (--from-store), resume from a partial
// file, checksum mismatches, existing files, shard and full snapshots, and the recovery history of uploads.
import { createHash } from "node:crypto";
import { mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import { describe, expect, it, onTestFinished } from "vitest";
import { writeMetadata } from "../../src/backup/metadata.js";
import { run as download } from "../../src/commands/download_snap.js";
import type { TaskOptions } from "../../src/backup/task/deps.js";
import { uploadKey } from "../../src/backup/upload-file.js";
import { run as upload } from "../../src/commands/upload_snap.js";
import { ConfigError, EXIT, StateFileError } from "../../src/errors.js";
import { StateStore } from "../../src/state/files.js";
import type { QdrantClient } from "../../src/qdrant/client.js";
import { collectionSnapshotKey, fullSnapshotKey } from "../../src/core/keys.js";
import { createDirStore } from "../../src/store/dir.js";
import { createTestDeps, type TestDeps } from "../support/deps.js";
import { startEmulator, type Emulator, type RequestLogEntry } from "../support/emulator/index.js";
import { qdrantCall, readAllPoints, seedCollection } from "../support/emulator/seed.js";
import { makeTempDir } from "../support/tmp.js";
import { csv, startRig, waitUntil } from "./helpers/rig.js";

const API_KEY = "download-upload-key-3b7f1c";
const DOWNLOAD = /\/snapshots\/[^/]+\.snapshot$/;
const UPLOAD = /\/snapshots\/upload$/;

interface LocalRig {
  emu: Emulator;
  src: string;
  dst: string;
  dir: string;
  deps(env?: Record<string, string>): TestDeps;
  read(name: string): Promise<string | undefined>;
}

/** Two nodes with local snapshot storage (the default of a self-hosted Qdrant), an API key, a temp directory. */
async function localRig(label: string, nodes = 2): Promise<LocalRig> {
  const emu = await startEmulator({ nodes, apiKey: API_KEY });
  const tmp = await makeTempDir(label);
  const closers: (() => Promise<void>)[] = [];
  onTestFinished(async () => {
    await Promise.allSettled(closers.map((close) => close()));
    await emu.stop();
    await tmp.cleanup();
  });
  const [src = "", dst = ""] = emu.urls;
  return {
    emu,
    src,
    dst,
    dir: tmp.dir,
    deps: (env = {}) => {
      const deps = createTestDeps(
        { QDRANT_API_KEY: API_KEY, QDRANT_SOURCE_HOSTS: src, QDRANT_RESTORE_HOSTS: dst, ...env },
        { stateDir: tmp.dir },
      );
      closers.push(() => deps.close());
      return deps;
    },
    read: (name) => readFile(join(tmp.dir, name), "utf8").catch(() => undefined),
  };
}

interface Created {
  name: string;
  size: number;
  checksum: string | undefined;
}

/** POST `path` (a snapshot-creating route) with wait=true and returns the description. */
async function createSnapshot(url: string, path: string): Promise<Created> {
  const r = await qdrantCall(url, "POST", `${path}?wait=true`, API_KEY);
  if (
    typeof r !== "object" ||
    r === null ||
    Array.isArray(r) ||
    typeof r["name"] !== "string" ||
    typeof r["size"] !== "number"
  ) {
    throw new Error(`unexpected snapshot description ${JSON.stringify(r)}`);
  }
  const checksum = typeof r["checksum"] === "string" ? r["checksum"] : undefined;
  return { name: r["name"], size: r["size"], checksum };
}

/** The snapshot's bytes as a plain GET gives them (the test's own reading, independent of the tool). */
async function fetchBytes(url: string, path: string): Promise<Buffer> {
  const res = await fetch(url + path, { headers: { "api-key": API_KEY } });
  if (res.status !== 200) throw new Error(`GET ${path} → ${res.status}`);
  return Buffer.from(await res.arrayBuffer());
}

const sha256 = (bytes: Buffer): string => createHash("sha256").update(bytes).digest("hex");
const exists = (file: string): Promise<boolean> =>
  stat(file).then(
    () => true,
    () => false,
  );
/** The size of `file`, or undefined while it does not exist (any other error is thrown). */
const sizeOf = (file: string): Promise<number | undefined> =>
  stat(file).then(
    (s) => s.size,
    (err: NodeJS.ErrnoException) => (err.code === "ENOENT" ? undefined : Promise.reject(err)),
  );

/**
 * c1 (30 points) on the source node and one snapshot of it; returns its description, bytes and target file.
 * The emulator's request log starts empty afterwards.
 */
async function sourceSnapshot(rig: {
  src: string;
  dir: string;
  emu: Emulator;
}): Promise<Created & { bytes: Buffer; file: string; options: TaskOptions }> {
  await seedCollection(rig.src, "c1", { points: 30, dim: 4, apiKey: API_KEY });
  const snap = await createSnapshot(rig.src, "/collections/c1/snapshots");
  const bytes = await fetchBytes(rig.src, `/collections/c1/snapshots/${snap.name}`);
  // The log entry is written when the server has finished the answer, which may be after the client has it.
  await waitUntil("the test's own GET is logged", async () =>
    rig.emu.requests().some((r) => r.method === "GET" && DOWNLOAD.test(r.path)),
  );
  rig.emu.resetRequests();
  const file = join(rig.dir, snap.name);
  return { ...snap, bytes, file, options: { collection: "c1", snapshot: snap.name, file } };
}

/** The logged `method` requests to `path`, once at least `count` are logged (an entry is written when its answer is finished). */
async function logged(emu: Emulator, method: string, path: RegExp, count: number): Promise<RequestLogEntry[]> {
  const match = () => emu.requests().filter((r) => r.method === method && path.test(r.path));
  await waitUntil(`${count} ${method} ${path} requests logged`, async () => match().length >= count);
  return match();
}

/**
 * A client whose first download's body dies after `after` bytes, as a dropped connection would; it fails once
 * those bytes are on disk in `partial`, so the next attempt has a prefix to resume from.
 */
function cutFirstBody(qdrant: QdrantClient, after: number, partial: string): QdrantClient {
  let cut = false;
  const wrapped: QdrantClient = Object.create(qdrant);
  wrapped.downloadSnapshot = async (host, ref, opts) => {
    const got = await qdrant.downloadSnapshot(host, ref, opts);
    if (cut) return got;
    cut = true;
    async function* truncated(): AsyncGenerator<Buffer> {
      let sent = 0;
      for await (const chunk of got.body) {
        const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
        if (sent + buf.length >= after) {
          yield buf.subarray(0, after - sent);
          got.body.destroy();
          // The tool opens the partial file while the first bytes are in flight: until that open lands it is
          // missing, which means "not yet" (a failed stat here would fail the attempt with no byte on disk).
          await waitUntil(`${after} bytes in ${partial}`, async () => (await sizeOf(partial)) === after);
          throw new Error("socket hang up (test)");
        }
        sent += buf.length;
        yield buf;
      }
    }
    return { ...got, body: Readable.from(truncated()) };
  };
  return wrapped;
}

describe("download_snap from a node with local snapshot storage", () => {
  it("downloads a collection snapshot verified against Qdrant's checksum; upload_snap recovers it on another node", async () => {
    const rig = await localRig("dl-roundtrip");
    const snap = await sourceSnapshot(rig);
    expect(snap.checksum).toBe(sha256(snap.bytes));

    const got = await download(snap.options, rig.deps());

    expect(got).toMatchObject({ task: "download_snap", done: 1, failed: 0, exitCode: EXIT.ok });
    expect(got.items[0]).toMatchObject({
      host: rig.src,
      snapshot: snap.name,
      file: snap.file,
      size: String(snap.size),
      sha256: snap.checksum,
      verified: "the node's checksum",
      resumedFrom: "0",
    });
    expect(await readFile(snap.file)).toEqual(snap.bytes);
    expect(await exists(`${snap.file}.partial`)).toBe(false);
    expect((await logged(rig.emu, "GET", DOWNLOAD, 1)).map((r) => r.status)).toEqual([200]);

    // The upload carries the file's own SHA-256 (computed first), so Qdrant verifies what it received.
    const deps = rig.deps();
    const seen: (string | undefined)[] = [];
    const qdrant: QdrantClient = Object.create(deps.qdrant);
    qdrant.uploadSnapshot = (host, target, body, opts) => {
      seen.push(opts.checksum);
      return deps.qdrant.uploadSnapshot(host, target, body, opts);
    };
    const up = await upload({ collection: "c1", file: snap.file }, { ...deps, qdrant });

    expect(up).toMatchObject({ task: "upload_snap", done: 1, failed: 0, exitCode: EXIT.ok });
    expect(seen).toEqual([snap.checksum]);
    const k = uploadKey({ file: snap.name, collection: "c1", shard: undefined, sha256: snap.checksum! });
    expect(await rig.read("snapshot_recovery_history")).toBe(csv([rig.dst, k, "ok"], [rig.dst, k, "verified"]));
    expect(await readAllPoints(rig.dst, "c1", API_KEY)).toEqual(await readAllPoints(rig.src, "c1", API_KEY));
  });

  it("resumes from <file>.partial with a Range request and hashes the kept prefix too", async () => {
    const rig = await localRig("dl-resume");
    const snap = await sourceSnapshot(rig);
    const kept = Math.floor(snap.bytes.length / 2);
    await writeFile(`${snap.file}.partial`, snap.bytes.subarray(0, kept));

    const got = await download(snap.options, rig.deps());

    expect(got).toMatchObject({ done: 1, exitCode: EXIT.ok });
    expect(got.items[0]).toMatchObject({ resumedFrom: String(kept), sha256: snap.checksum });
    expect((await logged(rig.emu, "GET", DOWNLOAD, 1)).map((r) => r.status)).toEqual([206]);
    expect(sha256(await readFile(snap.file))).toBe(snap.checksum);
    expect(await exists(`${snap.file}.partial`)).toBe(false);
  });

  it("a partial file whose prefix differs fails the checksum, and is downloaded once more from the start", async () => {
    const rig = await localRig("dl-bad-prefix");
    const snap = await sourceSnapshot(rig);
    await writeFile(`${snap.file}.partial`, Buffer.alloc(Math.floor(snap.bytes.length / 2), 0x41));
    const deps = rig.deps();

    const got = await download(snap.options, deps);

    expect(got).toMatchObject({ done: 1, failed: 0, exitCode: EXIT.ok });
    expect(got.items[0]).toMatchObject({ resumedFrom: "0", sha256: snap.checksum });
    expect((await logged(rig.emu, "GET", DOWNLOAD, 2)).map((r) => r.status)).toEqual([206, 200]);
    expect(
      deps.lines.some(
        (l) => l.includes("SHA-256 mismatch after resuming at byte") && l.includes("downloading again from the start"),
      ),
    ).toBe(true);
    expect(await readFile(snap.file)).toEqual(snap.bytes);
  });

  it("a wrong --checksum after a resume: tried once more from the start, then exit 3 with no file and no partial", async () => {
    const rig = await localRig("dl-bad-prefix-twice");
    const snap = await sourceSnapshot(rig);
    await writeFile(`${snap.file}.partial`, snap.bytes.subarray(0, 100));

    const got = await download({ ...snap.options, checksum: "ab".repeat(32) }, rig.deps());

    expect(got).toMatchObject({ done: 0, failed: 1, exitCode: EXIT.partial });
    expect(got.items[0]?.["error"]).toContain(`expected ${"ab".repeat(32)}, got ${snap.checksum}`);
    expect((await logged(rig.emu, "GET", DOWNLOAD, 2)).map((r) => r.status)).toEqual([206, 200]);
    expect(await exists(snap.file)).toBe(false);
    expect(await exists(`${snap.file}.partial`)).toBe(false);
  });

  it("a body cut mid-stream is resumed within the same run", async () => {
    const rig = await localRig("dl-cut");
    const snap = await sourceSnapshot(rig);
    const deps = rig.deps();

    const got = await download(snap.options, {
      ...deps,
      qdrant: cutFirstBody(deps.qdrant, Math.floor(snap.bytes.length / 3), `${snap.file}.partial`),
    });

    expect(got).toMatchObject({ done: 1, exitCode: EXIT.ok });
    expect(got.items[0]).toMatchObject({ resumedFrom: "0", sha256: snap.checksum });
    expect((await logged(rig.emu, "GET", DOWNLOAD, 2)).map((r) => r.status)).toEqual([200, 206]);
    expect(deps.lines.some((l) => /socket hang up \(test\).*resuming, retry 1 of 2/.test(l))).toBe(true);
    expect(await readFile(snap.file)).toEqual(snap.bytes);
  });

  it("a wrong --checksum: exit 3 naming both digests, no file and no partial left", async () => {
    const rig = await localRig("dl-mismatch");
    const snap = await sourceSnapshot(rig);
    const wrong = "ab".repeat(32);

    const got = await download({ ...snap.options, checksum: wrong }, rig.deps());

    expect(got).toMatchObject({ done: 0, failed: 1, exitCode: EXIT.partial });
    expect(got.message).toContain(`expected ${wrong}, got ${snap.checksum}`);
    expect(await exists(snap.file)).toBe(false);
    expect(await exists(`${snap.file}.partial`)).toBe(false);
  });

  it("never overwrites an existing file: a different one is refused (exit 2), the same one is skipped", async () => {
    const rig = await localRig("dl-exists");
    const snap = await sourceSnapshot(rig);
    await writeFile(snap.file, "not the snapshot");

    await expect(download(snap.options, rig.deps())).rejects.toThrow(ConfigError);
    await expect(download(snap.options, rig.deps())).rejects.toThrow(
      /exists already and its SHA-256 [0-9a-f]{64} is not the expected/,
    );
    expect(await readFile(snap.file, "utf8")).toBe("not the snapshot");

    await writeFile(snap.file, snap.bytes);
    const again = await download(snap.options, rig.deps());
    expect(again).toMatchObject({ done: 0, skipped: 1, exitCode: EXIT.ok });
    expect(rig.emu.requests().filter((r) => r.method === "GET" && DOWNLOAD.test(r.path))).toEqual([]);
  });

  it("downloads shard snapshots (--shard) and recovers them shard by shard on another node", async () => {
    const rig = await localRig("dl-shard");
    await seedCollection(rig.src, "c2", { points: 40, dim: 4, shards: 2, apiKey: API_KEY });
    await seedCollection(rig.dst, "c2", { points: 0, dim: 4, shards: 2, apiKey: API_KEY });
    for (const shard of [0, 1]) {
      const snap = await createSnapshot(rig.src, `/collections/c2/shards/${shard}/snapshots`);
      const file = join(rig.dir, snap.name);
      const got = await download({ collection: "c2", shard, snapshot: snap.name, file }, rig.deps());
      expect(got).toMatchObject({ done: 1, exitCode: EXIT.ok });
      expect(got.items[0]).toMatchObject({ sha256: snap.checksum, verified: "the node's checksum" });
      const up = await upload({ collection: "c2", shard, file }, rig.deps());
      expect(up).toMatchObject({ done: 1, exitCode: EXIT.ok });
    }
    expect((await logged(rig.emu, "POST", UPLOAD, 2)).map((r) => r.path)).toEqual([
      "/collections/c2/shards/0/snapshots/upload",
      "/collections/c2/shards/1/snapshots/upload",
    ]);
    expect(await readAllPoints(rig.dst, "c2", API_KEY)).toEqual(await readAllPoints(rig.src, "c2", API_KEY));
  });

  it("downloads a full-storage snapshot (--full) verified against the node's checksum", async () => {
    const rig = await localRig("dl-full", 1);
    await seedCollection(rig.src, "c1", { points: 10, dim: 4, apiKey: API_KEY });
    const snap = await createSnapshot(rig.src, "/snapshots");
    const file = join(rig.dir, "full.snapshot");

    const got = await download({ full: true, snapshot: snap.name, file }, rig.deps());

    expect(got).toMatchObject({ done: 1, exitCode: EXIT.ok });
    expect(got.items[0]).toMatchObject({ sha256: snap.checksum, verified: "the node's checksum" });
    expect(await readFile(file)).toEqual(await fetchBytes(rig.src, `/snapshots/${snap.name}`));
  });
});

describe("download_snap from a node with S3 snapshot storage (no Range, no checksum)", () => {
  it("starts over when the node ignores the range, verifies against --checksum; upload_snap recovers it on an S3 node", async () => {
    const rig = await startRig("dl-s3-fallback", { apiKey: API_KEY, nodes: 2 });
    const src = rig.urls[0] ?? "";
    const snap = await sourceSnapshot({ src, dir: rig.dir, emu: rig.emu });
    expect(snap.checksum).toBeUndefined();
    await writeFile(`${snap.file}.partial`, Buffer.concat([snap.bytes.subarray(0, 100), Buffer.alloc(50, 0x41)]));

    const got = await download(
      { ...snap.options, checksum: sha256(snap.bytes) },
      rig.deps({ QDRANT_SOURCE_HOSTS: src, QDRANT_API_KEY: API_KEY }),
    );

    expect(got).toMatchObject({ done: 1, exitCode: EXIT.ok });
    expect(got.items[0]).toMatchObject({ resumedFrom: "0", verified: "--checksum", sha256: sha256(snap.bytes) });
    expect((await logged(rig.emu, "GET", DOWNLOAD, 1)).map((r) => r.status)).toEqual([200]);
    expect(await readFile(snap.file)).toEqual(snap.bytes);

    const dst = rig.urls[1] ?? "";
    const up = await upload(
      { collection: "c1", file: snap.file },
      rig.deps({ QDRANT_RESTORE_HOSTS: dst, QDRANT_API_KEY: API_KEY }),
    );
    expect(up).toMatchObject({ done: 1, exitCode: EXIT.ok });
    expect(await readAllPoints(dst, "c1", API_KEY)).toEqual(await readAllPoints(src, "c1", API_KEY));
  });

  it("without --checksum the download is finished but reported unverified", async () => {
    const rig = await startRig("dl-s3-unverified", { apiKey: API_KEY });
    const src = rig.urls[0] ?? "";
    const snap = await sourceSnapshot({ src, dir: rig.dir, emu: rig.emu });
    const deps = rig.deps({ QDRANT_SOURCE_HOSTS: src, QDRANT_API_KEY: API_KEY });

    const got = await download(snap.options, deps);

    expect(got).toMatchObject({ done: 1, exitCode: EXIT.ok });
    expect(got.items[0]).toMatchObject({ verified: "no", sha256: sha256(snap.bytes) });
    expect(got.message).toContain("unverified");
    expect(deps.lines.some((l) => l.includes("WARN") && l.includes("is unverified"))).toBe(true);
  });

  it("--from-store reads the bucket's key with an S3 Range from the partial file's size", async () => {
    const rig = await startRig("dl-s3-store", { apiKey: API_KEY });
    const src = rig.urls[0] ?? "";
    const snap = await sourceSnapshot({ src, dir: rig.dir, emu: rig.emu });
    const kept = 1000;
    await writeFile(`${snap.file}.partial`, snap.bytes.subarray(0, kept));

    const got = await download({ ...snap.options, fromStore: true }, rig.deps());

    expect(got).toMatchObject({ done: 1, exitCode: EXIT.ok });
    expect(got.items[0]).toMatchObject({
      location: `s3://${rig.bucket.name}`,
      key: collectionSnapshotKey("c1", snap.name),
      resumedFrom: String(kept),
      verified: "no",
    });
    expect(await readFile(snap.file)).toEqual(snap.bytes);
    expect(rig.emu.requests()).toEqual([]);
  });
});

describe("download_snap --from-store with a directory destination", () => {
  it("verifies against the backup metadata's SHA-256 and resumes from the partial file", async () => {
    const rig = await localRig("dl-dir-store", 1);
    const snap = await sourceSnapshot(rig);
    const backupDir = join(rig.dir, "backups");
    const store = createDirStore(backupDir);
    const key = collectionSnapshotKey("c1", snap.name);
    await store.put(key, Readable.from([snap.bytes]));
    const meta = {
      format: 1 as const,
      kind: "collection" as const,
      snapshot: snap.name,
      collection: "c1",
      source: { host: rig.src },
      aliases: [],
      size: snap.size,
      createdAt: "2026-03-01T08:00:00Z",
    };
    await writeMetadata(store, key, { ...meta, sha256: sha256(snap.bytes) });
    await writeFile(`${snap.file}.partial`, snap.bytes.subarray(0, 700));

    const got = await download({ ...snap.options, fromStore: true }, rig.deps({ QDRANT_BACKUP_DIR: backupDir }));

    expect(got).toMatchObject({ done: 1, exitCode: EXIT.ok });
    expect(got.items[0]).toMatchObject({
      location: backupDir,
      key,
      resumedFrom: "700",
      verified: "the backup metadata",
    });
    expect(await readFile(snap.file)).toEqual(snap.bytes);

    // Metadata that disagrees with the bytes: the download fails the check.
    await writeMetadata(store, key, { ...meta, sha256: "cd".repeat(32) });
    const other = join(rig.dir, "other.snapshot");
    const bad = await download(
      { ...snap.options, file: other, fromStore: true },
      rig.deps({ QDRANT_BACKUP_DIR: backupDir }),
    );
    expect(bad).toMatchObject({ failed: 1, exitCode: EXIT.partial });
    expect(bad.message).toContain(`expected ${"cd".repeat(32)}, got ${sha256(snap.bytes)}`);
    expect(await exists(other)).toBe(false);
  });

  it("finds a full snapshot under full_snapshots/{host:port}/ with --full --from-store --host", async () => {
    const rig = await localRig("dl-dir-full", 1);
    const backupDir = join(rig.dir, "backups");
    const bytes = Buffer.from("a full snapshot, as transfer mode stored it");
    const key = fullSnapshotKey(rig.src, "full-snapshot-2026-03-01-08-00-00.snapshot");
    await createDirStore(backupDir).put(key, Readable.from([bytes]));
    const file = join(rig.dir, "full.snapshot");

    const got = await download(
      {
        full: true,
        fromStore: true,
        host: rig.src,
        snapshot: "full-snapshot-2026-03-01-08-00-00.snapshot",
        file,
        checksum: sha256(bytes),
      },
      rig.deps({ QDRANT_BACKUP_DIR: backupDir }),
    );

    expect(got).toMatchObject({ done: 1, exitCode: EXIT.ok });
    expect(got.items[0]).toMatchObject({ key, verified: "--checksum" });
    expect(await readFile(file)).toEqual(bytes);
  });

  it("a snapshot missing from the destination fails the item (exit 3) naming the key", async () => {
    const rig = await localRig("dl-dir-missing", 1);
    const backupDir = join(rig.dir, "backups");
    await mkdir(backupDir);
    const got = await download(
      { collection: "c1", snapshot: "nope.snapshot", file: join(rig.dir, "x"), fromStore: true },
      rig.deps({ QDRANT_BACKUP_DIR: backupDir }),
    );
    expect(got).toMatchObject({ failed: 1, exitCode: EXIT.partial });
    expect(got.message).toContain(`${backupDir}/snapshots/c1/nope.snapshot: no such snapshot`);
  });
});

describe("download_snap option errors (exit 2, naming the flags)", () => {
  const cases: [string, TaskOptions, RegExp][] = [
    ["no --snapshot", { collection: "c1" }, /--snapshot <name> is required/],
    ["neither --collection nor --full", { snapshot: "s.snapshot" }, /--collection <name> \(or --full/],
    ["--full with --collection", { full: true, collection: "c1", snapshot: "s" }, /--full and --collection contradict/],
    ["--full with --shard", { full: true, shard: 1, snapshot: "s" }, /--full and --shard contradict/],
    [
      "--from-store with --host for a collection",
      { collection: "c1", snapshot: "s", fromStore: true, host: "http://h:6333" },
      /--host and --from-store contradict/,
    ],
    [
      "--from-store --full without --host",
      { full: true, snapshot: "s", fromStore: true },
      /--from-store with --full needs --host/,
    ],
    [
      "a snapshot name with a slash and no --file",
      { collection: "c1", snapshot: "../evil" },
      /not a plain file name; give --file/,
    ],
    [
      "--file in a missing directory",
      { collection: "c1", snapshot: "s", file: "/nonexistent-dir-qbr/s" },
      /the directory \/nonexistent-dir-qbr does not exist/,
    ],
  ];
  it.each(cases)("%s", async (_label, options, message) => {
    const rig = await localRig("dl-options", 1);
    const deps = rig.deps({ QDRANT_BACKUP_DIR: join(rig.dir, "b") });
    await expect(download(options, deps)).rejects.toThrow(ConfigError);
    await expect(download(options, deps)).rejects.toThrow(message);
    expect(rig.emu.requests()).toEqual([]);
  });

  it("no --host and no QDRANT_SOURCE_HOSTS", async () => {
    const tmp = await makeTempDir("dl-nohost");
    onTestFinished(tmp.cleanup);
    const deps = createTestDeps({}, { stateDir: tmp.dir });
    onTestFinished(() => deps.close());
    await expect(download({ collection: "c1", snapshot: "s" }, deps)).rejects.toThrow(
      /--host <url> or QDRANT_SOURCE_HOSTS is needed/,
    );
    await expect(download({ collection: "c1", snapshot: "s", fromStore: true }, deps)).rejects.toThrow(
      /no backup destination/,
    );
  });
});

describe("upload_snap", () => {
  it("a history that cannot be written (a full disk) stops upload_snap with exit 2, not counted as a failed upload", async () => {
    const rig = await localRig("up-full");
    const snap = await sourceSnapshot(rig);
    await writeFile(snap.file, snap.bytes);
    const deps = rig.deps();
    const full = new StateStore(rig.dir, {
      write: () =>
        Promise.reject(Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" })),
    });

    const err = await upload({ collection: "c1", file: snap.file }, { ...deps, state: full }).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(StateFileError);
    expect((err as StateFileError).exitCode).toBe(EXIT.usage);
    expect((err as Error).message).toMatch(
      /snapshot_recovery_history: cannot append: no space left on device \(ENOSPC\).*free space on the volume/,
    );
    expect(deps.lines.filter((l) => /Upload of .* failed/.test(l))).toEqual([]);
    expect(await rig.read("failed_snapshot_recovery")).toBeUndefined();
    expect(await rig.read("snapshot_recovery_history")).toBe("");
    await full.close();
  });

  it("a wrong --checksum is refused by Qdrant (400): exit 3, recorded in failed_snapshot_recovery", async () => {
    const rig = await localRig("up-mismatch");
    const snap = await sourceSnapshot(rig);
    await writeFile(snap.file, snap.bytes);

    const up = await upload({ collection: "c1", file: snap.file, checksum: "ef".repeat(32) }, rig.deps());

    expect(up).toMatchObject({ done: 0, failed: 1, exitCode: EXIT.partial });
    expect(up.items[0]?.["error"]).toMatch(/400 .*Checksum mismatch/);
    expect(await rig.read("failed_snapshot_recovery")).toBe(
      csv([
        rig.dst,
        uploadKey({ file: snap.name, collection: "c1", shard: undefined, sha256: "ef".repeat(32) }),
        "http-400",
      ]),
    );
    expect(await rig.read("snapshot_recovery_history")).toBeUndefined();
    await expect(readAllPoints(rig.dst, "c1", API_KEY)).rejects.toThrow(/404/);
  });

  it("uploads to every restore host; a re-run skips hosts already recovered, --force uploads again", async () => {
    const rig = await localRig("up-rerun", 3);
    const [, t1 = "", t2 = ""] = rig.emu.urls;
    const snap = await sourceSnapshot(rig);
    await writeFile(snap.file, snap.bytes);
    const env = { QDRANT_RESTORE_HOSTS: `${t1},${t2}` };
    const removeFault = rig.emu.faults.add({ node: 2, method: "POST", path: UPLOAD, status: 500 });

    const first = await upload({ collection: "c1", file: snap.file, priority: "snapshot" }, rig.deps(env));
    expect(first).toMatchObject({ done: 1, failed: 1, exitCode: EXIT.partial });
    const k = uploadKey({ file: snap.name, collection: "c1", shard: undefined, sha256: sha256(snap.bytes) });
    expect(await rig.read("snapshot_recovery_history")).toBe(csv([t1, k, "ok"], [t1, k, "verified"]));
    expect(await rig.read("failed_snapshot_recovery")).toBe(csv([t2, k, "http-500"]));

    removeFault();
    rig.emu.resetRequests();
    const second = await upload({ collection: "c1", file: snap.file }, rig.deps(env));
    expect(second).toMatchObject({ done: 1, skipped: 1, failed: 0, exitCode: EXIT.ok });
    expect((await logged(rig.emu, "POST", UPLOAD, 1)).map((r) => r.node)).toEqual([2]);
    for (const t of [t1, t2])
      expect(await readAllPoints(t, "c1", API_KEY)).toEqual(await readAllPoints(rig.src, "c1", API_KEY));

    rig.emu.resetRequests();
    const forced = await upload({ collection: "c1", file: snap.file, force: true }, rig.deps(env));
    expect(forced).toMatchObject({ done: 2, skipped: 0, exitCode: EXIT.ok });
    expect((await logged(rig.emu, "POST", UPLOAD, 2)).map((r) => r.node).sort()).toEqual([1, 2]);
  });

  it("the same file name uploaded into another collection or with other bytes is uploaded, not skipped", async () => {
    const rig = await localRig("up-key");
    const snap = await sourceSnapshot(rig);
    await writeFile(snap.file, snap.bytes);
    expect(await upload({ collection: "c1", file: snap.file }, rig.deps())).toMatchObject({
      done: 1,
      exitCode: EXIT.ok,
    });

    rig.emu.resetRequests();
    const other = await upload({ collection: "c1-copy", file: snap.file }, rig.deps());
    expect(other).toMatchObject({ done: 1, skipped: 0, exitCode: EXIT.ok });
    expect((await logged(rig.emu, "POST", UPLOAD, 1)).map((r) => r.path)).toEqual([
      "/collections/c1-copy/snapshots/upload",
    ]);
    expect(await readAllPoints(rig.dst, "c1-copy", API_KEY)).toEqual(await readAllPoints(rig.src, "c1", API_KEY));

    // Another snapshot of c1 under the same file name (other bytes): recovered too.
    await qdrantCall(rig.src, "PUT", "/collections/c1/points?wait=true", API_KEY, {
      points: [{ id: 9001, vector: [1, 2, 3, 4], payload: {} }],
    });
    const newer = await createSnapshot(rig.src, "/collections/c1/snapshots");
    await writeFile(snap.file, await fetchBytes(rig.src, `/collections/c1/snapshots/${newer.name}`));
    rig.emu.resetRequests();
    expect(await upload({ collection: "c1", file: snap.file }, rig.deps())).toMatchObject({
      done: 1,
      skipped: 0,
      exitCode: EXIT.ok,
    });
    expect(await readAllPoints(rig.dst, "c1", API_KEY)).toEqual(await readAllPoints(rig.src, "c1", API_KEY));

    // The same bytes into the same collection: skipped.
    rig.emu.resetRequests();
    expect(await upload({ collection: "c1", file: snap.file }, rig.deps())).toMatchObject({
      done: 0,
      skipped: 1,
      exitCode: EXIT.ok,
    });
    expect(rig.emu.requests().filter((r) => UPLOAD.test(r.path))).toEqual([]);
  });

  it("checks each host's collection after its upload; a failed check is verify-<reason> (exit 3), checked again by the next run", async () => {
    const rig = await localRig("up-check");
    const snap = await sourceSnapshot(rig);
    await writeFile(snap.file, snap.bytes);
    const k = uploadKey({ file: snap.name, collection: "c1", shard: undefined, sha256: sha256(snap.bytes) });
    const removeFault = rig.emu.faults.add({ node: 1, method: "GET", path: "/collections/c1", status: 500 });

    const first = await upload({ collection: "c1", file: snap.file }, rig.deps({ QDRANT_RETRIES: "0" }));
    expect(first).toMatchObject({ done: 0, failed: 1, exitCode: EXIT.partial });
    expect(first.items[0]).toMatchObject({ status: "verify-status" });
    expect(await rig.read("snapshot_recovery_history")).toBe(csv([rig.dst, k, "ok"]));
    expect(await rig.read("failed_snapshot_recovery")).toBe(csv([rig.dst, k, "verify-status"]));

    removeFault();
    rig.emu.resetRequests();
    const second = await upload({ collection: "c1", file: snap.file }, rig.deps());
    expect(second).toMatchObject({ done: 1, failed: 0, exitCode: EXIT.ok });
    expect(second.items[0]).toMatchObject({ verified: "status-only" });
    expect(rig.emu.requests().filter((r) => UPLOAD.test(r.path))).toEqual([]);
    expect(await rig.read("snapshot_recovery_history")).toBe(csv([rig.dst, k, "ok"], [rig.dst, k, "verified"]));
  });

  it("refuses a missing file, a missing --collection and --full (exit 2) before any request", async () => {
    const rig = await localRig("up-options");
    const deps = rig.deps();
    await expect(upload({ collection: "c1", file: join(rig.dir, "missing.snapshot") }, deps)).rejects.toThrow(
      /--file .*missing\.snapshot: no such file/,
    );
    await expect(upload({ file: join(rig.dir, "x") }, deps)).rejects.toThrow(/--collection <name> is required/);
    await expect(upload({ collection: "c1", full: true, file: join(rig.dir, "x") }, deps)).rejects.toThrow(
      /--full: a full-storage snapshot cannot be uploaded/,
    );
    await expect(upload({ collection: "c1" }, deps)).rejects.toThrow(ConfigError);
    expect(rig.emu.requests()).toEqual([]);
  });
});
