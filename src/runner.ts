import type { Deps, TaskOptions, TaskSummary } from "./backup/task/deps.js";
import { assertConfigured, type Config } from "./config.js";
import { EXIT, InterruptedError, type ExitCode } from "./errors.js";
import type { TaskDef } from "./tasks.js";

/** What a whole run did: every task's summary, and the exit code. */
export interface RunResult {
  exitCode: ExitCode;
  tasks: TaskSummary[];
}

/**
 * Checks what every task needs before the first request, then runs the tasks in order and stops at the first
 * that does not finish cleanly. `onSummary` is called as each task ends.
 */
export async function runTasks(
  tasks: readonly TaskDef[],
  options: TaskOptions,
  config: Config,
  deps: Deps,
  onSummary: (s: TaskSummary) => void,
): Promise<RunResult> {
  assertTasksConfigured(tasks, config);
  const summaries: TaskSummary[] = [];
  for (const task of tasks) {
    if (deps.signal.aborted) throw new InterruptedError();
    const summary = await task.run(options, deps);
    summaries.push(summary);
    onSummary(summary);
    if (deps.signal.aborted) return { exitCode: EXIT.interrupted, tasks: summaries };
    if (summary.exitCode !== EXIT.ok) return { exitCode: summary.exitCode, tasks: summaries };
  }
  return { exitCode: EXIT.ok, tasks: summaries };
}

/** Throws a ConfigError (exit 2) naming every variable missing for any of `tasks`, in task order. */
export function assertTasksConfigured(tasks: readonly TaskDef[], config: Config): void {
  for (const task of tasks) assertConfigured(config, task.name, task.needs);
}
