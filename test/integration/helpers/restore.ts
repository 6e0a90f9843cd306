/**
 * A staged backup for the restore tests (transfer mode and health checks): node 0 is the source (c1: 20 points,
 * c2: 10 points in 2 shards), nodes 1 and 2 the restore hosts. Each collection is snapshotted on the source and
 * stored in the destination (S3 bucket or QDRANT_BACKUP_DIR) with its backup metadata, as a backup with metadata
 * leaves them. The emulator keeps its own snapshots on local disk or in the same bucket (Qdrant's S3 storage).
 */
import { createHash } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import { inject, onTestFinished } from "vitest";
import { METADATA_FORMAT, readMetadata, writeMetadata, type BackupMetadata } from "../../../src/backup/metadata.js";
import { transferSnapshot } from "../../../src/backup/transfer.js";
import { collectionSnapshotKey, metadataKeyOf } from "../../../src/core/keys.js";
import type { SnapshotStore } from "../../../src/store/types.js";
import { createTestDeps, type TestDeps } from "../../support/deps.js";
import { startEmulator, type Emulator, type RequestLogEntry } from "../../support/emulator/index.js";
import { qdrantCall, seedCollection } from "../../support/emulator/seed.js";
import { createTestBucket, s3Env, s3Storage } from "../../support/s3/client.js";
import { makeTempDir } from "../../support/tmp.js";
import { csv, manualClock, readStateFile } from "./rig.js";
import type { StateFileName } from "../../support/state-names.js";

export const API_KEY = "restore-api-key-5c4b3a";
export const C1 = "c1-1-2026-03-01-08-00-00.snapshot";
export const C2 = "c2-1-2026-03-01-08-00-00.snapshot";
export const RECOVER = /^\/collections\/[^/]+\/snapshots\/recover$/;
export const UPLOAD = /^\/collections\/[^/]+\/snapshots\/upload$/;

export interface StagedOptions {
  /** Where the emulator keeps its own snapshots. */
  emuStorage: "local" | "s3";
  /** The tool's destination. */
  dest: "s3" | "dir";
  /** Write backup metadata (default true); false = snapshots as the bash tool left them. */
  metadata?: boolean;
}

export interface Staged {
  emu: Emulator;
  src: string;
  t1: string;
  t2: string;
  /** The state directory. */
  dir: string;
  clock: ReturnType<typeof manualClock>;
  /** Destination variables, restore hosts (both targets) and the API key. */
  env: Record<string, string>;
  /** Deps over `env` plus `extra`, closed when the test ends. */
  deps(extra?: Record<string, string>, opts?: { signal?: AbortSignal }): TestDeps;
  /** The destination, as the tool sees it. */
  store(): SnapshotStore;
  /** The metadata written for each collection's snapshot. */
  metadata: Record<"c1" | "c2", BackupMetadata>;
  /** Rewrites a snapshot's metadata with `change` applied. */
  editMetadata(collection: "c1" | "c2", change: (m: BackupMetadata) => BackupMetadata): Promise<void>;
  read(name: StateFileName): Promise<string | undefined>;
  write(name: StateFileName, text: string): Promise<void>;
  requests(method: string, path: RegExp): RequestLogEntry[];
}

/** SHA-256 and size of a stored object, read as a stream. */
export async function digestOf(store: SnapshotStore, key: string): Promise<{ sha256: string; size: number }> {
  const found = await store.get(key);
  if (!found) throw new Error(`${key} is not in ${store.location}`);
  const hash = createHash("sha256");
  let size = 0;
  for await (const chunk of found.body) {
    const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
    hash.update(b);
    size += b.length;
  }
  return { sha256: hash.digest("hex"), size };
}

/** Starts the rig, backs up c1 and c2 into the destination and writes the `snapshots` rows. */
export async function stagedBackup(label: string, opts: StagedOptions): Promise<Staged> {
  const s3info = inject("s3");
  const bucket = await createTestBucket(s3info, label);
  const tmp = await makeTempDir(label);
  const stateDir = join(tmp.dir, "state");
  await mkdir(stateDir);
  const clock = manualClock("2026-03-01T08:00:00Z");
  const storage = opts.emuStorage === "local" ? { kind: "local" as const } : s3Storage(s3info, bucket);
  const emu = await startEmulator({ nodes: 3, clock: clock.now, apiKey: API_KEY, peerIds: [1, 2, 3], storage });
  const closers: (() => Promise<void>)[] = [];
  onTestFinished(async () => {
    await Promise.allSettled(closers.map((close) => close()));
    await emu.stop();
    await tmp.cleanup();
  });
  const [src = "", t1 = "", t2 = ""] = emu.urls;
  const destEnv: Record<string, string> =
    opts.dest === "dir" ? { QDRANT_BACKUP_DIR: join(tmp.dir, "backups") } : s3Env(s3info, bucket);
  // A bounded wait for green, so a test that breaks the status fails in seconds rather than the default 5 minutes.
  const env = { ...destEnv, QDRANT_RESTORE_HOSTS: `${t1},${t2}`, QDRANT_API_KEY: API_KEY, QDRANT_VERIFY_TIMEOUT: "20" };
  const deps = (extra: Record<string, string> = {}, o: { signal?: AbortSignal } = {}): TestDeps => {
    const d = createTestDeps({ ...env, ...extra }, { stateDir, ...(o.signal ? { signal: o.signal } : {}) });
    closers.push(() => d.close());
    return d;
  };
  const setup = deps({ QDRANT_SOURCE_HOSTS: src });
  const store = setup.store();

  await seedCollection(src, "c1", { points: 20, dim: 4, apiKey: API_KEY });
  await seedCollection(src, "c2", { points: 10, dim: 4, shards: 2, apiKey: API_KEY });
  const metadata: Partial<Record<"c1" | "c2", BackupMetadata>> = {};
  for (const collection of ["c1", "c2"] as const) {
    const created = await setup.qdrant.createSnapshot(src, collection, true);
    if (created.status !== "ok") throw new Error("snapshot not created");
    const name = created.snapshot.name;
    const key = collectionSnapshotKey(collection, name);
    // With Qdrant's S3 storage in the destination bucket the snapshot is already there; otherwise transfer it.
    const stored =
      opts.emuStorage === "s3" && opts.dest === "s3"
        ? await digestOf(store, key)
        : await transferSnapshot(
            setup,
            src,
            { kind: "collection", collection, name },
            key,
            created.snapshot.checksum ?? undefined,
          );
    const info = await setup.qdrant.getCollection(src, collection);
    const meta: BackupMetadata = {
      format: METADATA_FORMAT,
      kind: "collection",
      snapshot: name,
      collection,
      source: { host: src, peerId: 1 },
      qdrantVersion: await setup.qdrant.getVersion(src),
      pointsCount: await setup.qdrant.countPoints(src, collection),
      ...(info.config ? { collectionConfig: info.config } : {}),
      aliases: [],
      size: stored.size,
      sha256: stored.sha256,
      createdAt: clock.now().toISOString(),
    };
    metadata[collection] = meta;
    if (opts.metadata !== false) await writeMetadata(store, key, meta);
  }
  await writeFile(join(stateDir, "snapshots"), csv([src, "c1", C1], [src, "c2", C2]));
  emu.resetRequests();
  const { c1, c2 } = metadata;
  if (!c1 || !c2) throw new Error("metadata missing");
  return {
    emu,
    src,
    t1,
    t2,
    dir: stateDir,
    clock,
    env,
    deps,
    store: () => store,
    metadata: { c1, c2 },
    editMetadata: async (collection, change) => {
      const key = collectionSnapshotKey(collection, collection === "c1" ? C1 : C2);
      const current = await readMetadata(store, key);
      if (!current) throw new Error(`no metadata under ${metadataKeyOf(key)}`);
      await writeMetadata(store, key, change(current));
    },
    read: (name) => readStateFile(stateDir, name),
    write: (name, text) => writeFile(join(stateDir, name), text, "utf8"),
    requests: (method, path) => emu.requests().filter((e) => e.method === method && path.test(e.path)),
  };
}

/** Replaces a stored object's bytes (a tampered or swapped snapshot). */
export async function replaceObject(store: SnapshotStore, key: string, bytes: Buffer): Promise<void> {
  await store.put(key, Readable.from([bytes]));
}

/** A second, valid snapshot archive of c1 with different content (an extra point): same layout, other bytes. */
export async function otherArchiveOfC1(s: Staged): Promise<Buffer> {
  await qdrantCall(s.src, "PUT", "/collections/c1/points?wait=true", API_KEY, {
    points: [{ id: 777, vector: [0.1, 0.2, 0.3, 0.4], payload: { extra: true } }],
  });
  s.clock.set("2026-03-01T09:00:00Z");
  const created = await qdrantCall(s.src, "POST", "/collections/c1/snapshots?wait=true", API_KEY);
  if (typeof created !== "object" || created === null || Array.isArray(created) || typeof created["name"] !== "string")
    throw new Error("no snapshot");
  const res = await fetch(`${s.src}/collections/c1/snapshots/${created["name"]}`, { headers: { "api-key": API_KEY } });
  if (!res.ok) throw new Error(`download failed: ${res.status}`);
  const bytes = Buffer.from(await res.arrayBuffer());
  // The extra point stays out of the source's later reads.
  await qdrantCall(s.src, "POST", "/collections/c1/points/delete?wait=true", API_KEY, { points: [777] });
  return bytes;
}
