import { describe, expect, it } from "vitest";
import { InterruptedError } from "../../src/errors.js";
import { createHostLimiter, mapPool } from "../../src/lib/pool.js";

const tick = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Wraps work so the highest number of simultaneous calls can be read afterwards. */
function gauge() {
  let current = 0;
  let max = 0;
  return {
    get max() {
      return max;
    },
    async run<T>(work: () => Promise<T>): Promise<T> {
      current++;
      max = Math.max(max, current);
      try {
        return await work();
      } finally {
        current--;
      }
    },
  };
}

describe("mapPool", () => {
  it("returns results in input order", async () => {
    const items = [30, 5, 20, 1, 10];
    const results = await mapPool(items, 3, async (ms, index) => {
      await tick(ms);
      return `${index}:${ms}`;
    });
    expect(results).toEqual(["0:30", "1:5", "2:20", "3:1", "4:10"]);
  });

  it("never has more than `concurrency` calls in flight, and reaches it", async () => {
    for (const concurrency of [1, 2, 4, 7]) {
      const g = gauge();
      const items = Array.from({ length: 40 }, (_, i) => i);
      await mapPool(items, concurrency, (i) => g.run(() => tick(i % 3)));
      expect(g.max).toBe(concurrency);
    }
  });

  it("handles an empty list and more slots than items", async () => {
    expect(await mapPool([], 4, async () => 1)).toEqual([]);
    expect(await mapPool([1, 2], 10, async (x) => x * 2)).toEqual([2, 4]);
  });

  it("rejects an invalid concurrency", async () => {
    await expect(mapPool([1], 0, async (x) => x)).rejects.toThrow(RangeError);
    await expect(mapPool([1], 1.5, async (x) => x)).rejects.toThrow(RangeError);
    await expect(mapPool([1], Number.NaN, async (x) => x)).rejects.toThrow(RangeError);
  });

  it("on a throw: starts nothing new, waits for the in-flight calls, then rethrows the first error", async () => {
    const started: number[] = [];
    const finished: number[] = [];
    const boom = new Error("state file not writable");
    const promise = mapPool([0, 1, 2, 3, 4, 5], 3, async (i) => {
      started.push(i);
      if (i === 0) {
        await tick(5);
        throw boom;
      }
      if (i === 5) throw new Error("later error");
      await tick(40);
      finished.push(i);
      return i;
    });
    await expect(promise).rejects.toBe(boom);
    // 1 and 2 were in flight when 0 failed: they completed before mapPool rejected.
    expect(finished.sort()).toEqual([1, 2]);
    expect(started.sort()).toEqual([0, 1, 2]);
  });

  it("after an abort: starts nothing new, awaits the in-flight calls, rejects with the reason", async () => {
    const controller = new AbortController();
    const reason = new InterruptedError("SIGINT");
    const started: number[] = [];
    const finished: number[] = [];
    const promise = mapPool(
      Array.from({ length: 10 }, (_, i) => i),
      2,
      async (i) => {
        started.push(i);
        if (i === 1) controller.abort(reason);
        await tick(20);
        finished.push(i);
        return i;
      },
      controller.signal,
    );
    await expect(promise).rejects.toBe(reason);
    expect(started).toEqual([0, 1]);
    expect(finished.sort()).toEqual([0, 1]);
  });

  it("rejects with an InterruptedError when the abort reason is not an Error", async () => {
    const controller = new AbortController();
    controller.abort("stop");
    let calls = 0;
    await expect(
      mapPool([1, 2, 3], 2, async () => calls++, controller.signal),
    ).rejects.toBeInstanceOf(InterruptedError);
    expect(calls).toBe(0);
  });

  it("returns the results when the abort comes after every item completed", async () => {
    const controller = new AbortController();
    const results = await mapPool(
      [1, 2, 3],
      3,
      async (x) => {
        if (x === 3) controller.abort();
        return x;
      },
      controller.signal,
    );
    expect(results).toEqual([1, 2, 3]);
  });
});

describe("createHostLimiter", () => {
  it("limits each host separately", async () => {
    const limit = createHostLimiter(2);
    const gauges = { a: gauge(), b: gauge() };
    const overall = gauge();
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => {
        const host = i % 2 === 0 ? "a" : "b";
        return limit(host, () => overall.run(() => gauges[host].run(() => tick(5))));
      }),
    );
    expect(gauges.a.max).toBe(2);
    expect(gauges.b.max).toBe(2);
    expect(overall.max).toBe(4);
  });

  it("does not let a slow host delay another host's task", async () => {
    const limit = createHostLimiter(1);
    let releaseSlow: () => void = () => {};
    const slow = limit("http://slow:6333", () => new Promise<string>((resolve) => (releaseSlow = () => resolve("slow"))));
    const queuedBehindSlow = limit("http://slow:6333", async () => "slow-2");
    const started = Date.now();
    const fast = await limit("http://fast:6333", async () => "fast");
    expect(fast).toBe("fast");
    expect(Date.now() - started).toBeLessThan(500);
    releaseSlow();
    expect(await slow).toBe("slow");
    expect(await queuedBehindSlow).toBe("slow-2");
  });

  it("queues tasks for the same host in order and passes results and errors through", async () => {
    const limit = createHostLimiter(1);
    const order: string[] = [];
    const a = limit("h", async () => {
      await tick(10);
      order.push("a");
      return 1;
    });
    const b = limit("h", async () => {
      order.push("b");
      throw new Error("b failed");
    });
    expect(await a).toBe(1);
    await expect(b).rejects.toThrow("b failed");
    expect(order).toEqual(["a", "b"]);
  });

  it("rejects an invalid limit", () => {
    expect(() => createHostLimiter(0)).toThrow(RangeError);
  });
});
