/**
 * One integration rig per test: a fresh bucket on the shared local S3 server, an emulator whose nodes store their
 * snapshots in it (Qdrant's S3 snapshot storage), a fresh state directory and deps built from env vars as the CLI
 * builds them. Everything is stopped when the test finishes (onTestFinished), pass or fail.
 */
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { inject, onTestFinished } from "vitest";
import { createTestDeps, type TestDeps } from "../../support/deps.js";
import {
  startEmulator,
  type Emulator,
  type EmulatorOptions,
  type RequestLogEntry,
} from "../../support/emulator/index.js";
import { createTestBucket, s3Env, s3Storage } from "../../support/s3/client.js";
import type { S3ServerInfo } from "../../support/s3/launcher.js";
import { makeTempDir } from "../../support/tmp.js";
import { createBucketView, type BucketView } from "./bucket.js";

import type { StateFileName } from "../../support/state-names.js";
export { STATE_FILE_NAMES, type StateFileName } from "../../support/state-names.js";

export interface Rig {
  emu: Emulator;
  urls: string[];
  s3info: S3ServerInfo;
  bucket: BucketView;
  /** The state directory. */
  dir: string;
  /** QDRANT_S3_* variables for the rig's bucket. */
  s3Env: Record<string, string>;
  /** Deps over the rig's S3 settings plus `env`, on the rig's state directory; closed when the test ends. */
  deps(env?: Record<string, string>, opts?: { signal?: AbortSignal }): TestDeps;
  /** A state file's exact text, or undefined when it does not exist. */
  read(name: StateFileName): Promise<string | undefined>;
  /** Writes a state file by hand (as the bash tool or a user would). */
  write(name: StateFileName, text: string): Promise<void>;
  /** Request-log entries matching method and a pathname pattern. */
  requests(method: string, path: RegExp): RequestLogEntry[];
}

/** Starts a rig; call inside a test (cleanup is registered with onTestFinished). */
export async function startRig(label: string, opts: Omit<EmulatorOptions, "storage"> = {}): Promise<Rig> {
  const s3info = inject("s3");
  const bucketName = await createTestBucket(s3info, label);
  const tmp = await makeTempDir(label);
  const closers: (() => Promise<void>)[] = [];
  const emu = await startEmulator({
    ...opts,
    storage: s3Storage(s3info, bucketName),
  });
  const bucket = createBucketView(s3info, bucketName);
  onTestFinished(async () => {
    await Promise.allSettled(closers.map((close) => close()));
    await emu.stop();
    bucket.close();
    await tmp.cleanup();
  });
  const bucketEnv = s3Env(s3info, bucketName);
  return {
    emu,
    urls: emu.urls,
    s3info,
    bucket,
    dir: tmp.dir,
    s3Env: bucketEnv,
    deps: (env = {}, o = {}) => {
      const deps = createTestDeps(
        { ...bucketEnv, ...env },
        { stateDir: tmp.dir, ...(o.signal ? { signal: o.signal } : {}) },
      );
      closers.push(() => deps.close());
      return deps;
    },
    read: (name) => readStateFile(tmp.dir, name),
    write: (name, text) => writeFile(join(tmp.dir, name), text, "utf8"),
    requests: (method, path) => emu.requests().filter((e) => e.method === method && path.test(e.path)),
  };
}

/** A state file's exact text, or undefined when it does not exist. */
export async function readStateFile(dir: string, name: string): Promise<string | undefined> {
  try {
    return await readFile(join(dir, name), "utf8");
  } catch (err) {
    if (err instanceof Error && "code" in err && err.code === "ENOENT") return undefined;
    throw err;
  }
}

/** Lines `a,b,c\n` from rows of plain (never quoted) fields. */
export function csv(...rows: readonly (readonly string[])[]): string {
  return rows.map((r) => `${r.join(",")}\n`).join("");
}

/** The lines of a file of plain fields, sorted (for files written in completion order). */
export function sortedLines(text: string | undefined): string[] {
  return (text ?? "")
    .split("\n")
    .filter((l) => l !== "")
    .sort();
}

/** History lines `host,snapshot,ok` with the `host,snapshot,verified` row a passing check adds to each, sorted. */
export function okAndVerified(lines: readonly string[]): string[] {
  return [...lines, ...lines.map((l) => l.replace(/,ok$/, ",verified"))].sort();
}

/** Polls `check` every 20 ms until it returns true, or fails after `timeoutMs`. */
export async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A settable clock for the emulator (snapshot names carry its UTC time, to the second). */
export function manualClock(start: string): { now: () => Date; set(iso: string): void } {
  let current = new Date(start);
  return { now: () => current, set: (iso) => void (current = new Date(iso)) };
}
