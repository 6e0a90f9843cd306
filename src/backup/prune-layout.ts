/**
 * prune_snap's view of the snapshot layout, as pure functions: which keys are snapshots it may delete, which group
 * each belongs to, and how a snapshot listed by a node maps onto the same key.
 *
 * Deletable keys are exactly:
 *   snapshots/{collection}/{name}.snapshot                  collection snapshot, group (collection, source peer)
 *   snapshots/{collection}/shards/{n}/{name}.snapshot       shard snapshot, group (collection, shard)
 *   full_snapshots/{host:port}/{name}.snapshot              full snapshot, group (host)
 * (each segment encoded as core/keys.ts encodes it), plus `metadataKeyOf` of a deleted one. Anything else under those
 * prefixes (checksums, JSON, deeper folders, Qdrant's own `snapshots/full-snapshot-….snapshot`) is never touched.
 */
import { joinKey } from "../state/history.js";
import {
  collectionSnapshotKey,
  decodeKeySegment,
  FULL_SNAPSHOTS_PREFIX,
  fullSnapshotKey,
  encodeKeySegment,
  shardSnapshotKey,
  SNAPSHOTS_PREFIX,
} from "../core/keys.js";

/** The set a retention policy applies to. `peer` is "" when the name carries none (a renamed or uploaded file). */
export type PruneGroup =
  | { readonly kind: "collection"; readonly collection: string; readonly peer: string }
  | { readonly kind: "shard"; readonly collection: string; readonly shard: number }
  | { readonly kind: "full"; readonly host: string };

/** A snapshot placed in the layout: its key (its identity everywhere it is stored), name and group. */
export interface LayoutSnapshot {
  readonly key: string;
  readonly name: string;
  readonly group: PruneGroup;
}

const STAMP = String.raw`\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}\.snapshot`;

/** A stable id for a group (for maps and sorting). */
export function groupId(group: PruneGroup): string {
  switch (group.kind) {
    case "collection":
      return joinKey("collection", group.collection, group.peer);
    case "shard":
      return joinKey("shard", group.collection, String(group.shard));
    case "full":
      return joinKey("full", group.host);
  }
}

/** The group for people: `collection c1 peer 42`, `shard c1/0`, `full 10.0.0.1:6333`. */
export function describeGroup(group: PruneGroup): string {
  switch (group.kind) {
    case "collection":
      return `collection ${group.collection} ${group.peer === "" ? "(no peer in name)" : `peer ${group.peer}`}`;
    case "shard":
      return `shard ${group.collection}/${group.shard}`;
    case "full":
      return `full ${group.host}`;
  }
}

/** The source peer id in a collection snapshot name `{collection}-{peer}-{ts}.snapshot`, or "". */
export function peerOfSnapshotName(collection: string, name: string): string {
  if (!name.startsWith(`${collection}-`)) return "";
  const m = new RegExp(`^(\\d+)-${STAMP}$`).exec(name.slice(collection.length + 1));
  return m?.[1] ?? "";
}

/** True for Qdrant's shard snapshot names of `collection`: `{collection}-shard-{n}-{ts}.snapshot`. */
export function isShardSnapshotNameOf(collection: string, name: string): boolean {
  return (
    name.startsWith(`${collection}-`) && new RegExp(`^shard-\\d+-${STAMP}$`).test(name.slice(collection.length + 1))
  );
}

/** True for Qdrant's full-storage snapshot names, `full-snapshot-{ts}.snapshot`. */
export function isFullSnapshotName(name: string): boolean {
  return new RegExp(`^full-snapshot-${STAMP}$`).test(name);
}

/** A plain `*.snapshot` file name (no path, not hidden). */
function isSnapshotFileName(name: string): boolean {
  return (
    name.endsWith(".snapshot") && name.length > ".snapshot".length && !name.startsWith(".") && !/[/\\\0]/.test(name)
  );
}

/**
 * The snapshot a destination key holds, or undefined when the key is outside the layout. The key must be exactly
 * what the layout would build for the decoded names, so a deletion never reaches a key the tool did not classify.
 */
export function classifyKey(key: string): LayoutSnapshot | undefined {
  const parts = key.split("/");
  const [head, a, b, c, d] = parts;
  if (head === SNAPSHOTS_PREFIX && parts.length === 3 && a && b) {
    const collection = decodeKeySegment(a);
    const name = decodeKeySegment(b);
    if (!isSnapshotFileName(name) || collectionSnapshotKey(collection, name) !== key) return undefined;
    return { key, name, group: { kind: "collection", collection, peer: peerOfSnapshotName(collection, name) } };
  }
  if (head === SNAPSHOTS_PREFIX && parts.length === 5 && a && b === "shards" && c && /^\d{1,9}$/.test(c) && d) {
    const collection = decodeKeySegment(a);
    const name = decodeKeySegment(d);
    const shard = Number(c);
    if (!isSnapshotFileName(name) || shardSnapshotKey(collection, shard, name) !== key) return undefined;
    return { key, name, group: { kind: "shard", collection, shard } };
  }
  if (head === FULL_SNAPSHOTS_PREFIX && parts.length === 3 && a && b) {
    const host = decodeKeySegment(a);
    const name = decodeKeySegment(b);
    if (
      !isSnapshotFileName(name) ||
      `${FULL_SNAPSHOTS_PREFIX}/${encodeKeySegment(host)}/${encodeKeySegment(name)}` !== key
    )
      return undefined;
    return { key, name, group: { kind: "full", host } };
  }
  return undefined;
}

/**
 * A collection snapshot listed by a node, placed in the layout; undefined for what prune_snap leaves alone there:
 * names that are not plain `*.snapshot` files and shard snapshots (a node on S3 storage lists those with the
 * collection's, by their last path segment; they are pruned as shard snapshots in the destination).
 */
export function placeNodeCollectionSnapshot(collection: string, name: string): LayoutSnapshot | undefined {
  if (!isSnapshotFileName(name) || isShardSnapshotNameOf(collection, name)) return undefined;
  return {
    key: collectionSnapshotKey(collection, name),
    name,
    group: { kind: "collection", collection, peer: peerOfSnapshotName(collection, name) },
  };
}

/**
 * A full snapshot listed by the node at `hostUrl`, keyed as the tool stores such a snapshot
 * (`full_snapshots/{host:port}/{name}`); undefined unless the name is Qdrant's full-snapshot name (a node on S3
 * storage lists every object under `snapshots/` here, collection and shard snapshots included).
 */
export function placeNodeFullSnapshot(hostUrl: string, name: string): LayoutSnapshot | undefined {
  if (!isFullSnapshotName(name)) return undefined;
  return { key: fullSnapshotKey(hostUrl, name), name, group: { kind: "full", host: new URL(hostUrl).host } };
}
