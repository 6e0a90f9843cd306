// recover_snap_shards' pure rules: the version gate (same or next minor, SKIP, unknown blocks), the capacity gate,
// and the create body mapped from a manifest's collection_config (GET form → PUT form, nulls dropped at any depth).
import { describe, expect, it } from "vitest";
import type { Manifest } from "../../src/backup/sets/manifest.js";
import { createBody, dropNulls } from "../../src/backup/sets/restore-create.js";
import { capacityGate, versionGate } from "../../src/backup/sets/restore-gates.js";
import { buildConfig } from "../../src/config.js";
import { Redactor } from "../../src/lib/redact.js";
import { createLogger } from "../../src/log.js";

function manifest(
  version: string,
  params: Record<string, unknown> = {},
  config: Record<string, unknown> = {},
): Manifest {
  return {
    schema_version: 2,
    backup_set_id: "2026-08-11T00-00-00Z-b",
    collection: "docs",
    qdrant_version: version,
    sharding_method: "auto",
    shard_count: 0,
    points_count: 0,
    collection_config: { config: { params, ...config } },
    aliases: [],
    created_by: "",
    shards: [],
  };
}

function deps(env: Record<string, string> = {}) {
  const lines: string[] = [];
  return {
    lines,
    log: createLogger({ level: "verbose", sink: (l) => void lines.push(l), redactor: new Redactor() }),
    config: buildConfig(env, { cwd: "/" }),
  };
}

describe("version gate", () => {
  it.each([
    ["1.19.0", "1.19.3"],
    ["1.19.2", "1.20.0"],
    ["v1.15.1", "1.16.0-rc1"],
  ])("passes %s onto %s", (from, to) => {
    expect(() => versionGate(deps(), manifest(from), to)).not.toThrow();
  });

  it.each([
    ["1.19.0", "1.21.0"],
    ["1.19.0", "1.18.0"],
    ["1.19.0", "2.0.0"],
    ["unknown", "1.19.0"],
    ["1.19.0", "unknown"],
  ])("blocks %s onto %s, naming QDRANT_SKIP_VERSION_CHECK", (from, to) => {
    expect(() => versionGate(deps(), manifest(from), to)).toThrow(/QDRANT_SKIP_VERSION_CHECK=true/);
  });

  it("QDRANT_SKIP_VERSION_CHECK=true lets any version through, with a warning", () => {
    const d = deps({ QDRANT_SKIP_VERSION_CHECK: "true" });
    versionGate(d, manifest("unknown"), "1.0.0");
    expect(d.lines.join("\n")).toMatch(/not checked \(QDRANT_SKIP_VERSION_CHECK=true\)/);
  });
});

describe("capacity gate", () => {
  it("refuses a write_consistency_factor above the peers; a replication factor above them only warns", () => {
    expect(() => capacityGate(deps(), manifest("1.19.0", { write_consistency_factor: 3 }), 2)).toThrow(
      /write_consistency_factor 3 exceeds the target's 2 peer/,
    );
    const d = deps();
    capacityGate(d, manifest("1.19.0", { replication_factor: 3, write_consistency_factor: 1 }), 1);
    expect(d.lines.join("\n")).toMatch(/replication_factor 3 exceeds the target's 1 peer/);
  });
});

describe("create body", () => {
  it("maps the GET form to the PUT form field by field, optimizer_config → optimizers_config, nulls dropped", () => {
    const m = manifest(
      "1.19.0",
      {
        vectors: { size: 4, distance: "Dot", on_disk: null },
        shard_number: 3,
        replication_factor: 2,
        sharding_method: null,
      },
      {
        hnsw_config: { m: 16, payload_m: null },
        optimizer_config: { indexing_threshold: 10000, max_optimization_threads: null },
        wal_config: { wal_capacity_mb: 32 },
        quantization_config: null,
        strict_mode_config: { enabled: false },
        metadata: { owner: "team-a" },
      },
    );
    expect(createBody(m)).toEqual({
      vectors: { size: 4, distance: "Dot" },
      shard_number: 3,
      replication_factor: 2,
      hnsw_config: { m: 16 },
      optimizers_config: { indexing_threshold: 10000 },
      wal_config: { wal_capacity_mb: 32 },
      strict_mode_config: { enabled: false },
      metadata: { owner: "team-a" },
    });
    expect(dropNulls([{ a: null, b: [null, { c: null }] }])).toEqual([{ b: [null, {}] }]);
  });
});
