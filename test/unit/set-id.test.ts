import { describe, expect, it } from "vitest";
import { newestFirst, newSetId, setIdMatches, setIdTime } from "../../src/backup/sets/set-id.js";
import { manifestKey, setIdFromManifestKey, shardsPrefix } from "../../src/core/set-keys.js";

describe("set ids and set keys", () => {
  it("forms the bash tool's set id: UTC stamp, then HOSTNAME or p<pid>", () => {
    const t = new Date("2026-08-11T00:00:00.750Z");
    expect(newSetId(t, "qdrant-backup-28114-x9k2v", 1)).toBe("2026-08-11T00-00-00Z-qdrant-backup-28114-x9k2v");
    expect(newSetId(t, undefined, 4242)).toBe("2026-08-11T00-00-00Z-p4242");
    expect(newSetId(t, "  ", 7)).toBe("2026-08-11T00-00-00Z-p7");
    expect(newSetId(t, "a/b c", 7)).toBe("2026-08-11T00-00-00Z-a-b-c");
    expect(setIdTime("2026-08-11T00-00-00Z-host")?.toISOString()).toBe("2026-08-11T00:00:00.000Z");
    expect(setIdTime("manual-set")).toBeUndefined();
  });

  it("selects by prefix and sorts newest first", () => {
    const ids = ["2026-08-04T00-00-00Z-a", "2026-08-11T00-00-00Z-b", "2026-07-28T00-00-00Z-a"];
    expect(newestFirst(ids)).toEqual(["2026-08-11T00-00-00Z-b", "2026-08-04T00-00-00Z-a", "2026-07-28T00-00-00Z-a"]);
    expect(ids.filter((id) => setIdMatches(id, "2026-08"))).toHaveLength(2);
    expect(ids.filter((id) => setIdMatches(id, ""))).toHaveLength(3);
  });

  it("lays out manifests as the bash tool does, and the shard snapshots as Qdrant does", () => {
    expect(manifestKey("docs", "2026-08-11T00-00-00Z-b")).toBe("backup_manifests/docs/2026-08-11T00-00-00Z-b.json");
    expect(setIdFromManifestKey("backup_manifests/docs/2026-08-11T00-00-00Z-b.json", "docs")).toBe(
      "2026-08-11T00-00-00Z-b",
    );
    expect(setIdFromManifestKey("backup_manifests/docs/x/y.json", "docs")).toBeUndefined();
    expect(shardsPrefix("a b")).toBe("snapshots/a b/shards/");
  });
});
