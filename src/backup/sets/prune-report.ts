// What a retention pass over sets (or prune_snap --legacy) did, item by item, for the task's tally and --json.
import type { Tally } from "../task/tally.js";

export type PruneOutcome = "done" | "skipped" | "failed";

/** One row: `group` (`sets of c`, `legacy c peer 1`), `key` (a set id or an object key), `action`, then details. */
export interface PruneItem {
  readonly outcome: PruneOutcome;
  readonly item: Record<string, string>;
}

export interface PruneReport {
  readonly items: readonly PruneItem[];
  /** Sets (or legacy snapshots) deleted, or that a dry run would delete. */
  readonly deleted: number;
  /** Orphaned shard objects swept, or that a dry run would sweep. */
  readonly swept: number;
  /** Failed items: collections not listed, unreadable manifests of condemned sets, failed or refused deletions. */
  readonly failed: number;
  /** One line for the task's summary. */
  readonly message: string;
}

/** Collects the items of a report while the pass runs (collections are pruned in parallel). */
export class PruneItems {
  readonly items: PruneItem[] = [];
  deleted = 0;
  swept = 0;
  failed = 0;

  add(outcome: PruneOutcome, item: Record<string, string>): void {
    if (outcome === "failed") this.failed += 1;
    this.items.push({ outcome, item });
  }

  report(message: string): PruneReport {
    return { items: this.items, deleted: this.deleted, swept: this.swept, failed: this.failed, message };
  }
}

/** Adds a report's items to a task's tally (failed items make the task exit 3). */
export function addToTally(tally: Tally, report: PruneReport): void {
  for (const { outcome, item } of report.items) tally.add(outcome, item);
}
