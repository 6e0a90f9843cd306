import { setMaxListeners } from "node:events";
import type { Env } from "./config.js";
import { buildConfig } from "./config.js";
import { EXIT, type ExitCode } from "./errors.js";
import { loadEnv } from "./env-file.js";
import { Redactor } from "./lib/redact.js";
import { createLogger } from "./log.js";
import { flushState, reportError } from "./outcome.js";
import { parseArgs } from "./program.js";
import type { TaskSummary } from "./backup/task/deps.js";
import { assertTasksConfigured, runTasks } from "./runner.js";
import { TOOL_VERSION } from "./core/tool-version.js";
import { Session, type ExitCleanup } from "./session.js";

export type { ExitCleanup } from "./session.js";

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
  const finished: TaskSummary[] = [];
  // The run stops on a signal, or when it loses its lock or its state lease (exit 5).
  const leaseLost = new AbortController();
  const signal = AbortSignal.any([io.signal, leaseLost.signal]);
  let session: Session | undefined;
  try {
    const env = loadEnv(io.env, io.cwd, global.envFile);
    redactor.addSecret(env["QDRANT_API_KEY"]);
    redactor.addSecret(env["QDRANT_S3_SECRET_ACCESS_KEY"]);
    const config = buildConfig(env, { stateDir: global.stateDir, cwd: io.cwd });
    // Every request, retry wait and S3 call in flight listens on the signal until it ends. Their number is bounded by
    // the limits (QDRANT_CONCURRENCY slots, as many reads and checks beside them), but is more than Node's default
    // warning threshold of 10, which would print a "possible memory leak" warning on an operator's stderr.
    setMaxListeners(Math.max(64, 16 * config.concurrency), signal);
    assertTasksConfigured(args.tasks, config); // before the first request, the state mirror's included
    // One run at a time per state: the lock before anything reads the state (the mirror's pull included).
    session = new Session({
      config,
      log,
      signal,
      tasks: args.tasks.map((t) => t.name),
      breakLock: global.breakLock,
      stateless: args.tasks.every((t) => t.stateless === true),
      onLost: (error) => leaseLost.abort(error),
      setExitCleanup: io.setExitCleanup,
    });
    const deps = await session.open();
    const { lock, lease, stateMirror } = session;
    const state = deps.state;
    const outcome = await runTasks(args.tasks, args.options, config, deps, (s) => {
      finished.push(s);
      if (global.json) return;
      for (const line of s.report ?? []) io.stdout(`${redactor.redact(line)}\n`);
      io.stdout(`${redactor.redact(`[${s.task}] ${s.message}`)}\n`);
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
    if (lock?.lost && !io.signal.aborted) throw lock.lost;
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
    await session?.close();
  }
}
