import pLimit from "p-limit";
import { SkippedError, validateConcurrency, type HostScheduler } from "./host-scheduler.js";
import { abortReason } from "./retry.js";

/**
 * Runs `fn` over `items` with at most `concurrency` calls in flight and returns the results in input order.
 *
 * `fn` is expected to handle its own per-item failures (record them, count them) and resolve. A throw is treated
 * as fatal for the whole batch (e.g. the state file cannot be written): no further items start, the ones in
 * flight are awaited, and then the first error is rethrown. Likewise, once `signal` aborts no further items start;
 * after the in-flight ones settle, mapPool rejects with the signal's reason (or an InterruptedError) unless every
 * item had already completed successfully. Never rejects while an item it started is still running, so callers
 * can rely on every started side effect being finished (and recorded) when it returns.
 *
 * @param items the inputs; not modified
 * @param concurrency maximum calls in flight, a whole number >= 1
 * @param fn the work per item; receives the item and its index in `items`
 * @param signal stops starting new items once aborted
 */
export async function mapPool<T, R>(
  items: readonly T[],
  concurrency: number,
  fn: (item: T, index: number) => Promise<R>,
  signal?: AbortSignal,
): Promise<R[]> {
  validateConcurrency(concurrency);
  const limit = pLimit(concurrency);
  const results = new Array<R>(items.length);
  let failure: { error: unknown } | undefined;
  let skipped = 0;
  let skippedBecause: { error: unknown } | undefined;

  await Promise.all(
    items.map((item, index) =>
      limit(async () => {
        if (failure !== undefined || signal?.aborted) {
          skipped++;
          return;
        }
        try {
          results[index] = await fn(item, index);
        } catch (error) {
          // A task a HostScheduler never started reports what stopped the batch; the error itself is what counts.
          if (error instanceof SkippedError) skippedBecause ??= { error: error.cause };
          else failure ??= { error };
        }
      }),
    ),
  );

  failure ??= skippedBecause;
  if (signal?.aborted && (skipped > 0 || failure !== undefined)) throw abortReason(signal);
  if (failure !== undefined) throw failure.error;
  return results;
}

/** A limiter: at most `concurrency` of the functions given to it run at once, started in the order given. */
export type Limiter = <T>(fn: () => Promise<T>) => Promise<T>;

export function createLimiter(concurrency: number): Limiter {
  validateConcurrency(concurrency);
  const limit = pLimit(concurrency);
  return (fn) => limit(fn);
}

/**
 * Runs `fn` for every item (mapPool semantics), the work inside going through `scheduler`, with up to `window` items
 * admitted at once, in order. The window is what lets hosts run apart: a host may be up to `window` items ahead of a
 * slow one before it waits for it, so a slow host does not hold the others back, while memory stays bounded by the
 * window instead of growing with the number of items. An error `fn` throws stops the scheduler too, so no queued task
 * starts after a fatal error raised outside it.
 */
export function runAdmitted<T>(
  items: readonly T[],
  scheduler: HostScheduler,
  window: number,
  fn: (item: T, index: number) => Promise<void>,
  signal?: AbortSignal,
): Promise<void[]> {
  return mapPool(
    items,
    Math.max(1, Math.min(window, items.length)),
    async (item, index) => {
      try {
        await fn(item, index);
      } catch (error) {
        scheduler.stop(error);
        throw error;
      }
    },
    signal,
  );
}

/** Items admitted at once by create_snap and recover_snap: how far hosts may run apart (see runAdmitted). */
export function admissionWindow(total: number): number {
  return Math.max(256, 32 * total);
}
