// The end of a run (src/shutdown.ts): closers that close in time are simply closed; one that hangs is destroyed once
// the deadline passes, and the shutdown goes on.
import { describe, expect, it } from "vitest";
import { closeWithin, type Closer } from "../../src/shutdown.js";

describe("closeWithin", () => {
  it("closes everything at once and returns true when all close before the deadline", async () => {
    const order: string[] = [];
    const closers: Closer[] = ["a", "b"].map((n) => ({
      close: async () => void order.push(n),
      destroy: () => void order.push(`destroy ${n}`),
    }));
    const warnings: string[] = [];
    expect(await closeWithin(closers, 1_000, { warn: (m) => warnings.push(m) })).toBe(true);
    expect(order.sort()).toEqual(["a", "b"]);
    expect(warnings).toEqual([]);
  });

  it("a closer that never closes is destroyed when the deadline passes; the others are not; the shutdown goes on", async () => {
    const destroyed: string[] = [];
    let release: () => void = () => undefined;
    const hung: Closer = {
      close: () => new Promise<void>((resolve) => (release = resolve)),
      destroy: () => {
        destroyed.push("hung");
        release();
      },
    };
    const fine: Closer = { close: async () => undefined, destroy: () => void destroyed.push("fine") };
    const warnings: string[] = [];
    const started = Date.now();
    expect(await closeWithin([fine, hung], 200, { warn: (m) => warnings.push(m) })).toBe(false);
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expect(destroyed).toEqual(["hung"]);
    expect(warnings).toEqual([
      expect.stringContaining("shutdown: connections still busy after 0 s; closing them") as string,
    ]);
  });
});
