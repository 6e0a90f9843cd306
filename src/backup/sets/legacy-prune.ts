/**
 * prune_snap --legacy: the day-0 cleanup of the collection snapshots the legacy flow (create_snap) left in the
 * destination, as the bash tool does it: per (collection, peer), the newest QDRANT_LEGACY_KEEP_RUNS snapshots are
 * kept and the rest deleted with their `.checksum` companion (and this tool's metadata). Only objects directly under
 * `snapshots/{c}/` named `{c}-{peer}-{YYYY-MM-DD-HH-MM-SS}.snapshot` are considered; a name that does not parse is
 * never deleted, and `shards/`, manifests and restore state are never touched. A listing error deletes nothing of
 * that collection. A dry run unless `remove`.
 */
import {
  collectionSnapshotsPrefix,
  encodeKeySegment,
  METADATA_PREFIX,
  metadataKeyOf,
  snapshotNameFromKey,
} from "../../core/keys.js";
import { InterruptedError } from "../../errors.js";
import { mapPool } from "../../lib/pool.js";
import type { SnapshotStore } from "../../store/types.js";
import { peerOfSnapshotName } from "../prune-layout.js";
import { parseSnapshotTime } from "../retention.js";
import { describeError } from "../task/items.js";
import type { Deps } from "../task/deps.js";
import { PruneItems, type PruneReport } from "./prune-report.js";

interface LegacySnapshot {
  readonly key: string;
  readonly name: string;
  readonly time: Date;
}

/**
 * The legacy snapshots among `keys` (a recursive listing of `snapshots/{c}/`), grouped by peer, newest first;
 * plus how many direct objects were left alone because their names do not parse.
 */
export function groupLegacySnapshots(
  collection: string,
  keys: readonly string[],
): { byPeer: Map<string, LegacySnapshot[]>; unparsed: string[] } {
  const prefix = collectionSnapshotsPrefix(collection);
  const byPeer = new Map<string, LegacySnapshot[]>();
  const unparsed: string[] = [];
  for (const key of keys) {
    const name = snapshotNameFromKey(key, prefix);
    if (name === undefined) continue; // shards/…, .checksum companions, other objects: not legacy snapshots
    const peer = peerOfSnapshotName(collection, name);
    const time = parseSnapshotTime(name);
    if (peer === "" || time === undefined) {
      unparsed.push(key);
      continue;
    }
    const list = byPeer.get(peer) ?? [];
    list.push({ key, name, time });
    byPeer.set(peer, list);
  }
  for (const list of byPeer.values())
    list.sort((a, b) => b.time.getTime() - a.time.getTime() || (a.name < b.name ? 1 : a.name > b.name ? -1 : 0));
  return { byPeer, unparsed };
}

/** Prunes the legacy collection snapshots of `collections` in `store`, keeping QDRANT_LEGACY_KEEP_RUNS per peer. */
export async function pruneLegacy(
  deps: Deps,
  store: SnapshotStore,
  collections: readonly string[],
  remove: boolean,
): Promise<PruneReport> {
  const { config, log } = deps;
  const keep = config.sets.legacyKeepRuns;
  const out = new PruneItems();
  log.info(
    `${remove ? "Pruning legacy snapshots" : "Dry run for legacy snapshots (nothing is deleted; --confirm deletes)"}: ` +
      `keep the newest ${keep} per collection and peer (QDRANT_LEGACY_KEEP_RUNS) in ${store.location}`,
  );
  await mapPool(collections, config.concurrency, (c) => pruneOne(deps, store, c, keep, remove, out), deps.signal);
  const what = `${out.deleted} legacy ${out.deleted === 1 ? "snapshot" : "snapshots"}`;
  const failed = out.failed > 0 ? `, ${out.failed} failed` : "";
  return out.report(
    remove ? `Legacy: deleted ${what}${failed}` : `Legacy (dry run): ${what} would be deleted${failed}`,
  );
}

async function pruneOne(
  deps: Deps,
  store: SnapshotStore,
  collection: string,
  keep: number,
  remove: boolean,
  out: PruneItems,
): Promise<void> {
  const { log } = deps;
  let listed: Set<string>;
  try {
    const keys = await store.listKeys(collectionSnapshotsPrefix(collection));
    const metadata = await store.listKeys(`${METADATA_PREFIX}/${encodeKeySegment(collection)}/`);
    listed = new Set([...keys, ...metadata]);
  } catch (err) {
    if (err instanceof InterruptedError) throw err;
    const error = `cannot list ${collection} in ${store.location}: ${describeError(err)}; nothing of it was deleted`;
    log.error(`legacy ${collection}: ${error}`);
    out.add("failed", { group: `legacy ${collection}`, key: "", action: "list", error });
    return;
  }
  const { byPeer, unparsed } = groupLegacySnapshots(collection, [...listed]);
  for (const key of unparsed)
    log.info(`keep ${key} (legacy ${collection}: its name is not {collection}-{peer}-{time})`);
  for (const [peer, snapshots] of [...byPeer].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const group = `legacy ${collection} peer ${peer}`;
    snapshots.forEach((s, i) => {
      if (i >= keep) return;
      log.info(`keep ${s.key} (${group}; newest ${i + 1})`);
      out.add("skipped", { group, key: s.key, action: "keep", rules: `newest ${i + 1}` });
    });
    for (const s of snapshots.slice(keep).reverse()) {
      const companions = [`${s.key}.checksum`, metadataKeyOf(s.key)].filter((k) => listed.has(k));
      if (!remove) {
        log.info(`would delete ${[s.key, ...companions].join(", ")} (${group})`);
        out.deleted += 1;
        out.add("skipped", { group, key: s.key, action: "delete", rules: "" });
        continue;
      }
      const errors: string[] = [];
      for (const key of [s.key, ...companions]) {
        if (deps.signal.aborted) throw new InterruptedError();
        try {
          await store.delete(key);
        } catch (err) {
          if (err instanceof InterruptedError) throw err;
          errors.push(`cannot delete ${key}: ${describeError(err)}`);
          if (key === s.key) break; // its companions stay with it
          continue;
        }
        const at = deps.clock().toISOString();
        await deps.state.append("prunedSnapshots", { location: store.location, key, deleted_at: at });
      }
      if (errors.length === 0) {
        log.info(`Deleted ${s.key} (${group})`);
        out.deleted += 1;
        out.add("done", { group, key: s.key, action: "delete", rules: "" });
      } else {
        log.error(`${group}: ${errors.join("; ")}`);
        out.add("failed", { group, key: s.key, action: "delete", error: errors.join("; ") });
      }
    }
  }
}
