import { describe, expect, it, vi } from "vitest";
import { InterruptedError } from "../../src/errors.js";
import { abortReason, retry, sleep } from "../../src/lib/retry.js";

class Transient extends Error {}
class Fatal extends Error {}

const classify = (err: unknown) => ({ retry: err instanceof Transient });

/** A fn that fails `failures` times with `makeError()` and then resolves "done". */
function flaky(failures: number, makeError: () => Error = () => new Transient("503")) {
  const calls: number[] = [];
  const fn = async (attempt: number): Promise<string> => {
    calls.push(attempt);
    if (calls.length <= failures) throw makeError();
    return "done";
  };
  return { fn, calls };
}

function recordingSleep() {
  const delays: number[] = [];
  const fakeSleep = async (ms: number): Promise<void> => {
    delays.push(ms);
  };
  return { delays, sleep: fakeSleep };
}

describe("retry", () => {
  it("returns the first success without waiting", async () => {
    const { fn, calls } = flaky(0);
    const { delays, sleep: fakeSleep } = recordingSleep();
    await expect(retry(fn, { retries: 3, classify, sleep: fakeSleep })).resolves.toBe("done");
    expect(calls).toEqual([0]);
    expect(delays).toEqual([]);
  });

  it("retries transient failures and passes the attempt number", async () => {
    const { fn, calls } = flaky(2);
    const { delays, sleep: fakeSleep } = recordingSleep();
    await expect(retry(fn, { retries: 3, classify, sleep: fakeSleep })).resolves.toBe("done");
    expect(calls).toEqual([0, 1, 2]);
    expect(delays).toHaveLength(2);
  });

  it("tries once with retries = 0 and rethrows the error unchanged", async () => {
    const error = new Transient("503");
    const { fn, calls } = flaky(5, () => error);
    const { sleep: fakeSleep } = recordingSleep();
    await expect(retry(fn, { retries: 0, classify, sleep: fakeSleep })).rejects.toBe(error);
    expect(calls).toEqual([0]);
  });

  it("makes retries + 1 attempts in all and rethrows the last error", async () => {
    let n = 0;
    const errors: Error[] = [];
    const fn = async (): Promise<never> => {
      const error = new Transient(`failure ${n++}`);
      errors.push(error);
      throw error;
    };
    const { delays, sleep: fakeSleep } = recordingSleep();
    const outcome = await retry(fn, { retries: 3, classify, sleep: fakeSleep }).catch((err: unknown) => err);
    expect(errors).toHaveLength(4);
    expect(outcome).toBe(errors[3]);
    expect(delays).toHaveLength(3);
  });

  it("does not retry what the classifier refuses", async () => {
    const error = new Fatal("404");
    const { fn, calls } = flaky(5, () => error);
    const { delays, sleep: fakeSleep } = recordingSleep();
    const classifySpy = vi.fn(classify);
    await expect(retry(fn, { retries: 5, classify: classifySpy, sleep: fakeSleep })).rejects.toBe(error);
    expect(calls).toEqual([0]);
    expect(delays).toEqual([]);
    expect(classifySpy).toHaveBeenCalledWith(error);
  });

  it("uses full-jitter exponential backoff capped at maxDelayMs", async () => {
    const { fn } = flaky(6);
    const { delays, sleep: fakeSleep } = recordingSleep();
    await retry(fn, { retries: 6, classify, sleep: fakeSleep, random: () => 1, baseDelayMs: 100, maxDelayMs: 1000 });
    expect(delays).toEqual([100, 200, 400, 800, 1000, 1000]);

    const half = recordingSleep();
    await retry(flaky(3).fn, { retries: 3, classify, sleep: half.sleep, random: () => 0.5, baseDelayMs: 100 });
    expect(half.delays).toEqual([50, 100, 200]);

    const zero = recordingSleep();
    await retry(flaky(2).fn, { retries: 2, classify, sleep: zero.sleep, random: () => 0 });
    expect(zero.delays).toEqual([0, 0]);
  });

  it("defaults to base 500 ms and cap 20 s", async () => {
    const { delays, sleep: fakeSleep } = recordingSleep();
    await retry(flaky(8).fn, { retries: 8, classify, sleep: fakeSleep, random: () => 1 });
    expect(delays).toEqual([500, 1000, 2000, 4000, 8000, 16000, 20000, 20000]);
  });

  it("waits at least the Retry-After the classifier reports", async () => {
    const { delays, sleep: fakeSleep } = recordingSleep();
    const withAfter = () => ({ retry: true, afterMs: 5000 });
    await retry(flaky(2).fn, { retries: 2, classify: withAfter, sleep: fakeSleep, random: () => 1 });
    expect(delays).toEqual([5000, 5000]);
  });

  it("keeps the backoff when it is longer than Retry-After", async () => {
    const { delays, sleep: fakeSleep } = recordingSleep();
    const withAfter = () => ({ retry: true, afterMs: 10 });
    await retry(flaky(1).fn, { retries: 1, classify: withAfter, sleep: fakeSleep, random: () => 1 });
    expect(delays).toEqual([500]);
  });

  it("caps Retry-After at 3 x maxDelayMs by default, or at maxRetryAfterMs", async () => {
    const huge = () => ({ retry: true, afterMs: 3_600_000 });
    const byDefault = recordingSleep();
    await retry(flaky(1).fn, { retries: 1, classify: huge, sleep: byDefault.sleep, random: () => 0 });
    expect(byDefault.delays).toEqual([60_000]);
    const explicit = recordingSleep();
    await retry(flaky(1).fn, {
      retries: 1,
      classify: huge,
      sleep: explicit.sleep,
      random: () => 0,
      maxRetryAfterMs: 7000,
    });
    expect(explicit.delays).toEqual([7000]);
  });

  it("ignores a negative Retry-After", async () => {
    const { delays, sleep: fakeSleep } = recordingSleep();
    await retry(flaky(1).fn, {
      retries: 1,
      classify: () => ({ retry: true, afterMs: -5 }),
      sleep: fakeSleep,
      random: () => 0,
    });
    expect(delays).toEqual([0]);
  });

  it("reports each retry with the failed attempt and the delay", async () => {
    const onRetry = vi.fn();
    const { sleep: fakeSleep } = recordingSleep();
    await retry(flaky(2).fn, { retries: 2, classify, sleep: fakeSleep, random: () => 1, onRetry, baseDelayMs: 10 });
    expect(onRetry.mock.calls.map(([err, attempt, delay]) => [err instanceof Transient, attempt, delay])).toEqual([
      [true, 0, 10],
      [true, 1, 20],
    ]);
  });

  it("rejects a negative or fractional retry count", async () => {
    const { fn } = flaky(0);
    await expect(retry(fn, { retries: -1, classify })).rejects.toThrow(RangeError);
    await expect(retry(fn, { retries: Number.NaN, classify })).rejects.toThrow(RangeError);
    await expect(retry(fn, { retries: 1.5, classify })).rejects.toThrow(RangeError);
  });

  it("does not call fn when the signal is already aborted", async () => {
    const controller = new AbortController();
    const reason = new InterruptedError("SIGINT");
    controller.abort(reason);
    const fn = vi.fn(async () => "done");
    await expect(retry(fn, { retries: 3, classify, signal: controller.signal })).rejects.toBe(reason);
    expect(fn).not.toHaveBeenCalled();
  });

  it("rejects promptly with the signal's reason when aborted during a real wait", async () => {
    const controller = new AbortController();
    const reason = new InterruptedError("SIGTERM");
    const { fn, calls } = flaky(10);
    const started = Date.now();
    const promise = retry(fn, {
      retries: 10,
      classify: () => ({ retry: true, afterMs: 10_000 }),
      signal: controller.signal,
      onRetry: () => setTimeout(() => controller.abort(reason), 20),
    });
    await expect(promise).rejects.toBe(reason);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(calls).toEqual([0]);
  });

  it("does not retry a failure that happened because of the abort", async () => {
    const controller = new AbortController();
    const fn = vi.fn(async () => {
      controller.abort();
      throw new Transient("socket closed");
    });
    const promise = retry(fn, { retries: 5, classify, signal: controller.signal, sleep: recordingSleep().sleep });
    await expect(promise).rejects.toMatchObject({ name: "AbortError" });
    expect(fn).toHaveBeenCalledTimes(1);
  });
});

describe("sleep", () => {
  it("resolves after roughly the given time", async () => {
    const started = Date.now();
    await sleep(30);
    expect(Date.now() - started).toBeGreaterThanOrEqual(25);
  });

  it("resolves with a signal that never aborts, and removes its listener", async () => {
    const controller = new AbortController();
    const remove = vi.spyOn(controller.signal, "removeEventListener");
    await sleep(5, controller.signal);
    expect(remove).toHaveBeenCalledWith("abort", expect.any(Function));
  });

  it("rejects at once when the signal is already aborted", async () => {
    const controller = new AbortController();
    controller.abort(new InterruptedError());
    const started = Date.now();
    await expect(sleep(10_000, controller.signal)).rejects.toBeInstanceOf(InterruptedError);
    expect(Date.now() - started).toBeLessThan(100);
  });

  it("rejects promptly when the signal aborts during the wait", async () => {
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(new InterruptedError("stop")), 10);
    await expect(sleep(10_000, controller.signal)).rejects.toThrow("stop");
    expect(Date.now() - started).toBeLessThan(1000);
  });
});

describe("abortReason", () => {
  it("returns an Error reason as is and an InterruptedError otherwise", () => {
    const withError = new AbortController();
    const error = new InterruptedError("SIGINT");
    withError.abort(error);
    expect(abortReason(withError.signal)).toBe(error);

    const withString = new AbortController();
    withString.abort("why");
    expect(abortReason(withString.signal)).toBeInstanceOf(InterruptedError);

    const bare = new AbortController();
    bare.abort();
    expect(abortReason(bare.signal)).toMatchObject({ name: "AbortError" });
  });
});
