/**
 * A backup/restore rig for the e2e tests: source and target Qdrant emulators that keep their snapshots in one
 * bucket of the local S3 server, an API key, and the CLI environment that points at all of it.
 * Every CLI run through the rig is checked for leaked secrets.
 */
import { randomBytes } from "node:crypto";
import { runCli, startCli, type CliResult, type CliRun } from "../support/cli.js";
import { startEmulator, type Emulator } from "../support/emulator/index.js";
import { createTestBucket } from "../support/s3/client.js";
import type { S3ServerInfo } from "../support/s3/launcher.js";
import { s3Env, s3Storage, type Env } from "./harness.js";
import { assertNoSecrets } from "./secret-scan.js";

export interface RigOptions {
  label: string;
  sourceNodes: number;
  targetNodes: number;
  /** Default: a fresh random key on every node. */
  apiKey?: string;
}

export interface Rig {
  source: Emulator;
  target: Emulator;
  bucket: string;
  apiKey: string;
  s3: S3ServerInfo;
  /** The full CLI environment (hosts, key, S3), with `extra` on top. */
  env(extra?: Env): Env;
  /** The values no output may contain. */
  secrets: Readonly<Record<string, string>>;
  /** Runs the CLI in `cwd` with `env` (default: the rig's) and checks stdout, stderr and `cwd` for secrets. */
  run(args: readonly string[], cwd: string, env?: Env): Promise<CliResult>;
  /** Starts the CLI; `finish` waits for it and runs the secret scan. */
  start(args: readonly string[], cwd: string, env?: Env): CliRun & { finish(): Promise<CliResult> };
  stop(): Promise<void>;
}

export function randomApiKey(label: string): string {
  return `e2e-${label}-key-${randomBytes(12).toString("hex")}`;
}

export async function startRig(s3: S3ServerInfo, opts: RigOptions): Promise<Rig> {
  const apiKey = opts.apiKey ?? randomApiKey(opts.label);
  const bucket = await createTestBucket(s3, opts.label);
  const storage = s3Storage(s3, bucket);
  const source = await startEmulator({ nodes: opts.sourceNodes, apiKey, storage });
  const target = await startEmulator({ nodes: opts.targetNodes, apiKey, storage }).catch(async (err: unknown) => {
    await source.stop();
    throw err;
  });
  const secrets = { QDRANT_API_KEY: apiKey, QDRANT_S3_SECRET_ACCESS_KEY: s3.secretKey };
  const env = (extra: Env = {}): Env => ({
    QDRANT_API_KEY: apiKey,
    QDRANT_SOURCE_HOSTS: source.urls.join(","),
    QDRANT_RESTORE_HOSTS: target.urls.join(","),
    ...s3Env(s3, bucket),
    ...extra,
  });
  const scan = async (result: CliResult, cwd: string): Promise<CliResult> => {
    await assertNoSecrets({ stdout: result.stdout, stderr: result.stderr, stateDir: cwd, secrets });
    return result;
  };
  return {
    source,
    target,
    bucket,
    apiKey,
    s3,
    env,
    secrets,
    run: async (args, cwd, e) => scan(await runCli(args, { env: e ?? env(), cwd }), cwd),
    start: (args, cwd, e) => {
      const child = startCli(args, { env: e ?? env(), cwd });
      return { ...child, finish: async () => scan(await child.done, cwd) };
    },
    stop: async () => {
      await Promise.all([source.stop(), target.stop()]);
    },
  };
}
