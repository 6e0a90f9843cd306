import { describe, expect, it } from "vitest";
import { InterruptedError } from "../../src/errors.js";
import { createHostScheduler, SkippedError } from "../../src/lib/host-scheduler.js";
import { createLimiter, mapPool, runAdmitted } from "../../src/lib/pool.js";

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
    await expect(mapPool([1, 2, 3], 2, async () => calls++, controller.signal)).rejects.toBeInstanceOf(
      InterruptedError,
    );
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

describe("createHostScheduler", () => {
  it("limits each host separately and all hosts together", async () => {
    const scheduler = createHostScheduler({ perHost: 2, total: 3 });
    const gauges = { a: gauge(), b: gauge() };
    const overall = gauge();
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => {
        const host = i % 2 === 0 ? "a" : "b";
        return scheduler.run(host, i, () => overall.run(() => gauges[host].run(() => tick(5))));
      }),
    );
    expect(gauges.a.max).toBe(2);
    expect(gauges.b.max).toBe(2);
    expect(overall.max).toBe(3);
  });

  it("does not let a slow host hold back another host's queued work, even with the overall limit reached", async () => {
    const scheduler = createHostScheduler({ perHost: 1, total: 2 });
    let releaseSlow: () => void = () => {};
    const slow = scheduler.run(
      "http://slow:6333",
      0,
      () => new Promise<string>((resolve) => (releaseSlow = () => resolve("slow"))),
    );
    // Queued first, behind the slow one: it must not take the second overall slot while it waits.
    const queuedBehindSlow = scheduler.run("http://slow:6333", 0, async () => "slow-2");
    const started = Date.now();
    const fast = await Promise.all([1, 2, 3].map((n) => scheduler.run("http://fast:6333", n, async () => `fast-${n}`)));
    expect(fast).toEqual(["fast-1", "fast-2", "fast-3"]);
    expect(Date.now() - started).toBeLessThan(500);
    releaseSlow();
    expect(await slow).toBe("slow");
    expect(await queuedBehindSlow).toBe("slow-2");
  });

  it("runs a host's queue lowest order first, first come first served among equals", async () => {
    const scheduler = createHostScheduler({ perHost: 1, total: 1 });
    const order: string[] = [];
    const job = (name: string, ord: number) => scheduler.run("h", ord, async () => void order.push(name));
    const first = scheduler.run("h", 5, async () => {
      await tick(10);
      order.push("running");
    });
    await Promise.all([first, job("c1", 3), job("d", 4), job("c2", 3), job("a", 0), job("e", 9)]);
    expect(order).toEqual(["running", "a", "c1", "c2", "d", "e"]);
  });

  it("starts the lowest order over all hosts when only some can run", async () => {
    const scheduler = createHostScheduler({ perHost: 1, total: 1 });
    const order: string[] = [];
    const blocker = scheduler.run("x", 0, () => tick(10));
    const jobs = [
      scheduler.run("b", 2, async () => void order.push("b2")),
      scheduler.run("a", 1, async () => void order.push("a1")),
      scheduler.run("c", 3, async () => void order.push("c3")),
    ];
    await Promise.all([blocker, ...jobs]);
    expect(order).toEqual(["a1", "b2", "c3"]);
  });

  it("passes results and a task's own rejection through to its caller, and goes on", async () => {
    const scheduler = createHostScheduler({ perHost: 1, total: 4 });
    const ok = scheduler.run("h", 0, async () => 1);
    const bad = scheduler.run("h", 1, async () => {
      throw new Error("snapshot missing");
    });
    const next = scheduler.run("h", 2, async () => "next");
    expect(await ok).toBe(1);
    await expect(bad).rejects.toThrow("snapshot missing");
    expect(await next).toBe("next");
  });

  it("stop() is fatal: queued tasks reject with a SkippedError carrying the cause and never start", async () => {
    const scheduler = createHostScheduler({ perHost: 1, total: 4 });
    const started: string[] = [];
    const running = scheduler.run("h", 0, async () => {
      started.push("running");
      await tick(20);
    });
    const queued = scheduler.run("h", 1, async () => void started.push("queued"));
    const cause = new Error("disk full");
    scheduler.stop(cause);
    const skipped = await queued.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(skipped).toBeInstanceOf(SkippedError);
    expect((skipped as SkippedError).cause).toBe(cause);
    await running; // already running when the failure came: it finishes
    await expect(scheduler.run("new", 0, async () => "late")).rejects.toBeInstanceOf(SkippedError);
    expect(started).toEqual(["running"]);
  });

  it("a rejection that `fatal` classifies as fatal stops the batch before the next task gets the slot", async () => {
    const scheduler = createHostScheduler({
      perHost: 1,
      total: 1,
      fatal: (e) => e instanceof Error && e.message === "key refused",
    });
    const started: string[] = [];
    const first = scheduler.run("h", 0, async () => {
      started.push("first");
      throw new Error("key refused");
    });
    const second = scheduler.run("h", 1, async () => void started.push("second"));
    await expect(first).rejects.toThrow("key refused");
    await expect(second).rejects.toBeInstanceOf(SkippedError);
    expect(started).toEqual(["first"]);
  });

  it("runAdmitted admits at most `window` items at once, in order", async () => {
    const scheduler = createHostScheduler({ perHost: 8, total: 8 });
    const g = gauge();
    const order: number[] = [];
    await runAdmitted([0, 1, 2, 3, 4, 5, 6], scheduler, 3, (n) =>
      g.run(async () => {
        order.push(n);
        await scheduler.run("h", n, () => tick(3));
      }),
    );
    expect(g.max).toBe(3);
    expect(order).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it("runAdmitted: an item's error stops the scheduler and is rethrown, not the SkippedErrors it caused", async () => {
    const scheduler = createHostScheduler({ perHost: 1, total: 1 });
    const ran: number[] = [];
    const outcome = runAdmitted([0, 1, 2, 3], scheduler, 4, async (n) => {
      await scheduler.run("h", n, async () => {
        ran.push(n);
        await tick(5);
      });
      if (n === 0) throw new Error("state file unwritable");
    });
    await expect(outcome).rejects.toThrow("state file unwritable");
    // 1 started when 0 left its slot, before 0 failed; 2 and 3 never start.
    expect(ran).toEqual([0, 1]);
  });

  it("rejects tasks not yet started once the signal aborts, and lets running ones finish", async () => {
    const controller = new AbortController();
    const scheduler = createHostScheduler({ perHost: 1, total: 1, signal: controller.signal });
    let finished = false;
    const running = scheduler.run("h", 0, async () => {
      await tick(20);
      finished = true;
    });
    const queued = scheduler.run("h", 1, async () => "never");
    controller.abort(new InterruptedError());
    const skipped = await queued.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(skipped).toBeInstanceOf(SkippedError);
    expect((skipped as SkippedError).cause).toBeInstanceOf(InterruptedError);
    await running;
    expect(finished).toBe(true);
  });

  it("rejects an invalid limit", () => {
    expect(() => createHostScheduler({ perHost: 0, total: 1 })).toThrow(RangeError);
    expect(() => createHostScheduler({ perHost: 1, total: 1.5 })).toThrow(RangeError);
    expect(() => createLimiter(0)).toThrow(RangeError);
  });
});

describe("createLimiter", () => {
  it("runs at most its limit at once, in the order given", async () => {
    const limit = createLimiter(2);
    const g = gauge();
    const order: number[] = [];
    await Promise.all(
      [0, 1, 2, 3, 4].map((n) =>
        limit(() =>
          g.run(async () => {
            order.push(n);
            await tick(5);
          }),
        ),
      ),
    );
    expect(g.max).toBe(2);
    expect(order).toEqual([0, 1, 2, 3, 4]);
  });
});
