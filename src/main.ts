import { setMaxListeners } from "node:events";
import path from "node:path";
import { buildConfig, type Config, type Env } from "./config.js";
import { EXIT, type ExitCode } from "./errors.js";
import { loadEnv } from "./env-file.js";
import { Redactor } from "./lib/redact.js";
import { createLogger, type LogFormat } from "./log.js";
import { flushState, jsonSummary, reportError } from "./outcome.js";
import { parseArgs } from "./program.js";
import type { TaskSummary } from "./backup/task/deps.js";
import { assertTasksConfigured, runTasks } from "./runner.js";
import { TOOL_VERSION } from "./core/tool-version.js";
import { Session, type ExitCleanup } from "./session.js";
import { parsePushgatewayUrl } from "./core/env-values.js";
import { reportMetrics } from "./metrics/report.js";
import { RunTimer } from "./metrics/task-runs.js";
import { createRunProgress, withProgress } from "./progress/run-progress.js";
import type { LiveProgress, Terminal } from "./progress/live.js";
import { NO_PROGRESS, type ProgressReporter } from "./backup/task/progress.js";

export type { ExitCleanup } from "./session.js";

const VERSION = TOOL_VERSION;

/** Process boundary: stdin/stdout/stderr and the environment, injectable for tests. */
export interface Io {
  argv: readonly string[];
  env: Env;
  cwd: string;
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  /** stderr when it is a terminal: the progress is then a live display on it. */
  terminal?: Terminal;
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
  const { global, options } = args;
  // The format is known once the config is (QDRANT_LOG_FORMAT may come from .env); --log-format wins from the start.
  let logFormat: LogFormat = global.logFormat ?? "text";
  let live: LiveProgress | undefined;
  let progress: ProgressReporter = NO_PROGRESS;
  const log = createLogger({
    level: global.quiet ? "quiet" : global.verbose ? "verbose" : "normal",
    sink: (line) => (live ? live.line(line) : io.stderr(`${line}\n`)),
    redactor,
    format: () => logFormat,
  });
  const tasks = withProgress(args.tasks, () => progress);
  const finished: TaskSummary[] = [];
  const timer = new RunTimer(() => new Date());
  let env: Env | undefined;
  let config: Config | undefined;
  const code = await run();
  // After the lock is released: the metrics are a report of the run, whatever its outcome, and never change its code.
  const pushgatewayUrl = config ? config.pushgatewayUrl : parsePushgatewayUrl(raw(env ?? io.env), []);
  const file = global.metricsFile === undefined ? undefined : path.resolve(io.cwd, global.metricsFile);
  await reportMetrics(
    { file, pushgatewayUrl },
    timer.runs(
      tasks.map((t) => t.name),
      code,
    ),
    log,
  );
  return code;

  async function run(): Promise<ExitCode> {
    // The run stops on a signal, or when it loses its lock or its state lease (exit 5).
    const leaseLost = new AbortController();
    const signal = AbortSignal.any([io.signal, leaseLost.signal]);
    let session: Session | undefined;
    try {
      env = loadEnv(io.env, io.cwd, global.envFile);
      redactor.addSecret(env["QDRANT_API_KEY"]);
      redactor.addSecret(env["QDRANT_S3_SECRET_ACCESS_KEY"]);
      config = buildConfig(env, { stateDir: global.stateDir, cwd: io.cwd });
      logFormat = global.logFormat ?? config.logFormat;
      ({ progress, live } = createRunProgress({
        quiet: global.quiet,
        terminal: io.terminal,
        intervalSeconds: config.progressIntervalSeconds,
        info: (line) => log.info(line),
      }));
      // Every request, retry wait and S3 call in flight listens on the signal until it ends. Their number is bounded by
      // the limits (QDRANT_CONCURRENCY slots, as many reads and checks beside them), but is more than Node's default
      // warning threshold of 10, which would print a "possible memory leak" warning on an operator's stderr.
      setMaxListeners(Math.max(64, 16 * config.concurrency), signal);
      assertTasksConfigured(tasks, config); // before the first request, the state mirror's included
      // One run at a time per state: the lock before anything reads the state (the mirror's pull included).
      session = new Session({
        config,
        log,
        signal,
        tasks: tasks.map((t) => t.name),
        breakLock: global.breakLock,
        dryRun: options.dryRun === true,
        stateless: tasks.every((t) => t.stateless === true),
        onLost: (error) => leaseLost.abort(error),
        setExitCleanup: io.setExitCleanup,
      });
      const deps = await session.open();
      const { lock, lease, stateMirror } = session;
      const state = deps.state;
      const outcome = await runTasks(tasks, options, config, deps, (s) => {
        finished.push(s);
        timer.taskEnded(s);
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
      if (global.json) io.stdout(`${redactor.redact(jsonSummary(result.exitCode, result.tasks, global.items))}\n`);
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
        io.stdout(`${redactor.redact(jsonSummary(code, finished, global.items, error))}\n`);
      }
      return code;
    } finally {
      await session?.close();
    }
  }
}

/** QDRANT_PUSHGATEWAY_URL as buildConfig reads it, for a run whose config could not be built. */
function raw(env: Env): string | undefined {
  const v = env["QDRANT_PUSHGATEWAY_URL"]?.trim();
  return v === "" ? undefined : v;
}
