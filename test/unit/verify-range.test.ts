// The point counts a restored collection may hold, from the backup metadata's counts before and after the snapshot.
import { describe, expect, it } from "vitest";
import { countRange } from "../../src/backup/count-range.js";

describe("countRange", () => {
  it("is exact for equal counts or only a count before, and otherwise spans both counts widened by the percentage", () => {
    expect(countRange({ pointsCount: 20 }, 10)).toEqual({ min: 20, max: 20, live: false });
    expect(countRange({ pointsCount: 20, pointsCountAfter: 20 }, 10)).toEqual({ min: 20, max: 20, live: false });
    expect(countRange({ pointsCount: 20, pointsCountAfter: 27 }, 0)).toEqual({ min: 20, max: 27, live: true });
    expect(countRange({ pointsCount: 27, pointsCountAfter: 20 }, 0)).toEqual({ min: 20, max: 27, live: true });
    // 19 × 0.9 = 17.1 and 20 × 1.1 = 22 exactly, not 22.000000000000004 rounded up to 23.
    expect(countRange({ pointsCount: 19, pointsCountAfter: 20 }, 10)).toEqual({ min: 17, max: 22, live: true });
    expect(countRange({ pointsCount: 3, pointsCountAfter: 0 }, 100)).toEqual({ min: 0, max: 6, live: true });
    expect(countRange({}, 5)).toBeUndefined();
  });
});
