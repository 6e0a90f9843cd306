import { EXIT } from "../../errors.js";
import type { TaskSummary } from "./deps.js";
import { inItem, itemName, NO_PROGRESS, type ItemKey, type ItemOutcome, type ProgressReporter } from "./progress.js";

/**
 * Counts and item rows of a task, filled while it runs; safe to update from parallel items. Every outcome also goes
 * to the task's progress reporter (a no-op unless the run shows progress).
 */
export class Tally {
  done = 0;
  skipped = 0;
  failed = 0;
  accepted = 0;
  readonly items: Record<string, string>[] = [];

  constructor(
    readonly task: string,
    readonly progress: ProgressReporter = NO_PROGRESS,
  ) {}

  /** Announces the task's items: `total` when known. */
  start(total?: number): void {
    this.progress.start(this.task, total);
  }

  /** Runs `work` as item `item` (its log context and bytes: inItem); its outcome is the `add` it makes. */
  track<T>(item: ItemKey, work: () => Promise<T>): Promise<T> {
    return inItem(this.progress, item, work);
  }

  /** Item `item` is under way (it holds its slot now). */
  begin(item: ItemKey): void {
    this.progress.begin(itemName(item));
  }

  /** `slot`, marking item `item` under way when its work starts. */
  slotted(item: ItemKey, slot: <T>(work: () => Promise<T>) => Promise<T>): <T>(work: () => Promise<T>) => Promise<T> {
    return (work) =>
      slot(() => {
        this.begin(item);
        return work();
      });
  }

  /** Records one item's outcome. */
  add(outcome: ItemOutcome, item: Record<string, string>): void {
    this[outcome] += 1;
    this.items.push({ ...item, outcome });
    this.progress.end(itemName(item), outcome);
  }

  /** The task's summary; exit 3 when anything failed. */
  finish(message: string): TaskSummary {
    this.progress.finish();
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
