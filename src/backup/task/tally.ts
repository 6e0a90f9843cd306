import { EXIT } from "../../errors.js";
import type { TaskSummary } from "./deps.js";

/** Counts and item rows of a task, filled while it runs; safe to update from parallel items. */
export class Tally {
  done = 0;
  skipped = 0;
  failed = 0;
  accepted = 0;
  readonly items: Record<string, string>[] = [];

  constructor(readonly task: string) {}

  /** Records one item's outcome. */
  add(outcome: "done" | "skipped" | "failed" | "accepted", item: Record<string, string>): void {
    this[outcome] += 1;
    this.items.push({ ...item, outcome });
  }

  /** The task's summary; exit 3 when anything failed. */
  finish(message: string): TaskSummary {
    return {
      task: this.task,
      done: this.done,
      skipped: this.skipped,
      failed: this.failed,
      accepted: this.accepted,
      message,
      items: this.items,
      exitCode: this.failed > 0 ? EXIT.partial : EXIT.ok,
    };
  }
}
