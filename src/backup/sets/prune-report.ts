// What a retention pass over sets (or prune_snap --legacy) did, item by item, for the task's tally and --json.
import { EXIT } from "../../errors.js";
import type { TaskSummary } from "../task/deps.js";
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

/**
 * A task's summary with a retention pass added (the automatic pass after create_snap_shards): its items and counts,
 * its line after the task's, and exit 3 when the pass had failures.
 */
export function withPruneReport(summary: TaskSummary, report: PruneReport): TaskSummary {
  const count = (o: PruneOutcome) => report.items.filter((i) => i.outcome === o).length;
  const failed = summary.failed + count("failed");
  return {
    ...summary,
    done: summary.done + count("done"),
    skipped: summary.skipped + count("skipped"),
    failed,
    items: [...summary.items, ...report.items.map(({ outcome, item }) => ({ ...item, outcome }))],
    message: `${summary.message}; ${report.message}`,
    exitCode: failed > 0 && summary.exitCode === EXIT.ok ? EXIT.partial : summary.exitCode,
  };
}
