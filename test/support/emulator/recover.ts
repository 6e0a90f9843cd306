/**
 * Snapshot recovery: parse the request, resolve `location`, then create-or-check the collection
 * and replace the data of this peer's local replicas, resyncing others per `priority`.
 */
import type { Schemas } from "@qdrant/js-client-rest";
import { randomUUID } from "node:crypto";
import { realpath, stat } from "node:fs/promises";
import { join, sep } from "node:path";
import { readCollectionArchive } from "./archive.js";
import { debugVectors } from "./config-views.js";
import type { NodeRuntime } from "./context.js";
import { ApiError, badRequest, forbidden, serviceError, wrongInput } from "./envelope.js";
import { loadArchive, type ArchiveSource } from "./fetch-archive.js";
import { formatError, jsonEqual, parseJson, Reader, type Json } from "./json.js";
import { replaceReplicaData, type PeerId, type Shard, type StoredPoint } from "./state.js";

export type Priority = Schemas["SnapshotPriority"];
export const PRIORITIES: readonly Priority[] = ["no_sync", "snapshot", "replica"];

export interface RecoverRequest {
  location: string;
  priority: Priority;
  checksum: string | undefined;
  apiKey: string | undefined;
}

/** A checksum must be 64 hex digits; anything else is a 422 from the request validator. */
export function checkChecksumFormat(checksum: string | undefined, where: "body" | "query"): void {
  if (checksum === undefined || /^[0-9a-fA-F]{64}$/.test(checksum.trim())) return;
  const msg = "[checksum: value must be a 64-character hex SHA-256 digest]";
  throw new ApiError(422, `Validation error in ${where === "body" ? "JSON body" : "query parameters"}: ${msg}`);
}

/** `SnapshotRecover` / `ShardSnapshotRecover`; for collections `location` must parse as a URL. */
export function parseRecoverBody(body: Json, requireUrl: boolean): RecoverRequest {
  const r = Reader.of(body, "");
  const location = r.string("location");
  if (requireUrl && !URL.canParse(location)) {
    throw formatError("body", `location: relative URL without a base: ${JSON.stringify(location)}`);
  }
  const checksum = r.optString("checksum");
  checkChecksumFormat(checksum, "body");
  return {
    location,
    priority: r.optEnum("priority", PRIORITIES) ?? "snapshot",
    checksum,
    apiKey: r.optString("api_key"),
  };
}

/** Resolve a collection recover `location` (http/https/file) into an archive source. */
export async function collectionSource(node: NodeRuntime, req: RecoverRequest): Promise<ArchiveSource> {
  const url = new URL(req.location);
  const scheme = url.protocol.replace(/:$/, "");
  if (scheme === "http" || scheme === "https")
    return { kind: "url", url: url.href, apiKey: req.apiKey, dispatcher: node.shared.downloads };
  if (scheme !== "file") throw badRequest(`URL ${req.location} with scheme ${scheme} is not supported`);
  if (url.host !== "" && url.host !== "localhost") {
    throw badRequest("Invalid snapshot URI, file path must be absolute or on localhost");
  }
  const path = decodeURIComponent(url.pathname);
  try {
    await stat(path);
  } catch {
    throw badRequest(`Snapshot file "${path}" does not exist`);
  }
  const [real, root] = await Promise.all([realpath(path), realpath(node.snapshotsDir)]);
  if (!real.startsWith(root + sep)) {
    throw forbidden(`Snapshot file path must be inside the snapshots directory ${node.snapshotsDir}`);
  }
  return { kind: "file", path: real };
}

/**
 * Put recovered points on this peer's replica and settle the other replicas per priority. `indexes` are the payload
 * indexes the snapshot's segments carry: they stay on the replica (Qdrant never drops a segment's indexes on load).
 */
export function restoreReplica(
  shard: Shard,
  peerId: PeerId,
  points: StoredPoint[],
  priority: Priority,
  indexes: Map<string, Json> = new Map(),
): void {
  const local = shard.replicas.get(peerId);
  if (!local) return;
  replaceReplicaData(local, points);
  local.segmentIndexes = new Map(indexes);
  local.state = "Active";
  const others = [...shard.replicas.values()].filter((r) => r.peerId !== peerId);
  if (priority === "snapshot") {
    // Emulates Qdrant marking the other replicas dead and resyncing them from this one.
    for (const o of others) {
      replaceReplicaData(o, points);
      o.segmentIndexes = new Map(indexes);
      o.state = "Active";
    }
  } else if (priority === "replica") {
    const source = others.find((o) => o.state === "Active");
    if (source) replaceReplicaData(local, source.points.values());
  }
}

/** Recover collection `name` on `node` from an archive (the body of PUT …/snapshots/recover and upload). */
export async function recoverCollection(
  node: NodeRuntime,
  name: string,
  source: ArchiveSource,
  checksum: string | undefined,
  priority: Priority,
): Promise<true> {
  const archive = await readCollectionArchive(await loadArchive(source, checksum));
  const d = node.deployment;
  if (!d.distributed) {
    const remote = [...archive.shards.values()].find((s) => !s.isLocal);
    if (remote) {
      const at = join(node.snapshotsDir, "tmp", `${name}-recovery`, String(remote.shardId));
      throw serviceError(`Can't restore snapshot in local mode with missing data at shard: ${at}`);
    }
  }
  let c = d.find(name);
  if (!c) {
    c = d.create(name, { ...archive.config, uuid: randomUUID() }, archive.payloadIndex);
  } else {
    const mine = c.config.params;
    const theirs = archive.config.params;
    if (!jsonEqual(toJson(mine.vectors), toJson(theirs.vectors))) {
      throw wrongInput(
        `Snapshot is not compatible with existing collection: Collection vectors: ${debugVectors(mine.vectors)} Snapshot Vectors: ${debugVectors(theirs.vectors)}`,
      );
    }
    if (mine.shard_number !== theirs.shard_number) {
      throw wrongInput(
        `Snapshot is not compatible with existing collection: Collection shard number: ${mine.shard_number} Snapshot shard number: ${theirs.shard_number}`,
      );
    }
  }
  for (const shard of c.shards) {
    const data = archive.shards.get(shard.id);
    if (data?.points) restoreReplica(shard, node.peerId, data.points, priority, data.indexes);
  }
  // Qdrant may report a freshly recovered collection grey (optimizations pending) or yellow; see faults.afterRecover.
  const health = node.shared.afterRecover;
  if (health) c.health = { ...health };
  else delete c.health;
  return true;
}

/** Config objects are plain JSON data; round-trip them to compare structurally. */
function toJson(v: unknown): Json {
  return parseJson(JSON.stringify(v) ?? "null", "file");
}
