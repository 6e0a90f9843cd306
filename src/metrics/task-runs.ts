// What the metrics say about each task of a run: its times, exit code and item counts, from the summaries.
import type { TaskSummary } from "../backup/task/deps.js";
import { EXIT } from "../errors.js";

/** One task of this run as the metrics report it. */
export interface TaskRun {
  readonly task: string;
  readonly start: Date;
  readonly end: Date;
  readonly exitCode: number;
  /** The item counts of its summary; undefined when the task ended without one (an error ended the run). */
  readonly items?: {
    readonly done: number;
    readonly failed: number;
    readonly skipped: number;
    readonly accepted: number;
  };
}

/** Times the tasks of a run: they run one after another, so each starts when the one before it ended. */
export class RunTimer {
  private readonly finished: { summary: TaskSummary; start: Date; end: Date }[] = [];
  private last: Date;

  constructor(
    private readonly clock: () => Date,
    readonly runStart: Date = clock(),
  ) {
    this.last = runStart;
  }

  /** Called as each task's summary arrives. */
  taskEnded(summary: TaskSummary): void {
    const end = this.clock();
    this.finished.push({ summary, start: this.last, end });
    this.last = end;
  }

  /**
   * The tasks this run started, given the run's exit code. A task whose summary arrived has its own exit code; when
   * the run failed in a task (an error: no summary) that task gets the run's code, and when it failed after the last
   * summary (the state mirror's upload, a lost lease, a signal) the last task does: an alert on the exit code must see
   * the run's failure. Tasks never started are left out.
   */
  runs(requested: readonly string[], runExitCode: number): TaskRun[] {
    const out: TaskRun[] = this.finished.map(({ summary, start, end }) => ({
      task: summary.task,
      start,
      end,
      exitCode: summary.exitCode,
      items: { done: summary.done, failed: summary.failed, skipped: summary.skipped, accepted: summary.accepted },
    }));
    if (runExitCode === EXIT.ok) return out;
    const next = requested[out.length];
    if (next !== undefined && out.every((r) => r.exitCode === EXIT.ok))
      out.push({ task: next, start: this.last, end: this.clock(), exitCode: runExitCode });
    else if (out.length > 0 && out.at(-1)!.exitCode === EXIT.ok) out.push({ ...out.pop()!, exitCode: runExitCode });
    return out;
  }
}
