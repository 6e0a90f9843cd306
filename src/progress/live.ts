/**
 * The live progress display on a terminal: the task's counts, bytes, rate and ETA, and the items in flight, redrawn
 * in place by log-update; log lines are written above it (persisted) and the display drawn again under them.
 */
import { createLogUpdate } from "log-update";
import type { ProgressReporter } from "../backup/task/progress.js";
import { formatBytes } from "../lib/bytes.js";
import { describeCounts, ProgressModel, type ProgressView } from "./model.js";

/** At most this many items in flight are listed under the counts. */
const MAX_LISTED = 8;
/** How often the display is redrawn while a task runs (the rate and ETA move between events). */
const REDRAW_MS = 250;

/** The terminal the display is drawn on (stderr). */
export interface Terminal {
  write(s: string): boolean;
  readonly columns?: number;
  readonly rows?: number;
  readonly isTTY?: boolean;
}

export interface LiveProgress extends ProgressReporter {
  /** Writes a log line above the display. */
  line(text: string): void;
}

/** The frame of a view: the counts, then one line per item in flight. */
export function liveFrame(v: ProgressView): string {
  const lines = [`${v.task}: ${describeCounts(v)}`];
  for (const item of v.inFlight.slice(0, MAX_LISTED))
    lines.push(`  ${item.name}${item.bytes > 0 ? `  ${formatBytes(item.bytes)}` : ""}`);
  if (v.inFlight.length > MAX_LISTED) lines.push(`  ... and ${v.inFlight.length - MAX_LISTED} more`);
  return lines.join("\n");
}

export function createLiveProgress(terminal: Terminal, now: () => number = Date.now): LiveProgress {
  // The cursor stays visible: a run killed mid-frame must not leave the operator's terminal without one.
  // A terminal that reports no size (0 x 0, as some pseudo-terminals do) gets 80 x 24 rather than no display.
  const sized = {
    isTTY: terminal.isTTY,
    write: (s: string) => terminal.write(s),
    get columns() {
      return terminal.columns || 80;
    },
    get rows() {
      return terminal.rows || 24;
    },
  };
  const draw = createLogUpdate(sized as unknown as NodeJS.WriteStream, { showCursor: true });
  let timer: NodeJS.Timeout | undefined;
  let active = false;
  const redraw = () => {
    if (active) draw(liveFrame(model.view()));
  };
  const model = new ProgressModel(now, (event) => {
    if (event === "start" && !active) {
      active = true;
      timer = setInterval(redraw, REDRAW_MS);
      timer.unref();
    }
    if (event === "finish") {
      clearInterval(timer);
      timer = undefined;
      draw.clear();
      draw.done();
      active = false;
      return;
    }
    redraw();
  });
  return Object.assign(model, {
    line(text: string): void {
      if (!active) {
        terminal.write(`${text}\n`);
        return;
      }
      draw.persist(text);
      redraw();
    },
  });
}
