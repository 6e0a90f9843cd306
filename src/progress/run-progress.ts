/**
 * The run's progress, chosen by where stderr goes: a live display on a terminal, plain log lines every
 * QDRANT_PROGRESS_INTERVAL seconds elsewhere, nothing with --quiet (or an interval of 0).
 */
import { NO_PROGRESS, type ProgressReporter } from "../backup/task/progress.js";
import type { TaskRun } from "../backup/task/deps.js";
import { withItemContext } from "../lib/item-context.js";
import { createLiveProgress, type LiveProgress, type Terminal } from "./live.js";
import { createPlainProgress } from "./plain.js";

export interface RunProgressOptions {
  quiet: boolean;
  /** stderr, when it is a terminal. */
  terminal: Terminal | undefined;
  intervalSeconds: number;
  /** Where plain lines go (the logger's info). */
  info: (line: string) => void;
}

/** The reporter for the run's tasks, and the live display when there is one (log lines must go through it). */
export function createRunProgress(o: RunProgressOptions): { progress: ProgressReporter; live?: LiveProgress } {
  if (o.quiet) return { progress: NO_PROGRESS };
  if (o.terminal !== undefined) {
    const live = createLiveProgress(o.terminal);
    return { progress: live, live };
  }
  if (o.intervalSeconds <= 0) return { progress: NO_PROGRESS };
  return { progress: createPlainProgress({ intervalSeconds: o.intervalSeconds, line: o.info }) };
}

/**
 * The tasks, each run with its name in the log context and its progress started and finished around it (a task that
 * throws leaves no display behind).
 */
export function withProgress<T extends { readonly name: string; readonly run: TaskRun }>(
  tasks: readonly T[],
  progress: () => ProgressReporter,
): T[] {
  return tasks.map((t) => ({
    ...t,
    run: (options, deps) =>
      withItemContext({ task: t.name }, async () => {
        const p = progress();
        p.start(t.name);
        try {
          return await t.run(options, { ...deps, progress: p });
        } finally {
          p.finish();
        }
      }),
  }));
}
