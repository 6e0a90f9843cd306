/**
 * prune_snap's inventory: every snapshot in the destination and on the nodes, merged by key into groups.
 *
 * One snapshot, one decision: a snapshot is identified by its key in the layout (prune-layout.ts), wherever it is
 * stored. A node on S3 snapshot storage lists the very objects the destination bucket holds under the same keys,
 * and a node on local storage in transfer mode keeps a copy of what the destination holds; either way the key is
 * the same, so the snapshot is counted once, in one group, and a deletion removes it from every place it was listed
 * (the destination first; a node then answering 404 means it is already gone, e.g. the shared S3 object).
 *
 * Shard snapshots of a collection that has backup sets (a folder under `backup_manifests/`) are left out: the
 * retention of sets and the orphan sweep govern them (sets/prune-sets.ts).
 *
 * Every listing must succeed before anything is decided: a failed listing ends the run (exit 4), nothing deleted.
 */
import type { Deps } from "./task/deps.js";
import { describeError } from "./task/items.js";
import { InterruptedError, UpstreamError } from "../errors.js";
import { mapPool } from "../lib/pool.js";
import type { SnapshotRef } from "../qdrant/client.js";
import { FULL_SNAPSHOTS_PREFIX, METADATA_PREFIX, SNAPSHOTS_PREFIX } from "../core/keys.js";
import { collectionFromManifestsPrefix, MANIFESTS_PREFIX } from "../core/set-keys.js";
import type { SnapshotStore } from "../store/types.js";
import {
  classifyKey,
  groupId,
  placeNodeCollectionSnapshot,
  placeNodeFullSnapshot,
  type LayoutSnapshot,
  type PruneGroup,
} from "./prune-layout.js";
import { parseCreationTime, parseSnapshotTime } from "./retention.js";

/** Where one copy of a snapshot is: the destination (under the candidate's key), or a node (through its API). */
export type Place =
  { readonly kind: "store" } | { readonly kind: "node"; readonly host: string; readonly ref: SnapshotRef };

/** One snapshot as prune_snap sees it: its key, group, time and every place it was listed. */
export interface Candidate extends LayoutSnapshot {
  /** From the name; else the object's LastModified or the node's creation_time; undefined when none is known. */
  time: Date | undefined;
  readonly places: Place[];
}

export interface GroupInventory {
  readonly group: PruneGroup;
  readonly candidates: Candidate[];
}

export interface Inventory {
  /** By groupId, in first-listed order. */
  readonly groups: Map<string, GroupInventory>;
  /** Metadata keys that exist in the destination (`backup_metadata/…json`). */
  readonly metadataKeys: ReadonlySet<string>;
  /** Destination keys under the prefixes that are outside the layout (left alone). */
  readonly ignored: number;
  /** Shard snapshots of collections with backup sets: left to the retention of sets and the orphan sweep. */
  readonly setShards: number;
}

/**
 * Lists the destination (`store`, when there is one) and `nodes`, and merges what they hold.
 * @throws UpstreamError (exit 4) naming what could not be listed; InterruptedError when aborted
 */
export async function listInventory(
  deps: Deps,
  store: SnapshotStore | undefined,
  nodes: readonly string[],
): Promise<Inventory> {
  const groups = new Map<string, GroupInventory>();
  const byKey = new Map<string, Candidate>();
  const add = (snap: LayoutSnapshot, place: Place, fallback: Date | undefined): void => {
    const found = byKey.get(snap.key);
    if (found) {
      if (!found.places.some((p) => samePlace(p, place))) found.places.push(place);
      found.time ??= fallback;
      return;
    }
    const candidate: Candidate = { ...snap, time: parseSnapshotTime(snap.name) ?? fallback, places: [place] };
    byKey.set(snap.key, candidate);
    const id = groupId(snap.group);
    const inventory = groups.get(id) ?? { group: snap.group, candidates: [] };
    inventory.candidates.push(candidate);
    groups.set(id, inventory);
  };

  let ignored = 0;
  let setShards = 0;
  const metadataKeys = new Set<string>();
  if (store) {
    const [[snapshots, fulls, metadata], setFolders] = await Promise.all([
      Promise.all(
        [`${SNAPSHOTS_PREFIX}/`, `${FULL_SNAPSHOTS_PREFIX}/`, `${METADATA_PREFIX}/`].map((prefix) =>
          listing(`${store.location}/${prefix}`, () => store.listObjects(prefix)),
        ),
      ),
      listing(`${store.location}/${MANIFESTS_PREFIX}/`, () => store.listPrefixes(`${MANIFESTS_PREFIX}/`)),
    ]);
    // A shard snapshot of a collection with sets belongs to a set or is an orphan: never pruned as a group of its own.
    const withSets = new Set(setFolders.map(collectionFromManifestsPrefix));
    for (const object of [...(snapshots ?? []), ...(fulls ?? [])]) {
      const snap = classifyKey(object.key);
      if (snap?.group.kind === "shard" && withSets.has(snap.group.collection)) setShards += 1;
      else if (snap) add(snap, { kind: "store" }, object.lastModified);
      else ignored += 1;
    }
    for (const object of metadata ?? []) metadataKeys.add(object.key);
  }

  const listed = await mapPool(nodes, deps.config.concurrency, (host) => listNode(deps, host), deps.signal);
  for (const entries of listed) for (const e of entries) add(e.snap, e.place, e.created);
  return { groups, metadataKeys, ignored, setShards };
}

interface NodeEntry {
  snap: LayoutSnapshot;
  place: Place;
  created: Date | undefined;
}

/** The collection and full snapshots of one node (shard snapshots on nodes are not pruned). */
async function listNode(deps: Deps, host: string): Promise<NodeEntry[]> {
  const { qdrant } = deps;
  const collections = await listing(`the collections of ${host}`, () => qdrant.listCollections(host));
  const perCollection = await mapPool(
    collections,
    deps.config.concurrency,
    async (collection) => {
      const list = await listing(`the snapshots of ${collection} on ${host}`, () =>
        qdrant.listSnapshots(host, collection),
      );
      return list.flatMap((s): NodeEntry[] => {
        const snap = placeNodeCollectionSnapshot(collection, s.name);
        return snap
          ? [
              {
                snap,
                place: { kind: "node", host, ref: { kind: "collection", collection, name: s.name } },
                created: parseCreationTime(s.creation_time),
              },
            ]
          : [];
      });
    },
    deps.signal,
  );
  const fulls = await listing(`the full snapshots of ${host}`, () => qdrant.listFullSnapshots(host));
  const fullEntries = fulls.flatMap((s): NodeEntry[] => {
    const snap = placeNodeFullSnapshot(host, s.name);
    return snap
      ? [
          {
            snap,
            place: { kind: "node", host, ref: { kind: "full", name: s.name } },
            created: parseCreationTime(s.creation_time),
          },
        ]
      : [];
  });
  return [...perCollection.flat(), ...fullEntries];
}

/** Runs one listing; any failure becomes the refusal to prune (exit 4), naming what could not be listed. */
async function listing<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof InterruptedError) throw err;
    throw new UpstreamError(
      `prune_snap: cannot list ${what}: ${describeError(err)}; refusing to prune, nothing was deleted`,
      { cause: err },
    );
  }
}

function samePlace(a: Place, b: Place): boolean {
  return a.kind === "store" ? b.kind === "store" : b.kind === "node" && a.host === b.host;
}
