/**
 * Rigs for the full-snapshot tests: emulator nodes with LOCAL snapshot storage (most self-hosted nodes) or S3
 * snapshot storage (the shared local S3 server), a state directory, an optional backup directory, and deps built
 * from env vars as the CLI builds them. Everything stops when the test finishes.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import { inject, onTestFinished, expect } from "vitest";
import tar from "tar-stream";
import { createTestDeps, type TestDeps } from "../../support/deps.js";
import { startEmulator, type Emulator } from "../../support/emulator/index.js";
import { createAlias, listAliases, readAllPoints, seedCollection } from "../../support/emulator/seed.js";
import { createTestBucket, s3Env, s3Storage } from "../../support/s3/client.js";
import { makeTempDir } from "../../support/tmp.js";
import { createBucketView, type BucketView } from "./bucket.js";
import type { TOOL_STATE_FILE_NAMES } from "../../support/state-names.js";
import { manualClock, readStateFile, type StateFileName } from "./rig.js";

export const API_KEY = "full-snap-key-5c1d0e";

export interface FullRig {
  emu: Emulator;
  urls: string[];
  clock: ReturnType<typeof manualClock>;
  /** The state directory. */
  dir: string;
  /** A backup directory (QDRANT_BACKUP_DIR) to use or not. */
  backupDir: string;
  /** S3 variables of the rig's bucket (S3 storage) or of a fresh bucket (local storage), for an S3 destination. */
  s3Env: Record<string, string>;
  bucket: BucketView;
  deps(env?: Record<string, string>): TestDeps;
  read(name: StateFileName | (typeof TOOL_STATE_FILE_NAMES)[number]): Promise<string | undefined>;
}

/** Starts `nodes` standalone nodes (peer ids 11, 12, …) with local or S3 snapshot storage. */
export async function startFullRig(label: string, opts: { nodes: number; storage: "local" | "s3" }): Promise<FullRig> {
  const s3 = inject("s3");
  const bucketName = await createTestBucket(s3, label);
  const tmp = await makeTempDir(label);
  const clock = manualClock("2026-04-01T02:00:00Z");
  const storage =
    opts.storage === "local"
      ? { kind: "local" as const, dir: join(tmp.dir, "node-snapshots") }
      : s3Storage(s3, bucketName);
  const emu = await startEmulator({
    nodes: opts.nodes,
    apiKey: API_KEY,
    clock: clock.now,
    storage,
    peerIds: Array.from({ length: opts.nodes }, (_, i) => 11 + i),
  });
  const bucket = createBucketView(s3, bucketName);
  const closers: (() => Promise<void>)[] = [];
  onTestFinished(async () => {
    await Promise.allSettled(closers.map((c) => c()));
    await emu.stop();
    bucket.close();
    await tmp.cleanup();
  });
  const stateDir = join(tmp.dir, "state");
  const bucketEnv = s3Env(s3, bucketName);
  return {
    emu,
    urls: emu.urls,
    clock,
    dir: stateDir,
    backupDir: join(tmp.dir, "backups"),
    s3Env: bucketEnv,
    bucket,
    deps: (env = {}) => {
      const deps = createTestDeps({ QDRANT_API_KEY: API_KEY, ...env }, { stateDir });
      closers.push(() => deps.close());
      return deps;
    },
    read: (name) => readStateFile(stateDir, name),
  };
}

/** The source's data: `docs-2024-7` (dashes and digits: the inner file name must still map back), `notes`, 3 aliases. */
export async function seedSource(url: string): Promise<void> {
  await seedCollection(url, "docs-2024-7", { points: 40, dim: 4, apiKey: API_KEY });
  await seedCollection(url, "notes", { points: 15, dim: 3, distance: "Dot", shards: 2, apiKey: API_KEY });
  await createAlias(url, "docs-2024-7", "docs-live", API_KEY);
  await createAlias(url, "docs-2024-7", "docs-old", API_KEY);
  await createAlias(url, "notes", "notes-live", API_KEY);
}

export const SOURCE_ALIASES = [
  { alias_name: "docs-live", collection_name: "docs-2024-7" },
  { alias_name: "docs-old", collection_name: "docs-2024-7" },
  { alias_name: "notes-live", collection_name: "notes" },
];

/** Points of every seeded collection and all aliases on `to` equal those on `from`. */
export async function expectSameStorage(from: string, to: string): Promise<void> {
  for (const c of ["docs-2024-7", "notes"]) {
    const expected = await readAllPoints(from, c, API_KEY);
    expect(expected.length).toBeGreaterThan(0);
    expect(await readAllPoints(to, c, API_KEY), `points of ${c} on ${to}`).toEqual(expected);
  }
  expect(await listAliases(to, API_KEY)).toEqual(await listAliases(from, API_KEY));
}

/** Bytes of a full snapshot kept on node `index`'s local disk. */
export function readLocalSnapshot(rig: FullRig, index: number, name: string): Promise<Buffer> {
  return readFile(join(rig.emu.nodes[index]?.snapshotsDir ?? "", name));
}

/** The entries of a tar (name → bytes), in archive order. */
export async function untar(bytes: Buffer): Promise<{ name: string; body: Buffer }[]> {
  const out: { name: string; body: Buffer }[] = [];
  const extract = tar.extract();
  const done = (async () => {
    for await (const entry of extract) {
      const parts: Buffer[] = [];
      for await (const chunk of entry) parts.push(chunk);
      out.push({ name: entry.header.name, body: Buffer.concat(parts) });
    }
  })();
  Readable.from([bytes]).pipe(extract);
  await done;
  return out;
}

/** A tar of `entries` in the given order. */
export async function packTar(entries: readonly { name: string; body: Buffer }[]): Promise<Buffer> {
  const pack = tar.pack();
  const parts: Buffer[] = [];
  const collected = (async () => {
    for await (const chunk of pack) parts.push(chunk);
  })();
  for (const e of entries) {
    await new Promise<void>((resolve, reject) =>
      pack.entry({ name: e.name, size: e.body.length }, e.body, (err) => (err ? reject(err) : resolve())),
    );
  }
  pack.finalize();
  await collected;
  return Buffer.concat(parts);
}
