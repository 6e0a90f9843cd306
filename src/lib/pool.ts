import pLimit, { type LimitFunction } from "p-limit";
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
          failure ??= { error };
        }
      }),
    ),
  );

  if (signal?.aborted && (skipped > 0 || failure !== undefined)) throw abortReason(signal);
  if (failure !== undefined) throw failure.error;
  return results;
}

/** Runs `fn` under the concurrency limit of `host`'s own queue. */
export type HostLimiter = <T>(host: string, fn: () => Promise<T>) => Promise<T>;

/**
 * Creates a limiter with a separate queue per host key (created on first use), so a slow or stalled host
 * only holds back its own tasks, never another host's (no head-of-line blocking across hosts).
 *
 * @param perHost maximum tasks in flight per host, a whole number >= 1
 */
export function createHostLimiter(perHost: number): HostLimiter {
  validateConcurrency(perHost);
  const limits = new Map<string, LimitFunction>();
  return <T>(host: string, fn: () => Promise<T>): Promise<T> => {
    let limit = limits.get(host);
    if (limit === undefined) {
      limit = pLimit(perHost);
      limits.set(host, limit);
    }
    return limit(fn);
  };
}

// p-limit's own message does not say which value was wrong.
function validateConcurrency(value: number): void {
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(`concurrency must be a whole number >= 1; got ${value}`);
  }
}
