// prune_snap's deletions: a snapshot from every place that lists it, then its metadata, and orphaned metadata.
import { metadataKeyOf } from "../core/keys.js";
import { InterruptedError } from "../errors.js";
import { QdrantError } from "../qdrant/errors.js";
import type { SnapshotStore } from "../store/types.js";
import type { Candidate, Inventory, Place } from "./prune-sources.js";
import { describeError } from "./task/items.js";
import type { Deps } from "./task/deps.js";

/**
 * Deletes `candidate` from the destination first, then from each node that listed it (404 there: already gone, as
 * when the node's S3 storage is the destination bucket), then its metadata once no copy failed. Each deletion is
 * appended to `pruned_snapshots` right after it succeeds (a state file that cannot be written ends the run).
 * @returns the failures, one line each (empty when every copy is gone)
 */
export async function deleteEverywhere(
  deps: Deps,
  candidate: Candidate,
  store: SnapshotStore | undefined,
  metadataKeys: ReadonlySet<string>,
): Promise<string[]> {
  const errors: string[] = [];
  const record = (location: string, key: string) =>
    deps.state.append("prunedSnapshots", { location, key, deleted_at: deps.clock().toISOString() });
  const places = [...candidate.places].sort((a, b) => (a.kind === b.kind ? 0 : a.kind === "store" ? -1 : 1));
  for (const place of places) {
    const where = placeName(place, store);
    try {
      if (place.kind === "store") await store?.delete(candidate.key);
      else await deps.qdrant.deleteSnapshot(place.host, place.ref, true);
    } catch (err) {
      if (err instanceof InterruptedError) throw err;
      if (place.kind === "node" && err instanceof QdrantError && err.status === 404) {
        deps.log.info(
          `${candidate.key} is no longer on ${place.host} (already deleted, or the node's S3 storage is the destination)`,
        );
        continue;
      }
      errors.push(`${where}: ${describeError(err)}`);
      continue;
    }
    await record(where, candidate.key);
  }
  const metadataKey = metadataKeyOf(candidate.key);
  if (errors.length === 0 && store && metadataKeys.has(metadataKey)) {
    try {
      await store.delete(metadataKey);
    } catch (err) {
      if (err instanceof InterruptedError) throw err;
      return [`${store.location}: metadata ${metadataKey}: ${describeError(err)}`];
    }
    await record(store.location, metadataKey);
  }
  return errors;
}

/**
 * A run killed between a snapshot's last copy and its metadata leaves the metadata behind, and the next run no longer
 * lists the snapshot. Metadata is deleted here only for snapshots that pruned_snapshots records as deleted by this
 * tool and that nothing lists any more, so it never touches the metadata of a snapshot that still exists somewhere.
 */
export async function deleteOrphanedMetadata(deps: Deps, store: SnapshotStore, inventory: Inventory): Promise<void> {
  const listed = new Set([...inventory.groups.values()].flatMap((g) => g.candidates.map((c) => c.key)));
  const orphans = new Set(
    (await deps.state.read("prunedSnapshots"))
      .map((r) => metadataKeyOf(r.key))
      .filter((m) => inventory.metadataKeys.has(m)),
  );
  for (const candidate of listed) orphans.delete(metadataKeyOf(candidate));
  for (const key of [...orphans].sort()) {
    if (deps.signal.aborted) throw new InterruptedError();
    try {
      await store.delete(key);
    } catch (err) {
      if (err instanceof InterruptedError) throw err;
      deps.log.warn(`Cannot delete ${key}, the metadata of a snapshot deleted earlier: ${describeError(err)}`);
      continue;
    }
    await deps.state.append("prunedSnapshots", {
      location: store.location,
      key,
      deleted_at: deps.clock().toISOString(),
    });
    deps.log.info(
      `Deleted ${key} from ${store.location}: the metadata of a snapshot an earlier run deleted (it was interrupted before its metadata)`,
    );
  }
}

/** Where a snapshot copy is, for messages and `pruned_snapshots`: the destination's location or the node. */
export function placeName(place: Place, store: SnapshotStore | undefined): string {
  return place.kind === "store" ? (store?.location ?? "destination") : place.host;
}
