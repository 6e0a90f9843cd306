import { describe, expect, it } from "vitest";
import { parseDuration } from "../../src/lib/duration.js";

describe("parseDuration", () => {
  it.each([
    ["3600", 3600],
    ["1", 1],
    ["3600s", 3600],
    ["60m", 3600],
    ["1h", 3600],
    ["1d", 86_400],
    ["7d", 604_800],
    ["90s", 90],
    ["3600S", 3600],
    ["60M", 3600],
    ["2H", 7200],
    ["1D", 86_400],
    ["  3600s  ", 3600],
    ["\t1h\n", 3600],
    ["0060", 60],
    // Not capped here: the caller decides the limit (e.g. 7 days for presigned URLs).
    ["30d", 2_592_000],
    ["999999999h", 999_999_999 * 3600],
  ])("accepts %j as %d seconds", (text, seconds) => {
    expect(parseDuration(text)).toBe(seconds);
  });

  it.each([
    "",
    "   ",
    "0",
    "0s",
    "0h",
    "-1",
    "-5m",
    "+5",
    "1.5",
    "1.5h",
    ".5h",
    "1e3",
    "10x",
    "1w",
    "1ms",
    "1h30m",
    "h",
    "s",
    "1 h",
    "NaN",
    "Infinity",
    "0x10",
    "１０", // full-width digits are not ASCII digits
    "99999999999999999999", // beyond a safe integer
    "9007199254740991d",
  ])("rejects %j", (text) => {
    expect(() => parseDuration(text)).toThrow(Error);
  });

  it("says what it expected and quotes what it got", () => {
    expect(() => parseDuration("10x")).toThrow(
      'expected a positive whole number of seconds or a duration like 3600s, 60m, 1h; got "10x"',
    );
    expect(() => parseDuration("0")).toThrow('got "0"');
  });

  it("escapes control characters in the echoed value", () => {
    expect(() => parseDuration("1\u0000h")).toThrow('got "1\\u0000h"');
  });
});
