/**
 * Writes a backup set by hand, as create_snap_shards would (until the lead swaps this for it): one shard snapshot
 * per shard, taken with the API on a peer holding the shard (Qdrant's S3 snapshot storage puts it at
 * `snapshots/{c}/shards/{sid}/{name}`), HEADed for size and ETag, then the schema-2 manifest written last with
 * serializeManifest to `backup_manifests/{c}/{set_id}.json`.
 */
import { HeadObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { serializeManifest, type Manifest } from "../../../src/backup/sets/manifest.js";
import { manifestKey, shardsPrefix } from "../../../src/core/set-keys.js";
import { isObject, type Json } from "../emulator/json.js";
import { qdrantCall } from "../emulator/seed.js";

export interface SourcePeer {
  peerId: bigint | string;
  url: string;
}

export interface HandSetOptions {
  s3: S3Client;
  bucket: string;
  peers: readonly SourcePeer[];
  collection: string;
  setId: string;
  apiKey?: string;
  /** Changes the manifest before it is written (a test's tampering). */
  edit?: (m: Manifest) => void;
}

const enc = encodeURIComponent;

function obj(v: Json | undefined, what: string): Record<string, Json> {
  if (!isObject(v)) throw new Error(`${what} is not an object`);
  return v;
}

/** Takes the set and writes its manifest; returns the manifest. */
export async function writeSetByHand(o: HandSetOptions): Promise<Manifest> {
  const first = o.peers[0]!.url;
  const c = o.collection;
  const info = obj(await qdrantCall(first, "GET", `/collections/${enc(c)}`, o.apiKey), "collection info");
  const params = obj(obj(info["config"], "config")["params"], "params");
  const cluster = obj(await qdrantCall(first, "GET", `/collections/${enc(c)}/cluster`, o.apiKey), "cluster");
  const holders = new Map<number, string>();
  for (const s of (cluster["local_shards"] as Json[]) ?? [])
    holders.set(Number(obj(s, "shard")["shard_id"]), String(cluster["peer_id"]));
  for (const s of (cluster["remote_shards"] as Json[]) ?? []) {
    const r = obj(s, "shard");
    if (!holders.has(Number(r["shard_id"]))) holders.set(Number(r["shard_id"]), String(r["peer_id"]));
  }
  const version = await (await fetch(`${first}/`)).json();
  const count = obj(
    await qdrantCall(first, "POST", `/collections/${enc(c)}/points/count`, o.apiKey, { exact: true }),
    "count",
  );
  const aliases = obj(await qdrantCall(first, "GET", `/collections/${enc(c)}/aliases`, o.apiKey), "aliases");
  const shardCount = Number(params["shard_number"] ?? 1);
  const shards: Manifest["shards"] = [];
  for (let sid = 0; sid < shardCount; sid++) {
    const peerId = holders.get(sid) ?? String(o.peers[0]!.peerId);
    const peer = o.peers.find((p) => String(p.peerId) === peerId)?.url ?? first;
    const created = obj(
      await qdrantCall(peer, "POST", `/collections/${enc(c)}/shards/${sid}/snapshots?wait=true`, o.apiKey),
      "snapshot",
    );
    const name = String(created["name"]);
    const key = `${shardsPrefix(c)}${sid}/${name}`;
    const head = await o.s3.send(new HeadObjectCommand({ Bucket: o.bucket, Key: key }));
    shards.push({
      id: sid,
      snapshot_name: name,
      s3_key: key,
      size: Number(head.ContentLength),
      etag: String(head.ETag).replace(/^"|"$/g, ""),
      checksum: typeof created["checksum"] === "string" ? created["checksum"] : "",
      source_peer_id: peerId,
      created_at: new Date().toISOString().replace(/\.\d{3}Z$/, "Z"),
    });
  }
  const m: Manifest = {
    schema_version: 2,
    backup_set_id: o.setId,
    collection: c,
    qdrant_version: String((version as { version?: string }).version ?? "unknown"),
    sharding_method: "auto",
    shard_count: shardCount,
    points_count: Number(count["count"]),
    collection_config: info as Record<string, unknown>,
    aliases: ((aliases["aliases"] as Json[]) ?? []).map((a) => String(obj(a, "alias")["alias_name"])),
    created_by: "qdrant-backup-restore@test-hand-written",
    shards,
    points_count_before: Number(count["count"]),
    points_count_after: Number(count["count"]),
  };
  o.edit?.(m);
  await o.s3.send(
    new PutObjectCommand({
      Bucket: o.bucket,
      Key: manifestKey(c, o.setId),
      Body: serializeManifest(m),
      ContentType: "application/json",
    }),
  );
  return m;
}
