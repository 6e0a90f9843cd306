import fs from "node:fs";
import path from "node:path";
import { parse as parseDotenv } from "dotenv";
import { buildConfig, type Env } from "./config.js";
import { ConfigError, EXIT, ToolError, type ExitCode } from "./errors.js";
import { Redactor } from "./lib/redact.js";
import { createLogger } from "./log.js";
import { parseArgs } from "./program.js";
import { QdrantClient } from "./qdrant/client.js";
import { QdrantHttp } from "./qdrant/http.js";
import type { TaskSummary } from "./commands/types.js";
import { runTasks } from "./runner.js";
import { createS3Client, createSnapshotStore, type SnapshotStore } from "./s3/client.js";
import { StateStore } from "./state/files.js";

declare const __VERSION__: string;
const VERSION = typeof __VERSION__ === "string" ? __VERSION__ : "0.0.0-dev";

/** Process boundary: stdin/stdout/stderr and the environment, injectable for tests. */
export interface Io {
  argv: readonly string[];
  env: Env;
  cwd: string;
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  signal: AbortSignal;
}

/** Loads ./.env or --env-file; the real environment wins over the file. */
function loadEnv(io: Io, envFile: string | undefined): Env {
  const file = envFile === undefined ? path.join(io.cwd, ".env") : path.resolve(io.cwd, envFile);
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    if (envFile === undefined && (err as NodeJS.ErrnoException).code === "ENOENT") return io.env;
    throw new ConfigError(`--env-file: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return { ...parseDotenv(text), ...io.env };
}

/** Runs the CLI and returns its exit code. Never exits the process itself. */
export async function main(io: Io): Promise<ExitCode> {
  const redactor = new Redactor();
  redactor.addSecret(io.env["QDRANT_API_KEY"]);
  redactor.addSecret(io.env["QDRANT_S3_SECRET_ACCESS_KEY"]);
  const args = parseArgs(io.argv, VERSION, io.stdout, (s) => io.stderr(redactor.redact(s)));
  if (args.kind === "exit") return args.code;
  const { global } = args;
  const log = createLogger({
    level: global.quiet ? "quiet" : global.verbose ? "verbose" : "normal",
    sink: (line) => io.stderr(`${line}\n`),
    redactor,
  });
  const closers: (() => Promise<void>)[] = [];
  const finished: TaskSummary[] = [];
  try {
    const env = loadEnv(io, global.envFile);
    redactor.addSecret(env["QDRANT_API_KEY"]);
    redactor.addSecret(env["QDRANT_S3_SECRET_ACCESS_KEY"]);
    const config = buildConfig(env, { stateDir: global.stateDir, cwd: io.cwd });
    const http = new QdrantHttp({ apiKey: config.apiKey, timeoutMs: config.requestTimeoutMs, retries: config.retries, signal: io.signal, log });
    closers.push(() => http.close());
    let store: SnapshotStore | undefined;
    const state = new StateStore(config.stateDir);
    closers.push(() => state.close());
    const deps = {
      config, log, state, signal: io.signal, clock: () => new Date(), qdrant: new QdrantClient(http),
      s3: () => {
        if (!store) {
          const client = createS3Client(config);
          closers.push(async () => client.destroy());
          store = createSnapshotStore(client, config.s3.bucket!, io.signal);
        }
        return store;
      },
    };
    const result = await runTasks(args.tasks, { bkp: args.bkp }, config, deps, (s) => {
      finished.push(s);
      if (!global.json) io.stdout(`${redactor.redact(`[${s.task}] ${s.message}`)}\n`);
    });
    if (global.json) io.stdout(`${redactor.redact(JSON.stringify({ ok: result.exitCode === EXIT.ok, exitCode: result.exitCode, tasks: result.tasks }))}\n`);
    if (result.exitCode === EXIT.interrupted) log.warn("interrupted; everything finished before the signal is recorded in the state files");
    return result.exitCode;
  } catch (err) {
    // Whatever surfaced after a signal (an abort reason, a cancelled request), the run was interrupted.
    const code = io.signal.aborted ? EXIT.interrupted : reportError(err, log, global.verbose);
    if (code === EXIT.interrupted) log.warn("interrupted; everything finished before the signal is recorded in the state files");
    if (global.json) {
      const error = redactor.redact(err instanceof Error ? err.message : String(err));
      io.stdout(`${redactor.redact(JSON.stringify({ ok: false, exitCode: code, error, tasks: finished }))}\n`);
    }
    return code;
  } finally {
    for (const close of closers) await close().catch(() => undefined);
  }
}

function reportError(err: unknown, log: ReturnType<typeof createLogger>, verbose: boolean): ExitCode {
  if (err instanceof ConfigError) {
    for (const p of err.problems) log.error(p);
    return err.exitCode;
  }
  if (err instanceof ToolError) {
    log.error(err.message);
    return err.exitCode;
  }
  log.error(`internal error: ${err instanceof Error ? err.message : String(err)}${verbose ? "" : " (run with --verbose for the stack)"}`);
  if (verbose && err instanceof Error && err.stack) log.debug(err.stack);
  return EXIT.internal;
}
