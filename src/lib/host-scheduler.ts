// The host scheduler: work per host, at most perHost at once on each and total over all, lowest order first.
import { AsyncResource } from "node:async_hooks";
import { abortReason } from "./retry.js";

/**
 * Runs work against hosts: at most `perHost` tasks at once on each host, at most `total` at once over all hosts.
 *
 * - **No head-of-line blocking across hosts.** A task waits in its own host's queue; it takes one of the `total`
 *   slots only when its host has a free slot, so a slow or stalled host holds at most `perHost` of them and the other
 *   hosts go on.
 * - **Order.** Each host runs its queued tasks lowest `order` first (first come first served among equals); when
 *   fewer than all hosts can start (the `total` limit), the lowest `order` over all hosts starts first. Callers pass
 *   the item's index, so a collection's next step goes before collections that come after it.
 * - **Failures.** A task's rejection goes to its caller (a per-item failure may be recorded and the batch go on),
 *   unless `fatal` says it is fatal. A fatal rejection, or an error given to stop(), stops the batch: tasks not yet
 *   started are rejected with a SkippedError carrying it, and none start after it. Once `signal` aborts, they are
 *   rejected the same way, with its reason. Running tasks always finish.
 */
export interface HostScheduler {
  run<T>(host: string, order: number, fn: () => Promise<T>): Promise<T>;
  /** Stops the batch for a fatal error raised outside run(): tasks not yet started reject, none start after. */
  stop(error: unknown): void;
}

/** Runs work in one of a host's slots: `(work) => scheduler.run(host, order, work)` for one host and item. */
export type Slot = <T>(work: () => Promise<T>) => Promise<T>;

/** How a task that never started is rejected once the batch stopped; `cause` is what stopped it. */
export class SkippedError extends Error {
  constructor(override readonly cause: unknown) {
    super(`not started: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = "SkippedError";
  }
}

export interface HostSchedulerOptions {
  /** Tasks at once on one host, a whole number >= 1. */
  perHost: number;
  /** Tasks at once over all hosts, a whole number >= 1. */
  total: number;
  signal?: AbortSignal;
  /** Errors that stop the batch as stop() does, before the failed task's slot is given to the next one. */
  fatal?: (error: unknown) => boolean;
}

interface Waiting {
  order: number;
  seq: number;
  start: () => void;
  reject: (error: unknown) => void;
}

interface HostQueue {
  running: number;
  /** A binary min-heap on (order, seq). */
  heap: Waiting[];
}

export function createHostScheduler(options: HostSchedulerOptions): HostScheduler {
  validateConcurrency(options.perHost);
  validateConcurrency(options.total);
  const { perHost, total, signal } = options;
  const hosts = new Map<string, HostQueue>();
  let running = 0;
  let seq = 0;
  let failure: { error: unknown } | undefined;

  const stopped = (): { error: unknown } | undefined =>
    failure ?? (signal?.aborted ? { error: abortReason(signal) } : undefined);

  const pump = (): void => {
    const stop = stopped();
    if (stop !== undefined) {
      for (const q of hosts.values()) for (const w of q.heap.splice(0)) w.reject(new SkippedError(stop.error));
      return;
    }
    while (running < total) {
      let best: HostQueue | undefined;
      for (const q of hosts.values()) {
        const top = q.heap[0];
        if (top === undefined || q.running >= perHost) continue;
        const current = best?.heap[0];
        if (current === undefined || before(top, current)) best = q;
      }
      if (best === undefined) return;
      const next = pop(best.heap);
      best.running++;
      running++;
      next.start();
    }
  };
  signal?.addEventListener("abort", pump, { once: true });

  return {
    stop(error: unknown): void {
      if (error instanceof SkippedError) return;
      failure ??= { error };
      pump();
    },
    run<T>(host: string, order: number, fn: () => Promise<T>): Promise<T> {
      let q = hosts.get(host);
      if (q === undefined) {
        q = { running: 0, heap: [] };
        hosts.set(host, q);
      }
      const queue = q;
      return new Promise<T>((resolve, reject) => {
        // Bound to the caller's async context: the work runs as its caller's (its log context), not as the
        // context of whichever task freed the slot.
        const start = AsyncResource.bind((): void => {
          Promise.resolve()
            .then(fn)
            .then(resolve, (error: unknown) => {
              if (options.fatal?.(error) === true && !(error instanceof SkippedError)) failure ??= { error };
              reject(error);
            })
            .finally(() => {
              queue.running--;
              running--;
              pump();
            });
        });
        push(queue.heap, { order, seq: seq++, start, reject });
        pump();
      });
    },
  };
}

function before(a: Waiting, b: Waiting): boolean {
  return a.order < b.order || (a.order === b.order && a.seq < b.seq);
}

function push(heap: Waiting[], w: Waiting): void {
  heap.push(w);
  for (let i = heap.length - 1; i > 0;) {
    const parent = (i - 1) >> 1;
    if (!before(heap[i]!, heap[parent]!)) break;
    [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
    i = parent;
  }
}

function pop(heap: Waiting[]): Waiting {
  const top = heap[0]!;
  const last = heap.pop()!;
  if (heap.length > 0) {
    heap[0] = last;
    for (let i = 0; ;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heap.length && before(heap[l]!, heap[m]!)) m = l;
      if (r < heap.length && before(heap[r]!, heap[m]!)) m = r;
      if (m === i) break;
      [heap[i], heap[m]] = [heap[m]!, heap[i]!];
      i = m;
    }
  }
  return top;
}

// p-limit's own message does not say which value was wrong.
export function validateConcurrency(value: number): void {
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(`concurrency must be a whole number >= 1; got ${value}`);
  }
}
