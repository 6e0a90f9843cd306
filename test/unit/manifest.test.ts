// Backup-set manifests: the bash tool's schema 2 field for field (read and written), its validation rules, schema 1
// read, and peer ids above 2^53 kept exact both ways.
import { readFileSync } from "node:fs";
import { Ajv } from "ajv";
import { describe, expect, it } from "vitest";
import { parseExactJson } from "../../src/lib/exact-json.js";
import {
  ManifestError,
  parseManifest,
  serializeManifest,
  validateManifest,
  type Manifest,
} from "../../src/backup/sets/manifest.js";

const SCHEMA = JSON.parse(
  readFileSync(new URL("../support/sets/bash-manifest-schema-2.json", import.meta.url), "utf8"),
);
const BIG = "18446744073709551557";

/** A manifest exactly as the bash tool writes it (jq -n …), with a pre-1.2 peer id. */
const BASH_MANIFEST = `{
  "schema_version": 2,
  "backup_set_id": "2026-08-11T00-00-00Z-qdrant-backup-28114-x9k2v",
  "collection": "docs",
  "qdrant_version": "1.15.1",
  "sharding_method": "auto",
  "shard_count": 2,
  "points_count": 1200,
  "collection_config": { "params": { "shard_number": 2, "vectors": { "size": 4, "distance": "Cosine" } }, "payload_schema": {}, "status": "green" },
  "aliases": ["docs-live"],
  "created_by": "qdrant_backup_recovery.sh@12fc717c",
  "shards": [
    { "id": 0, "snapshot_name": "docs-shard-0-2026-08-11-00-00-01.snapshot", "s3_key": "snapshots/docs/shards/0/docs-shard-0-2026-08-11-00-00-01.snapshot", "size": 52224, "etag": "9b2cf535f27731c974343645a3985328-2", "checksum": "", "source_peer_id": ${BIG}, "created_at": "2026-08-11T00:00:01Z" },
    { "id": 1, "snapshot_name": "docs-shard-1-2026-08-11-00-00-02.snapshot", "s3_key": "snapshots/docs/shards/1/docs-shard-1-2026-08-11-00-00-02.snapshot", "size": 51200, "etag": "d41d8cd98f00b204e9800998ecf8427e", "checksum": "", "source_peer_id": 7, "created_at": "2026-08-11T00:00:02Z" }
  ]
}
`;

function ours(): Manifest {
  const m = parseManifest(Buffer.from(BASH_MANIFEST));
  return {
    ...m,
    created_by: "qdrant-backup-restore@abc1234",
    points_count_before: 1190,
    points_count_after: 1200,
    shards: m.shards.map((s) => ({
      ...s,
      sha256: "a".repeat(64),
      replicas: [
        { peer_id: BIG, state: "Active" },
        { peer_id: "7", state: "Dead" },
      ],
    })),
  };
}

describe("backup-set manifests", () => {
  it("reads a schema-2 manifest as the bash tool writes it, a peer id above 2^53 kept exact", () => {
    const m = parseManifest(Buffer.from(BASH_MANIFEST));
    expect(m.schema_version).toBe(2);
    expect(m.shards[0]?.source_peer_id).toBe(BIG);
    expect(m.shards[0]?.etag).toBe("9b2cf535f27731c974343645a3985328-2");
    expect(m.aliases).toEqual(["docs-live"]);
    expect(m.points_count).toBe(1200);
    expect(new Ajv({ strict: false }).validate(SCHEMA, JSON.parse(BASH_MANIFEST))).toBe(true);
  });

  it("writes a manifest that validates against the bash tool's schema 2 and reads back equal, peer ids as exact JSON numbers", () => {
    const text = serializeManifest(ours());
    const ajv = new Ajv({ strict: false });
    const plain = JSON.parse(text) as unknown; // (rounds the big peer id, which the schema only types)
    expect(ajv.validate(SCHEMA, plain), JSON.stringify(ajv.errors)).toBe(true);
    expect(text).toContain(`"source_peer_id": ${BIG}`);
    expect(text).toContain(`"peer_id": ${BIG}`);
    expect(parseManifest(Buffer.from(text))).toEqual(ours());
  });

  it("reads schema 1 (no stat-derived size and ETag)", () => {
    const v1 = parseExactJson(BASH_MANIFEST) as Record<string, unknown> & { shards: Record<string, unknown>[] };
    v1["schema_version"] = 1;
    for (const s of v1.shards) delete s["etag"];
    expect(validateManifest(v1).shards[0]?.etag).toBe("");
  });

  it.each([
    ["schema_version 3", (m: Record<string, unknown>) => (m["schema_version"] = 3), /schema_version 3/],
    ["no set id", (m: Record<string, unknown>) => (m["backup_set_id"] = ""), /backup_set_id/],
    ["shard_count off", (m: Record<string, unknown>) => (m["shard_count"] = 3), /2 shards listed, shard_count says 3/],
    ["duplicate shard ids", (m: Record<string, unknown>) => ((m["shards"] as { id: number }[])[1]!.id = 0), /unique/],
    [
      "no etag in schema 2",
      (m: Record<string, unknown>) => ((m["shards"] as { etag?: string }[])[0]!.etag = ""),
      /etag/,
    ],
    [
      "size not numeric",
      (m: Record<string, unknown>) => ((m["shards"] as { size?: unknown }[])[0]!.size = "5"),
      /size/,
    ],
    ["no s3_key", (m: Record<string, unknown>) => ((m["shards"] as { s3_key?: string }[])[1]!.s3_key = ""), /s3_key/],
    ["config not an object", (m: Record<string, unknown>) => (m["collection_config"] = []), /collection_config/],
  ])("refuses a manifest with %s", (_what, spoil, message) => {
    const m = parseExactJson(BASH_MANIFEST) as Record<string, unknown>;
    spoil(m);
    expect(() => validateManifest(m)).toThrow(ManifestError);
    expect(() => validateManifest(m)).toThrow(message);
  });

  it("refuses bytes that are not JSON, and never writes a manifest that fails validation", () => {
    expect(() => parseManifest(Buffer.from('{"schema_version": 2,'))).toThrow(/not valid JSON/);
    expect(() => serializeManifest({ ...ours(), shard_count: 5 })).toThrow(ManifestError);
  });
});
