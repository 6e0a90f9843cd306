/**
 * A rig for transfer mode and backup metadata: emulator nodes that keep their snapshots on local disk (the main
 * transfer case) or in S3 (Qdrant's S3 snapshot storage, in the destination bucket or another one), and a destination
 * that is a fresh bucket on the local S3 server or a fresh temp directory (QDRANT_BACKUP_DIR). Tests read the
 * destination through the AWS SDK or the file system, never through the tool's own store. Cleanup is registered with
 * onTestFinished.
 */
import { createHash } from "node:crypto";
import { readFile, readdir } from "node:fs/promises";
import path from "node:path";
import { GetObjectCommand, NoSuchKey } from "@aws-sdk/client-s3";
import { inject, onTestFinished } from "vitest";
import { createTestDeps, type TestDeps } from "../../support/deps.js";
import { startEmulator, type Emulator, type EmulatorOptions } from "../../support/emulator/index.js";
import { createTestBucket, createTestS3Client, s3Env, s3Storage } from "../../support/s3/client.js";
import { makeTempDir } from "../../support/tmp.js";
import { createBucketView } from "./bucket.js";
import { readStateFile } from "./rig.js";
import type { StateFileName } from "../../support/state-names.js";

export const API_KEY = "transfer-rig-api-key-5c4b3a";

/** Where the nodes keep snapshots: local disk, S3 in the destination bucket, or S3 in a bucket of their own. */
export type NodeStorage = "local" | "s3-destination" | "s3-other";

/** A read-only view of the destination, independent of the tool's store code. */
export interface DestinationView {
  readonly kind: "s3" | "dir";
  /** The variables that select it (QDRANT_S3_* or QDRANT_BACKUP_DIR). */
  readonly env: Record<string, string>;
  /** Every key under `prefix`, sorted (for a directory: relative paths with `/`). */
  keys(prefix?: string): Promise<string[]>;
  /** The object's bytes, or undefined when missing. */
  read(key: string): Promise<Buffer | undefined>;
}

export interface TransferRig {
  emu: Emulator;
  urls: string[];
  dest: DestinationView;
  /** The emulator's own bucket with `s3-other` storage. */
  nodeBucket: string | undefined;
  stateDir: string;
  /** Deps over the destination's variables (unless `destination: false`) plus `env`, on the rig's state directory. */
  deps(env?: Record<string, string>, opts?: { signal?: AbortSignal; destination?: boolean }): TestDeps;
  read(name: StateFileName): Promise<string | undefined>;
}

/** Starts a rig; call inside a test. */
export async function startTransferRig(
  label: string,
  opts: { dest: "s3" | "dir"; storage?: NodeStorage } & Omit<EmulatorOptions, "storage" | "apiKey">,
): Promise<TransferRig> {
  const { dest: destKind, storage = "local", ...emuOpts } = opts;
  const s3 = inject("s3");
  const cleanups: (() => Promise<void>)[] = [];
  onTestFinished(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  });
  const state = await makeTempDir(`${label}-state`);
  cleanups.push(state.cleanup);
  let dest: DestinationView;
  let destBucket: string | undefined;
  if (destKind === "s3") {
    destBucket = await createTestBucket(s3, label);
    dest = bucketView(destBucket, cleanups);
  } else {
    const dir = await makeTempDir(`${label}-dest`);
    cleanups.push(dir.cleanup);
    dest = dirView(dir.dir);
  }
  const nodeBucket =
    storage === "s3-other"
      ? await createTestBucket(s3, `${label}-node`)
      : storage === "s3-destination"
        ? destBucket
        : undefined;
  if (storage === "s3-destination" && destBucket === undefined)
    throw new Error("s3-destination storage needs an S3 destination");
  const emu = await startEmulator({
    ...emuOpts,
    apiKey: API_KEY,
    ...(nodeBucket !== undefined ? { storage: s3Storage(s3, nodeBucket) } : {}),
  });
  cleanups.push(() => emu.stop());
  return {
    emu,
    urls: emu.urls,
    dest,
    nodeBucket: storage === "s3-other" ? nodeBucket : undefined,
    stateDir: state.dir,
    deps: (env = {}, o = {}) => {
      const destEnv = o.destination === false ? {} : dest.env;
      const deps = createTestDeps(
        { QDRANT_API_KEY: API_KEY, ...destEnv, ...env },
        { stateDir: state.dir, ...(o.signal ? { signal: o.signal } : {}) },
      );
      cleanups.push(() => deps.close());
      return deps;
    },
    read: (name) => readStateFile(state.dir, name),
  };
}

/** The view of an S3 bucket on the local server; its client is closed by `cleanups`, or when the test finishes. */
export function bucketView(bucket: string, cleanups?: (() => Promise<void>)[]): DestinationView {
  const s3 = inject("s3");
  const client = createTestS3Client(s3, { maxAttempts: 1 });
  const view = createBucketView(s3, bucket);
  const close = async (): Promise<void> => {
    client.destroy();
    view.close();
  };
  if (cleanups) cleanups.push(close);
  else onTestFinished(close);
  return {
    kind: "s3",
    env: s3Env(s3, bucket),
    keys: (prefix) => view.keys(prefix),
    read: async (key) => {
      try {
        const reply = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        return Buffer.from((await reply.Body?.transformToByteArray()) ?? []);
      } catch (err) {
        if (err instanceof NoSuchKey) return undefined;
        throw err;
      }
    },
  };
}

/** The view of a destination directory. */
export function dirView(root: string): DestinationView {
  return {
    kind: "dir",
    env: { QDRANT_BACKUP_DIR: root },
    keys: async (prefix = "") => {
      const entries = await readdir(root, { recursive: true, withFileTypes: true });
      return entries
        .filter((e) => e.isFile())
        .map((e) => path.relative(root, path.join(e.parentPath, e.name)).split(path.sep).join("/"))
        .filter((k) => k.startsWith(prefix))
        .sort();
    },
    read: async (key) => {
      try {
        return await readFile(path.join(root, ...key.split("/")));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
        throw err;
      }
    },
  };
}

/** The snapshot's bytes as the node serves them (GET …/snapshots/{name}), or undefined on 404. */
export async function downloadFromNode(url: string, collection: string, name: string): Promise<Buffer | undefined> {
  const res = await fetch(
    `${url}/collections/${encodeURIComponent(collection)}/snapshots/${encodeURIComponent(name)}`,
    { headers: { "api-key": API_KEY } },
  );
  if (res.status === 404) return undefined;
  if (!res.ok) throw new Error(`download ${collection}/${name} from ${url}: ${res.status}`);
  return Buffer.from(await res.arrayBuffer());
}

/** Lowercase hex SHA-256. */
export function sha256(bytes: Buffer): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** Parses a JSON object read from the destination. */
export function parseJsonObject(bytes: Buffer | undefined): Record<string, unknown> {
  if (bytes === undefined) throw new Error("no object");
  const v: unknown = JSON.parse(bytes.toString("utf8"));
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new Error("not a JSON object");
  return v as Record<string, unknown>;
}
