import { InterruptedError } from "../errors.js";

/** What to do with a failed attempt. */
export interface RetryDecision {
  /** Whether the failure is worth another attempt (e.g. a timeout, 429, 502/503/504; never a 4xx like 404). */
  retry: boolean;
  /** Minimum wait before the next attempt in milliseconds, e.g. from a `Retry-After` header. */
  afterMs?: number;
}

export interface RetryOptions {
  /** Attempts after the first one: 0 tries once, 3 tries up to four times. */
  retries: number;
  /** Backoff base in milliseconds; the cap for retry n (0-based) is baseDelayMs * 2^n. Default 500. */
  baseDelayMs?: number;
  /** Upper bound of the exponential backoff in milliseconds. Default 20000. */
  maxDelayMs?: number;
  /** Upper bound on an `afterMs` the server asks for, in milliseconds. Default 3 × maxDelayMs. */
  maxRetryAfterMs?: number;
  /** Stops further attempts; a wait in progress ends at once with the signal's reason. */
  signal?: AbortSignal;
  /** Decides per failure whether to retry; anything it marks non-retryable is rethrown unchanged. */
  classify: (err: unknown) => RetryDecision;
  /** Called before each wait; `attempt` is the 0-based index of the attempt that failed (as passed to fn). */
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
  /** Source of jitter in [0, 1). Default Math.random; tests pin it. */
  random?: () => number;
  /** The wait itself. Default {@link sleep}; tests replace it to run without real time. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/**
 * Calls `fn` until it succeeds, the failure is not retryable, or `retries` retries are used up.
 *
 * Waits between attempts with full-jitter exponential backoff: random() × min(maxDelayMs, baseDelayMs × 2^attempt)
 * milliseconds, and at least the `afterMs` the classifier reports (capped at maxRetryAfterMs), so a server's
 * Retry-After is respected without stalling a run for an hour.
 *
 * @param fn the operation; receives the 0-based attempt number
 * @returns fn's first successful result
 * @throws the last error from fn, unchanged, when it is not retryable or retries are exhausted; the signal's
 *   reason (or an InterruptedError) when the signal aborts before an attempt or during a wait, or when an attempt
 *   fails after the signal aborted (that failure is almost always the abort itself).
 */
export async function retry<T>(fn: (attempt: number) => Promise<T>, opts: RetryOptions): Promise<T> {
  const baseDelayMs = opts.baseDelayMs ?? 500;
  const maxDelayMs = opts.maxDelayMs ?? 20_000;
  const maxRetryAfterMs = opts.maxRetryAfterMs ?? maxDelayMs * 3;
  const random = opts.random ?? Math.random;
  const wait = opts.sleep ?? sleep;
  const { signal } = opts;
  // A NaN or negative count would otherwise mean "retry forever" or be silently read as 0.
  if (!Number.isInteger(opts.retries) || opts.retries < 0) {
    throw new RangeError(`retries must be a whole number >= 0; got ${opts.retries}`);
  }

  for (let attempt = 0; ; attempt++) {
    if (signal?.aborted) throw abortReason(signal);
    try {
      return await fn(attempt);
    } catch (err) {
      if (signal?.aborted) throw abortReason(signal);
      if (attempt >= opts.retries) throw err;
      const decision = opts.classify(err);
      if (!decision.retry) throw err;
      const backoff = random() * Math.min(maxDelayMs, baseDelayMs * 2 ** attempt);
      const floor = Math.min(Math.max(decision.afterMs ?? 0, 0), maxRetryAfterMs);
      const delayMs = Math.round(Math.max(backoff, floor));
      opts.onRetry?.(err, attempt, delayMs);
      await wait(delayMs, signal);
    }
  }
}

/**
 * Resolves after `ms` milliseconds, or rejects as soon as `signal` aborts (with its reason, or an
 * InterruptedError when the reason is not an Error). An already aborted signal rejects immediately.
 * The timer is not unref'd: a pending retry must keep the process alive.
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal === undefined) {
      setTimeout(resolve, ms);
      return;
    }
    if (signal.aborted) {
      reject(abortReason(signal));
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(abortReason(signal));
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * The error to reject with once `signal` has aborted: its reason when that is an Error (cli.ts aborts with an
 * InterruptedError; a bare `controller.abort()` gives a DOMException AbortError), else an InterruptedError.
 */
export function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : new InterruptedError();
}
