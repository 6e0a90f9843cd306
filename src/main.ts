import { setMaxListeners } from "node:events";
import fs from "node:fs";
import path from "node:path";
import { parse as parseDotenv } from "dotenv";
import type { S3Client } from "@aws-sdk/client-s3";
import { buildConfig, type Config, type Env } from "./config.js";
import { ConfigError, EXIT, ToolError, type ExitCode } from "./errors.js";
import { Redactor } from "./lib/redact.js";
import { createLogger, type Logger } from "./log.js";
import { parseArgs } from "./program.js";
import type { TaskSummary } from "./backup/task/deps.js";
import { assertTasksConfigured, runTasks } from "./runner.js";
import type { SnapshotStore } from "./store/types.js";
import type { StateStore } from "./state/files.js";
import type { StateMirror } from "./state/mirror.js";
import { acquireLocalLock, type LocalLock } from "./state/lock.js";
import type { StateLease } from "./state/lease.js";
import { TOOL_VERSION } from "./core/tool-version.js";
import { closeWithin, SHUTDOWN_DEADLINE_MS, type Closer } from "./shutdown.js";

const VERSION = TOOL_VERSION;

/** Process boundary: stdin/stdout/stderr and the environment, injectable for tests. */
export interface Io {
  argv: readonly string[];
  env: Env;
  cwd: string;
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  signal: AbortSignal;
  /**
   * Hands the process boundary what must still happen when it exits before main returns (a second Ctrl-C, or a run
   * that can no longer go on): set once the lock is taken, cleared (undefined) once main has released everything.
   */
  setExitCleanup?: (cleanup: ExitCleanup | undefined) => void;
}

/** What an exit without main's own shutdown must still do: the lock file at once, the lease within a deadline. */
export interface ExitCleanup {
  /** Removes the lock file synchronously (also from a process "exit" handler). */
  releaseLockNow(): void;
  /** Releases the state lease within `deadlineMs`; never throws. */
  releaseLease(deadlineMs: number): Promise<void>;
}

/** Loads ./.env or --env-file; the real environment wins over the file. */
function loadEnv(io: Io, envFile: string | undefined): Env {
  const file = envFile === undefined ? path.join(io.cwd, ".env") : path.resolve(io.cwd, envFile);
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    if (envFile === undefined && (err as NodeJS.ErrnoException).code === "ENOENT") return io.env;
    throw new ConfigError(
      `--env-file: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
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
  const closers: Closer[] = [];
  const finished: TaskSummary[] = [];
  // The run stops on a signal, or when it loses its lock or its state lease (exit 5).
  const leaseLost = new AbortController();
  const signal = AbortSignal.any([io.signal, leaseLost.signal]);
  let lock: LocalLock | undefined;
  let lease: StateLease | undefined;
  try {
    const env = loadEnv(io, global.envFile);
    redactor.addSecret(env["QDRANT_API_KEY"]);
    redactor.addSecret(env["QDRANT_S3_SECRET_ACCESS_KEY"]);
    const config = buildConfig(env, { stateDir: global.stateDir, cwd: io.cwd });
    // Every request, retry wait and S3 call in flight listens on the signal until it ends. Their number is bounded by
    // the limits (QDRANT_CONCURRENCY slots, as many reads and checks beside them), but is more than Node's default
    // warning threshold of 10, which would print a "possible memory leak" warning on an operator's stderr.
    setMaxListeners(Math.max(64, 16 * config.concurrency), signal);
    assertTasksConfigured(args.tasks, config); // before the first request, the state mirror's included
    // One run at a time per state: the lock before anything reads the state (the mirror's pull included).
    lock = await acquireLocalLock({
      dir: config.stateDir,
      tasks: args.tasks.map((t) => t.name),
      breakLock: global.breakLock,
      ttlMs: config.lockTtlSeconds * 1000,
      log,
      onLost: (error) => leaseLost.abort(error),
    });
    io.setExitCleanup?.({
      releaseLockNow: () => lock?.releaseSync(),
      releaseLease: async (deadlineMs) => lease?.release(deadlineMs),
    });
    const { QdrantClient, QdrantHttp, StateStore, createS3Client, createSnapshotStore, ...runtime } =
      await import("./runtime.js");
    const http = new QdrantHttp({
      apiKey: config.apiKey,
      timeoutMs: config.requestTimeoutMs,
      retries: config.retries,
      signal,
      log,
    });
    closers.push({ close: () => http.close(), destroy: () => http.destroy() });
    let s3Client: S3Client | undefined;
    const getS3Client = (): S3Client => {
      if (!s3Client) {
        const client = createS3Client(config, log);
        closers.push({ close: async () => client.destroy() });
        s3Client = client;
      }
      return s3Client;
    };
    let store: SnapshotStore | undefined;
    const clock = () => new Date();
    const state = new StateStore(config.stateDir, { warn: (message) => log.warn(message) });
    closers.push({ close: () => state.close() });
    if (config.stateS3Prefix !== undefined) {
      const { StateLease } = await import("./state/lease.js");
      lease = await StateLease.acquire({
        objects: runtime.createObjectStore(getS3Client(), config.s3.bucket!),
        prefix: config.stateS3Prefix,
        ttlMs: config.lockTtlSeconds * 1000,
        breakLock: global.breakLock,
        log,
        onLost: (error) => leaseLost.abort(error),
      });
    }
    const stateMirror =
      config.stateS3Prefix === undefined
        ? undefined
        : await pullState(runtime, config, state, getS3Client(), log, clock);
    const deps = {
      config,
      log,
      state,
      stateMirror,
      signal,
      clock,
      qdrant: new QdrantClient(http),
      store: () =>
        (store ??= config.backupDir
          ? runtime.createDirStore(config.backupDir)
          : createSnapshotStore(getS3Client(), config.s3.bucket!, signal)),
    };
    const outcome = await runTasks(args.tasks, args.options, config, deps, (s) => {
      finished.push(s);
      if (!global.json) io.stdout(`${redactor.redact(`[${s.task}] ${s.message}`)}\n`);
    }).then(
      (value) => ({ value }),
      (error: unknown) => ({ error }),
    );
    // After a lost lease the bucket's copies belong to the lease's new holder: no final upload over theirs.
    const mirrorError = stateMirror && !lease?.lost ? await flushState(stateMirror, state) : undefined;
    if (lease?.lost && !io.signal.aborted) {
      // Exit 5, whatever the tasks made of the abort (a signal still means 130).
      log.warn(
        `the state files in ${state.dir} hold everything this run finished; their copies in the bucket were left to the lease's new holder`,
      );
      throw lease.lost;
    }
    if (lock.lost && !io.signal.aborted) throw lock.lost;
    if ("error" in outcome) {
      if (mirrorError) log.error(mirrorError.message);
      throw outcome.error;
    }
    const result = outcome.value;
    // The run's own outcome wins over a stale mirror only when it is worse than "partial".
    if (mirrorError && (result.exitCode === EXIT.ok || result.exitCode === EXIT.partial)) throw mirrorError;
    if (mirrorError) log.error(mirrorError.message);
    if (global.json)
      io.stdout(
        `${redactor.redact(JSON.stringify({ ok: result.exitCode === EXIT.ok, exitCode: result.exitCode, tasks: result.tasks }))}\n`,
      );
    if (result.exitCode === EXIT.interrupted)
      log.warn("interrupted; everything finished before the signal is recorded in the state files");
    return result.exitCode;
  } catch (err) {
    // Whatever surfaced after a signal (an abort reason, a cancelled request), the run was interrupted.
    const code = io.signal.aborted ? EXIT.interrupted : reportError(err, log, global.verbose);
    if (code === EXIT.interrupted)
      log.warn("interrupted; everything finished before the signal is recorded in the state files");
    if (global.json) {
      const error = redactor.redact(err instanceof Error ? err.message : String(err));
      io.stdout(`${redactor.redact(JSON.stringify({ ok: false, exitCode: code, error, tasks: finished }))}\n`);
    }
    return code;
  } finally {
    await lease?.release(); // before the closers: it needs the S3 client; bounded by its own deadline
    await closeWithin(closers, SHUTDOWN_DEADLINE_MS, log);
    await lock?.release(); // last: nothing touches the state any more
    io.setExitCleanup?.(undefined);
  }
}

/** Creates the state mirror and brings the local state files up to date with the bucket (before any task runs). */
async function pullState(
  runtime: Pick<typeof import("./runtime.js"), "StateMirror" | "createObjectStore">,
  config: Config,
  state: StateStore,
  client: S3Client,
  log: Logger,
  clock: () => Date,
): Promise<StateMirror> {
  // Config guarantees the bucket whenever the prefix is set.
  const objects = runtime.createObjectStore(client, config.s3.bucket!);
  const mirror = new runtime.StateMirror(state, objects, config.stateS3Prefix!, log, clock);
  const { downloaded, uploaded } = await mirror.pull();
  log.info(`state files mirrored at ${mirror.location} (${downloaded} downloaded, ${uploaded} uploaded)`);
  // Subscribed only now: the downloads above must not be uploaded straight back.
  state.onChange((kind) => mirror.notify(kind));
  return mirror;
}

/** Waits for the state appends, then for the mirror's uploads; returns the upload error, if one remains. */
async function flushState(mirror: StateMirror, state: StateStore): Promise<ToolError | undefined> {
  try {
    await state.close();
    await mirror.flush();
    return undefined;
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    const message =
      `state mirror: ${detail}; the state files in ${state.dir} are complete, ` +
      `but their copies in ${mirror.location} are behind until a later run uploads them`;
    return new ToolError(message, err instanceof ToolError ? err.exitCode : EXIT.upstream, { cause: err });
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
  log.error(
    `internal error: ${err instanceof Error ? err.message : String(err)}${verbose ? "" : " (run with --verbose for the stack)"}`,
  );
  if (verbose && err instanceof Error && err.stack) log.debug(err.stack);
  return EXIT.internal;
}
