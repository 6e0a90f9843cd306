/**
 * A backup set's manifest, schema 2 of the bash tool's per-shard generation, field for field, so that a set written by
 * either tool is restored by either; this tool adds optional fields the bash tool ignores (marked "ours").
 * Schema 1 (no stat-derived size and ETag) is read, never written. Validation is the bash tool's, applied before a
 * manifest is uploaded and on every read; a manifest failing it is unreadable, and an unreadable manifest deletes
 * nothing and restores nothing.
 */
import { parseExactJson, stringifyExactJson } from "../../lib/exact-json.js";
import { peerIdOf, type PeerId } from "../../qdrant/cluster-types.js";
import { isNumber, isObject } from "../../qdrant/types.js";

export interface ManifestShard {
  id: number;
  snapshot_name: string;
  s3_key: string;
  /** Bytes, from a stat of the stored object (schema 2; schema 1 took it from Qdrant's answer). */
  size: number;
  /** The stored object's ETag, an opaque string (a multipart ETag is no MD5); empty only in schema 1. */
  etag: string;
  /** Qdrant's SHA-256 from the snapshot-create answer; empty when Qdrant gave none (1.15). */
  checksum: string;
  source_peer_id: PeerId;
  /** UTC ISO 8601 with a Z. */
  created_at: string;
  /** Ours: the SHA-256 of the stored bytes (streamed or read back by the tool, or Qdrant's checksum). */
  sha256?: string;
  /** Ours: every replica of the shard at backup time. */
  replicas?: { peer_id: PeerId; state: string }[];
}

export interface Manifest {
  schema_version: 1 | 2;
  backup_set_id: string;
  collection: string;
  qdrant_version: string;
  sharding_method: string;
  shard_count: number;
  /** Read again after the shards were taken; null when that read failed (never a made-up 0). */
  points_count: number | null;
  /** The whole `result` of GET /collections/{c}, taken before the shards. */
  collection_config: Record<string, unknown>;
  aliases: string[];
  /** `qdrant_backup_recovery.sh@{GIT_REF}` from the bash tool; `qdrant-backup-restore@{GIT_REF}` from this one. */
  created_by: string;
  shards: ManifestShard[];
  /** Ours: exact counts before and after the shard snapshots (a live collection's restore may lie between them). */
  points_count_before?: number;
  points_count_after?: number;
  /** Ours: the version of this tool that wrote the manifest. */
  tool_version?: string;
}

/** A manifest that fails validation: `why` says which rule, for a one-line message naming the key. */
export class ManifestError extends Error {
  constructor(readonly why: string) {
    super(why);
  }
}

const nonEmpty = (v: unknown): v is string => typeof v === "string" && v !== "";

function shardOf(v: unknown, i: number, schema: 1 | 2): ManifestShard {
  if (!isObject(v)) throw new ManifestError(`shards[${i}] is not an object`);
  const id = v["id"];
  if (!isNumber(id) || !Number.isInteger(id) || id < 0) throw new ManifestError(`shards[${i}].id is not a shard id`);
  if (!nonEmpty(v["s3_key"])) throw new ManifestError(`shard ${id} has no s3_key`);
  if (!nonEmpty(v["snapshot_name"])) throw new ManifestError(`shard ${id} has no snapshot_name`);
  if (schema === 2 && !nonEmpty(v["etag"])) throw new ManifestError(`shard ${id} has no etag (schema 2)`);
  if (schema === 2 && !isNumber(v["size"])) throw new ManifestError(`shard ${id} has no numeric size (schema 2)`);
  let peer: PeerId = "";
  try {
    peer = v["source_peer_id"] === undefined || v["source_peer_id"] === null ? "" : peerIdOf(v["source_peer_id"], "");
  } catch {
    throw new ManifestError(`shard ${id} has a source_peer_id that is not a peer id`);
  }
  const out: ManifestShard = {
    id,
    snapshot_name: v["snapshot_name"],
    s3_key: v["s3_key"],
    size: isNumber(v["size"]) ? v["size"] : 0,
    etag: typeof v["etag"] === "string" ? v["etag"] : "",
    checksum: typeof v["checksum"] === "string" ? v["checksum"] : "",
    source_peer_id: peer,
    created_at: typeof v["created_at"] === "string" ? v["created_at"] : "",
  };
  if (nonEmpty(v["sha256"])) out.sha256 = v["sha256"];
  const replicas = v["replicas"];
  if (Array.isArray(replicas)) {
    out.replicas = replicas.filter(isObject).map((r) => ({
      peer_id: peerIdOf(r["peer_id"], `shard ${id} replica peer_id`),
      state: String(r["state"]),
    }));
  }
  return out;
}

/** Checks a parsed manifest by the bash tool's rules (plus shard ids being whole numbers) and types it. */
export function validateManifest(v: unknown): Manifest {
  if (!isObject(v)) throw new ManifestError("not a JSON object");
  const schema = v["schema_version"];
  if (schema !== 1 && schema !== 2) throw new ManifestError(`schema_version ${JSON.stringify(schema)} is not 1 or 2`);
  if (!nonEmpty(v["backup_set_id"])) throw new ManifestError("backup_set_id is not a non-empty string");
  if (!nonEmpty(v["collection"])) throw new ManifestError("collection is not a non-empty string");
  const count = v["shard_count"];
  if (!isNumber(count)) throw new ManifestError("shard_count is not a number");
  if (!Array.isArray(v["shards"])) throw new ManifestError("shards is not an array");
  const shards = v["shards"].map((s, i) => shardOf(s, i, schema));
  if (shards.length !== count) throw new ManifestError(`${shards.length} shards listed, shard_count says ${count}`);
  if (new Set(shards.map((s) => s.id)).size !== shards.length) throw new ManifestError("shard ids are not unique");
  const config = v["collection_config"];
  if (!isObject(config)) throw new ManifestError("collection_config is not an object");
  const points = v["points_count"];
  const aliases = v["aliases"];
  const m: Manifest = {
    schema_version: schema,
    backup_set_id: v["backup_set_id"],
    collection: v["collection"],
    qdrant_version: typeof v["qdrant_version"] === "string" ? v["qdrant_version"] : "unknown",
    sharding_method: typeof v["sharding_method"] === "string" ? v["sharding_method"] : "auto",
    shard_count: count,
    points_count: isNumber(points) ? points : null,
    collection_config: config,
    aliases: Array.isArray(aliases) ? aliases.filter((a): a is string => typeof a === "string") : [],
    created_by: typeof v["created_by"] === "string" ? v["created_by"] : "",
    shards,
  };
  for (const k of ["points_count_before", "points_count_after"] as const) {
    const n = v[k];
    if (isNumber(n)) m[k] = n;
  }
  if (nonEmpty(v["tool_version"])) m.tool_version = v["tool_version"];
  return m;
}

/** A manifest object's bytes as read from the store: parsed with exact integers, then validated. */
export function parseManifest(bytes: Uint8Array): Manifest {
  let value: unknown;
  try {
    value = parseExactJson(Buffer.from(bytes).toString("utf8"));
  } catch (err) {
    throw new ManifestError(`not valid JSON (${(err as Error).message})`);
  }
  return validateManifest(value);
}

/** The manifest as JSON (2-space indent, as jq writes it), peer ids as JSON numbers with every digit. */
export function serializeManifest(m: Manifest): string {
  validateManifest(m);
  const peer = (id: PeerId): bigint | null => (id === "" ? null : BigInt(id));
  const out = {
    ...m,
    shards: m.shards.map((s) => ({
      ...s,
      source_peer_id: peer(s.source_peer_id),
      ...(s.replicas ? { replicas: s.replicas.map((r) => ({ peer_id: peer(r.peer_id), state: r.state })) } : {}),
    })),
  };
  return `${stringifyExactJson(out, 2)}\n`;
}
