// The latency scenario's reference is a true lower bound: what the busiest host's slot must spend, as its node timed it.
import { describe, expect, it } from "vitest";
import { IN_SLOT, slotLowerBound, type LoggedCall } from "../../bench/lower-bound.js";

const recover = (node: number, ms: number): LoggedCall => ({
  node,
  method: "PUT",
  path: "/collections/c/snapshots/recover",
  ms,
});
const check = (node: number, ms: number): LoggedCall => ({ node, method: "GET", path: "/collections/c", ms });

describe("slotLowerBound", () => {
  it("sums the busiest host's in-slot calls as timed by the node, over its slots, and ignores the calls outside the slot", () => {
    // Host 0: two recoveries (0.3 s + 0.2 s) and 5 s of checks that poll outside the slot; host 1: one recovery.
    const log = [recover(0, 300), check(0, 5_000), recover(1, 450), recover(0, 200)];
    expect(slotLowerBound(log, IN_SLOT["recover_snap"]!, 1)).toEqual({ seconds: 0.5, calls: 2, node: 0 });
    expect(slotLowerBound(log, IN_SLOT["recover_snap"]!, 2)).toEqual({ seconds: 0.25, calls: 2, node: 0 });
  });

  it("counts create_snap's facts and snapshot, the calls it makes in a host's slot", () => {
    const log: LoggedCall[] = [
      { node: 0, method: "GET", path: "/collections/c", ms: 20 },
      { node: 0, method: "POST", path: "/collections/c/points/count", ms: 30 },
      { node: 0, method: "POST", path: "/collections/c/snapshots", ms: 250 },
      { node: 0, method: "GET", path: "/collections", ms: 1_000 },
    ];
    expect(slotLowerBound(log, IN_SLOT["create_snap"]!, 1)).toEqual({ seconds: 0.3, calls: 3, node: 0 });
  });

  it("is zero with no in-slot call, and refuses a slot count that is not a positive whole number", () => {
    expect(slotLowerBound([check(0, 100)], IN_SLOT["recover_snap"]!, 1)).toEqual({
      seconds: 0,
      calls: 0,
      node: undefined,
    });
    expect(() => slotLowerBound([], IN_SLOT["recover_snap"]!, 0)).toThrow(/positive whole number/);
  });
});
