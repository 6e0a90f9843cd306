/**
 * What a progress display shows, kept from the reporter's events: the task, its items done, failed and in flight
 * (with their bytes), the bytes moved, the rate and the ETA. The renderers (plain.ts, live.ts) only format it.
 */
import type { ItemOutcome, ProgressReporter } from "../backup/task/progress.js";
import { formatBytes } from "../lib/bytes.js";

/** One moment's view of a task's progress. */
export interface ProgressView {
  task: string;
  total: number | undefined;
  /** Items that ended, whatever their outcome. */
  ended: number;
  failed: number;
  inFlight: { name: string; bytes: number }[];
  bytes: number;
  /** Bytes per second since the first byte; undefined before any. */
  rate: number | undefined;
  /** Seconds left, from the pace of the items so far; undefined while unknown. */
  etaSeconds: number | undefined;
}

export class ProgressModel implements ProgressReporter {
  task: string | undefined;
  finished = true;
  private total: number | undefined;
  private ended = 0;
  private failed = 0;
  private bytesMoved = 0;
  private startedAt = 0;
  private firstByteAt: number | undefined;
  private readonly inFlight = new Map<string, number>();

  constructor(
    private readonly now: () => number,
    /** Called after every event, with whether the task just started or finished. */
    private readonly changed: (event: "start" | "item" | "finish") => void = () => undefined,
  ) {}

  start(task: string, total?: number): void {
    if (this.finished || task !== this.task) {
      this.task = task;
      this.finished = false;
      this.total = undefined;
      this.ended = 0;
      this.failed = 0;
      this.bytesMoved = 0;
      this.startedAt = this.now();
      this.firstByteAt = undefined;
      this.inFlight.clear();
    }
    if (total !== undefined) this.total = total;
    this.changed("start");
  }

  grow(n: number): void {
    this.total = (this.total ?? 0) + n;
    this.changed("item");
  }

  begin(name: string): void {
    this.inFlight.set(name, this.inFlight.get(name) ?? 0);
    this.changed("item");
  }

  bytes(name: string, n: number): void {
    this.firstByteAt ??= this.now();
    this.bytesMoved += n;
    if (this.inFlight.has(name)) this.inFlight.set(name, this.inFlight.get(name)! + n);
  }

  end(name: string, outcome: ItemOutcome): void {
    this.inFlight.delete(name);
    this.ended += 1;
    if (outcome === "failed") this.failed += 1;
    // More items than announced (an item the command did not count ahead): the total grows with them.
    if (this.total !== undefined && this.ended > this.total) this.total = this.ended;
    this.changed("item");
  }

  finish(): void {
    this.finished = true;
    this.changed("finish");
  }

  view(): ProgressView {
    const now = this.now();
    const elapsed = (now - this.startedAt) / 1000;
    const since = this.firstByteAt === undefined ? 0 : (now - this.firstByteAt) / 1000;
    const left = this.total === undefined ? undefined : this.total - this.ended;
    return {
      task: this.task ?? "",
      total: this.total,
      ended: this.ended,
      failed: this.failed,
      inFlight: [...this.inFlight].map(([name, bytes]) => ({ name, bytes })),
      bytes: this.bytesMoved,
      rate: since > 0 ? this.bytesMoved / since : undefined,
      etaSeconds: left !== undefined && this.ended > 0 && elapsed > 0 ? (elapsed / this.ended) * left : undefined,
    };
  }
}

/** 75 → "1m15s"; 4000 → "1h06m". */
export function formatSeconds(s: number): string {
  const t = Math.round(s);
  if (t < 60) return `${t}s`;
  if (t < 3600) return `${Math.floor(t / 60)}m${String(t % 60).padStart(2, "0")}s`;
  return `${Math.floor(t / 3600)}h${String(Math.floor((t % 3600) / 60)).padStart(2, "0")}m`;
}

/** The counts of a view: "6/12 items (50%), 1 failed, 2 in flight, 12.0 MiB (4.0 MiB/s on average), ETA 10s". */
export function describeCounts(v: ProgressView): string {
  const parts = [
    v.total === undefined
      ? `${v.ended} items`
      : `${v.ended}/${v.total} items (${v.total === 0 ? 100 : Math.floor((100 * v.ended) / v.total)}%)`,
    `${v.failed} failed`,
    `${v.inFlight.length} in flight`,
  ];
  // The rate since the first byte: between transfers (a snapshot being made) it falls, as the run's pace does.
  if (v.bytes > 0)
    parts.push(`${formatBytes(v.bytes)}${v.rate === undefined ? "" : ` (${formatBytes(v.rate)}/s on average)`}`);
  if (v.etaSeconds !== undefined && v.ended < (v.total ?? 0)) parts.push(`ETA ${formatSeconds(v.etaSeconds)}`);
  return parts.join(", ");
}
