/**
 * Backup metadata: one small JSON object per snapshot, written when the snapshot is taken, under
 * `backup_metadata/…` (core/keys.ts metadataKeyOf). recover_snap checks a recovered collection against it.
 */
import { Readable } from "node:stream";
import { metadataKeyOf } from "../core/keys.js";
import type { SnapshotStore } from "../store/types.js";

export const METADATA_FORMAT = 1;

export interface BackupMetadata {
  /** Format version of this object; readers refuse newer ones. */
  format: typeof METADATA_FORMAT;
  kind: "collection" | "shard" | "full";
  /** The snapshot's name as Qdrant gave it. */
  snapshot: string;
  /** Collection (collection and shard snapshots). */
  collection?: string;
  shard?: number;
  source: { host: string; peerId?: number };
  /** GET / version of the source host, when it answered. */
  qdrantVersion?: string;
  /** Exact point count right before the snapshot was created (collection snapshots). */
  pointsCount?: number;
  /**
   * Exact point count right after the snapshot was created (collection snapshots; absent in metadata written before
   * this field existed). When it differs from `pointsCount`, the collection was written to while the snapshot was
   * taken, and the snapshot holds a count within (or near) that range rather than either one exactly.
   */
  pointsCountAfter?: number;
  /** The collection's config as Qdrant reported it (`GET /collections/{c}` → config). */
  collectionConfig?: Record<string, unknown>;
  /** Aliases pointing at the collection (full snapshots: every alias, as `alias -> collection`). */
  aliases: string[];
  /** Bytes of the snapshot archive. */
  size: number;
  /** SHA-256 of the archive, lowercase hex, when known (transfer mode, or Qdrant's local checksum). */
  sha256?: string;
  /** When the metadata was written, ISO 8601 UTC. */
  createdAt: string;
}

/** Writes `meta` next to the snapshot stored under `snapshotKey`. */
export async function writeMetadata(store: SnapshotStore, snapshotKey: string, meta: BackupMetadata): Promise<void> {
  const body = Buffer.from(`${JSON.stringify(meta, null, 2)}\n`, "utf8");
  await store.put(metadataKeyOf(snapshotKey), Readable.from([body]), { contentType: "application/json" });
}

/**
 * Reads the metadata of the snapshot under `snapshotKey`; undefined when there is none (snapshots taken by the
 * bash tool, or before metadata existed).
 * @throws Error naming the key when the object is not valid metadata
 */
export async function readMetadata(store: SnapshotStore, snapshotKey: string): Promise<BackupMetadata | undefined> {
  const key = metadataKeyOf(snapshotKey);
  const found = await store.get(key);
  if (found === undefined) return undefined;
  const chunks: Buffer[] = [];
  for await (const chunk of found.body) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array));
  try {
    return parseMetadata(JSON.parse(Buffer.concat(chunks).toString("utf8")));
  } catch (err) {
    throw new Error(`backup metadata ${store.location}/${key} is not valid: ${(err as Error).message}`);
  }
}

/** Checks a parsed JSON value field by field. */
export function parseMetadata(v: unknown): BackupMetadata {
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new Error("not an object");
  const o = v as Record<string, unknown>;
  const str = (k: string): string => {
    if (typeof o[k] !== "string") throw new Error(`"${k}" is not a string`);
    return o[k];
  };
  const optNum = (k: string): number | undefined => {
    if (o[k] === undefined) return undefined;
    if (typeof o[k] !== "number" || !Number.isFinite(o[k])) throw new Error(`"${k}" is not a number`);
    return o[k];
  };
  const optCount = (k: string): number | undefined => {
    const n = optNum(k);
    if (n !== undefined && (!Number.isSafeInteger(n) || n < 0)) throw new Error(`"${k}" is not a whole number >= 0`);
    return n;
  };
  if (o["format"] !== METADATA_FORMAT)
    throw new Error(`unsupported format ${JSON.stringify(o["format"])} (this tool reads ${METADATA_FORMAT})`);
  const kind = str("kind");
  if (kind !== "collection" && kind !== "shard" && kind !== "full") throw new Error(`unknown kind "${kind}"`);
  const source = o["source"];
  if (
    typeof source !== "object" ||
    source === null ||
    typeof (source as Record<string, unknown>)["host"] !== "string"
  ) {
    throw new Error(`"source.host" is not a string`);
  }
  const peerId = (source as Record<string, unknown>)["peerId"];
  const aliases = o["aliases"];
  if (!Array.isArray(aliases) || !aliases.every((a) => typeof a === "string"))
    throw new Error(`"aliases" is not a list of strings`);
  const config = o["collectionConfig"];
  if (config !== undefined && (typeof config !== "object" || config === null || Array.isArray(config)))
    throw new Error(`"collectionConfig" is not an object`);
  const sha = o["sha256"];
  if (sha !== undefined && (typeof sha !== "string" || !/^[0-9a-f]{64}$/.test(sha)))
    throw new Error(`"sha256" is not 64 lowercase hex digits`);
  const size = optNum("size");
  if (size === undefined) throw new Error(`"size" is missing`);
  return {
    format: METADATA_FORMAT,
    kind,
    snapshot: str("snapshot"),
    ...(o["collection"] !== undefined ? { collection: str("collection") } : {}),
    ...(o["shard"] !== undefined ? { shard: optNum("shard")! } : {}),
    source: { host: (source as Record<string, string>)["host"]!, ...(typeof peerId === "number" ? { peerId } : {}) },
    ...(o["qdrantVersion"] !== undefined ? { qdrantVersion: str("qdrantVersion") } : {}),
    ...(o["pointsCount"] !== undefined ? { pointsCount: optCount("pointsCount")! } : {}),
    ...(o["pointsCountAfter"] !== undefined ? { pointsCountAfter: optCount("pointsCountAfter")! } : {}),
    ...(config !== undefined ? { collectionConfig: config as Record<string, unknown> } : {}),
    aliases: aliases as string[],
    size,
    ...(sha !== undefined ? { sha256: sha } : {}),
    createdAt: str("createdAt"),
  };
}
