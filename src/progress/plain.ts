/**
 * Progress as plain log lines, for logs that are not a terminal (cron, Kubernetes): one line every
 * QDRANT_PROGRESS_INTERVAL seconds or at every tenth of the items, whichever comes first; never an escape code.
 */
import type { ProgressReporter } from "../backup/task/progress.js";
import { withItemContext } from "../lib/item-context.js";
import { describeCounts, ProgressModel, type ProgressView } from "./model.js";

/** At most this many names of items in flight on one line. */
const NAMES_PER_LINE = 3;

export interface PlainProgressOptions {
  /** Seconds between lines while the task runs (> 0). */
  intervalSeconds: number;
  /** Where each line goes: the logger's info, so it is timestamped, redacted and silenced by --quiet. */
  line: (text: string) => void;
  now?: () => number;
  /** Calls `tick` every `ms`; returns its cancel (a real, unref'd interval by default). */
  every?: (ms: number, tick: () => void) => () => void;
}

/** The line of a view: "progress create_snap: 6/12 items (50%), 1 failed, 2 in flight (c1 on h1, c2 on h1), ...". */
export function plainLine(v: ProgressView): string {
  const names = v.inFlight.slice(0, NAMES_PER_LINE).map((i) => i.name);
  if (v.inFlight.length > NAMES_PER_LINE) names.push(`+${v.inFlight.length - NAMES_PER_LINE} more`);
  const counts = describeCounts(v).replace(" in flight", ` in flight${names.length ? ` (${names.join(", ")})` : ""}`);
  return `progress ${v.task}: ${counts}`;
}

export function createPlainProgress(o: PlainProgressOptions): ProgressReporter {
  const now = o.now ?? Date.now;
  const every =
    o.every ??
    ((ms, tick) => {
      const t = setInterval(tick, ms);
      t.unref();
      return () => clearInterval(t);
    });
  const intervalMs = o.intervalSeconds * 1000;
  let lastAt = 0;
  /** The tenth of the items reached at the last line. */
  let lastTenth = 0;
  let cancel: (() => void) | undefined;
  const emit = () => {
    lastAt = now();
    // A line about the task, not about the item whose end happened to bring it (its host and collection).
    withItemContext({ host: undefined, collection: undefined }, () => o.line(plainLine(model.view())));
  };
  const model = new ProgressModel(now, (event) => {
    if (event === "finish") {
      cancel?.();
      cancel = undefined;
      return;
    }
    if (event === "start") {
      if (cancel === undefined) {
        lastAt = now();
        lastTenth = 0;
        // Checked every second (or more often for shorter intervals), so a line comes within a second of its time.
        cancel = every(Math.min(intervalMs, 1000), () => {
          if (now() - lastAt >= intervalMs) emit();
        });
      }
      return;
    }
    const v = model.view();
    if (v.total === undefined || v.total === 0) return;
    const tenth = Math.floor((10 * v.ended) / v.total);
    if (tenth > lastTenth) {
      lastTenth = tenth;
      emit();
    }
  });
  return model;
}
