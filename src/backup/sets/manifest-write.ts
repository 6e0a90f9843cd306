/**
 * Builds a collection's schema-2 manifest and writes it to `backup_manifests/{c}/{set_id}.json`: the last write of a
 * set, after every shard object is confirmed, so that a set exists only when all of it does. A run killed before it
 * leaves shard objects no manifest names (the orphan sweep reclaims them), never a manifest of a partial set.
 */
import { Readable } from "node:stream";
import { manifestKey } from "../../core/set-keys.js";
import { TOOL_VERSION } from "../../core/tool-version.js";
import type { SnapshotStore } from "../../store/types.js";
import { serializeManifest, type Manifest, type ManifestShard } from "./manifest.js";

/** What a collection's set is made of, gathered by the backup. */
export interface SetFacts {
  setId: string;
  collection: string;
  qdrantVersion: string;
  shardingMethod: string;
  shardNumber: number;
  /** The whole `result` of GET /collections/{c}, taken before the shards. */
  collectionResult: Record<string, unknown>;
  aliases: string[];
  shards: ManifestShard[];
  pointsBefore: number | undefined;
  pointsAfter: number | undefined;
  gitRef: string;
}

/** The manifest of `facts`, shards by id (validated when serialized). */
export function buildManifest(facts: SetFacts): Manifest {
  return {
    schema_version: 2,
    backup_set_id: facts.setId,
    collection: facts.collection,
    qdrant_version: facts.qdrantVersion,
    sharding_method: facts.shardingMethod,
    shard_count: facts.shardNumber,
    points_count: facts.pointsAfter ?? null,
    collection_config: facts.collectionResult,
    aliases: [...facts.aliases].sort(),
    created_by: `qdrant-backup-restore@${facts.gitRef}`,
    shards: [...facts.shards].sort((a, b) => a.id - b.id),
    ...(facts.pointsBefore !== undefined ? { points_count_before: facts.pointsBefore } : {}),
    ...(facts.pointsAfter !== undefined ? { points_count_after: facts.pointsAfter } : {}),
    tool_version: TOOL_VERSION,
  };
}

/**
 * Validates and writes the manifest; returns its key.
 * @throws ManifestError when it fails the bash tool's validation (nothing written); the store's errors
 */
export async function writeManifest(store: SnapshotStore, manifest: Manifest): Promise<string> {
  const key = manifestKey(manifest.collection, manifest.backup_set_id);
  const body = Buffer.from(serializeManifest(manifest), "utf8");
  await store.put(key, Readable.from([body]), { contentType: "application/json", size: body.length });
  return key;
}
