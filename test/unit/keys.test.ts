import { describe, expect, it } from "vitest";
import {
  collectionFromPrefix,
  collectionSnapshotKey,
  collectionSnapshotsPrefix,
  decodeKeySegment,
  encodeKeySegment,
  isShardSnapshotName,
  snapshotNameFromKey,
} from "../../src/core/keys.js";

describe("S3 key layout", () => {
  it("builds Qdrant's default keys", () => {
    expect(collectionSnapshotKey("my-collection", "my-collection-1-2026-08-04-10-49-10.snapshot")).toBe(
      "snapshots/my-collection/my-collection-1-2026-08-04-10-49-10.snapshot",
    );
  });

  it("percent-encodes like Qdrant's object store", () => {
    expect(encodeKeySegment('a"b')).toBe("a%22b");
    expect(encodeKeySegment("a,b c")).toBe("a,b c");
    expect(encodeKeySegment("x\\{}^%`][><~#|*?")).toBe("x%5C%7B%7D%5E%25%60%5D%5B%3E%3C%7E%23%7C%2A%3F");
    expect(encodeKeySegment("é")).toBe("%C3%A9");
    expect(encodeKeySegment("a\nb")).toBe("a%0Ab");
    expect(encodeKeySegment(".")).toBe("%2E");
    expect(encodeKeySegment("..")).toBe("%2E%2E");
    expect(encodeKeySegment("a/b")).toBe("a%2Fb");
  });

  it("round-trips hostile names", () => {
    for (const name of ['a"b', "co,ma", "new\nline", "ünï©ødé", "%41", "x".repeat(255), "../etc"]) {
      expect(decodeKeySegment(encodeKeySegment(name))).toBe(name);
    }
  });

  it("finds collection snapshots directly under the prefix only", () => {
    const prefix = collectionSnapshotsPrefix("c");
    expect(snapshotNameFromKey("snapshots/c/c-1-2026-01-01-00-00-00.snapshot", prefix)).toBe(
      "c-1-2026-01-01-00-00-00.snapshot",
    );
    expect(snapshotNameFromKey("snapshots/c/shards/0/c-shard-0-2026-01-01-00-00-00.snapshot", prefix)).toBeUndefined();
    expect(snapshotNameFromKey("snapshots/c/c-1.snapshot.checksum", prefix)).toBeUndefined();
    expect(snapshotNameFromKey("snapshots/c2/c2-1-2026-01-01-00-00-00.snapshot", prefix)).toBeUndefined();
  });

  it("reads collection names from common prefixes", () => {
    expect(collectionFromPrefix("snapshots/a%22b/")).toBe('a"b');
    expect(collectionFromPrefix("other/a/")).toBeUndefined();
  });

  it("recognises shard snapshot names", () => {
    expect(isShardSnapshotName("c-shard-3-2026-01-01-00-00-00.snapshot")).toBe(true);
    expect(isShardSnapshotName("c-123-2026-01-01-00-00-00.snapshot")).toBe(false);
  });
});
