/**
 * A collection's newest backup set whose manifest reads (as recover_snap_shards picks one: backup/sets/set-listing.ts, newest
 * first), with what its manifest says. Reads only.
 */
import type { SnapshotStore } from "../../store/types.js";
import { parseCreationTime } from "../retention.js";
import { newestFirst, setIdTime } from "../sets/set-id.js";
import { isReadable, listSetIds, readSet } from "../sets/set-listing.js";
import type { Manifest } from "../sets/manifest.js";
import type { NewestBackup } from "./model.js";

/** The newest readable set of `collection` in `store`; undefined when it has no manifest at all. */
export async function newestSet(store: SnapshotStore, collection: string): Promise<NewestBackup | undefined> {
  const ids = newestFirst(await listSetIds(store, collection));
  if (ids.length === 0) return undefined;
  const unreadable: string[] = [];
  for (const id of ids) {
    const set = await readSet(store, collection, id);
    if (!isReadable(set)) {
      unreadable.push(set.problem);
      continue;
    }
    const problem = unreadable.length
      ? `${unreadable.length} newer set(s) unreadable: ${unreadable.join("; ")}`
      : undefined;
    return facts(id, set.manifest, ids.length, problem);
  }
  return {
    id: "",
    time: undefined,
    size: undefined,
    sources: [],
    qdrantVersion: undefined,
    points: undefined,
    kept: ids.length,
    spread: 0,
    usable: false,
    problem: `no set has a readable manifest: ${unreadable.join("; ")}`,
  };
}

function facts(id: string, m: Manifest, kept: number, problem: string | undefined): NewestBackup {
  const shardTimes = m.shards.flatMap((s) => parseCreationTime(s.created_at)?.getTime() ?? []);
  const peers = [...new Set(m.shards.map((s) => s.source_peer_id).filter((p) => p !== ""))];
  return {
    id,
    time: setIdTime(id) ?? (shardTimes.length ? new Date(Math.max(...shardTimes)) : undefined),
    size: m.shards.reduce((sum, s) => sum + s.size, 0),
    sources: peers.map((p) => `peer ${p}`),
    qdrantVersion: m.qdrant_version,
    points: m.points_count ?? undefined,
    kept,
    spread: m.shard_count,
    usable: true,
    problem,
  };
}
