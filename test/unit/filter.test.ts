import { describe, expect, it } from "vitest";
import { createSnapshotFilter } from "../../src/lib/filter.js";

const name = "coll-4937617129484380-2026-01-29-11-44-03.snapshot";

describe("createSnapshotFilter", () => {
  it("matches everything when the pattern is empty", () => {
    const filter = createSnapshotFilter("");
    expect(filter(name)).toBe(true);
    expect(filter("")).toBe(true);
  });

  describe("substring (no wildcard)", () => {
    it("keeps names containing the text, like the bash tool", () => {
      const filter = createSnapshotFilter("2026-01-29-11-44");
      expect(filter(name)).toBe(true);
      expect(filter("coll-1-2026-01-29-11-45-00.snapshot")).toBe(false);
    });

    it("matches at the start, the end and the whole name", () => {
      expect(createSnapshotFilter("coll-")(name)).toBe(true);
      expect(createSnapshotFilter(".snapshot")(name)).toBe(true);
      expect(createSnapshotFilter(name)(name)).toBe(true);
    });

    it("is case-sensitive", () => {
      expect(createSnapshotFilter("COLL")(name)).toBe(false);
    });

    it("treats regex metacharacters literally", () => {
      expect(createSnapshotFilter(".")("abc")).toBe(false);
      expect(createSnapshotFilter(".")("a.c")).toBe(true);
      expect(createSnapshotFilter("a+b")("aab")).toBe(false);
      expect(createSnapshotFilter("a+b")("xa+by")).toBe(true);
      expect(createSnapshotFilter("(x)|[y]^$\\")("-(x)|[y]^$\\-")).toBe(true);
      expect(createSnapshotFilter("[a-z]")("q")).toBe(false);
    });
  });

  describe("glob (with * or ?)", () => {
    it("must match the whole name", () => {
      expect(createSnapshotFilter("*2026-01-29*")(name)).toBe(true);
      expect(createSnapshotFilter("2026-01-29*")(name)).toBe(false);
      expect(createSnapshotFilter("*2026-01-29")(name)).toBe(false);
      expect(createSnapshotFilter("coll-*.snapshot")(name)).toBe(true);
      expect(createSnapshotFilter("coll-*.snap")(name)).toBe(false);
    });

    it("* matches any run, including an empty one", () => {
      expect(createSnapshotFilter("a*b")("ab")).toBe(true);
      expect(createSnapshotFilter("a*b")("a-x-b")).toBe(true);
      expect(createSnapshotFilter("*")("")).toBe(true);
      expect(createSnapshotFilter("*")("anything")).toBe(true);
      expect(createSnapshotFilter("a**b")("ab")).toBe(true);
    });

    it("? matches exactly one character", () => {
      const filter = createSnapshotFilter("coll-?.snapshot");
      expect(filter("coll-1.snapshot")).toBe(true);
      expect(filter("coll-.snapshot")).toBe(false);
      expect(filter("coll-12.snapshot")).toBe(false);
      expect(createSnapshotFilter("?")("é")).toBe(true);
      expect(createSnapshotFilter("?")("😀")).toBe(true); // one code point, two UTF-16 units
    });

    it("treats every other character literally, regex metacharacters and [ included", () => {
      expect(createSnapshotFilter("*.snapshot")("coll-xsnapshot")).toBe(false);
      expect(createSnapshotFilter("*.snapshot")("c.snapshot")).toBe(true);
      expect(createSnapshotFilter("[ab]*")("a-1")).toBe(false);
      expect(createSnapshotFilter("[ab]*")("[ab]-1")).toBe(true);
      expect(createSnapshotFilter("a+(b)|c{2}$^\\/*")("a+(b)|c{2}$^\\/tail")).toBe(true);
      expect(createSnapshotFilter("a+(b)|c{2}$^\\/*")("aa(b)|cc")).toBe(false);
      expect(createSnapshotFilter("x-y*")("x-y")).toBe(true);
      expect(createSnapshotFilter("]*")("]]")).toBe(true);
    });

    it("lets * span characters such as newlines", () => {
      expect(createSnapshotFilter("a*b")("a\nb")).toBe(true);
    });
  });
});
