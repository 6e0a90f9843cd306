// recover_snap's default choice: per collection and source peer, only the newest listed snapshot.
import { peerIdOfSnapshot } from "./collect.js";
import { compareSnapshotNames } from "./task/items.js";

/** What was chosen for one collection: the snapshots to recover (oldest first) and how many older ones were left. */
export interface NewestChoice {
  chosen: string[];
  passedOver: number;
  /** How many groups: one per source peer, plus one for names without a peer id. */
  groups: number;
}

/**
 * Keeps, of one collection's snapshots, the newest of each source peer (the peer id in
 * `{collection}-{peer_id}-{YYYY-MM-DD-HH-MM-SS}.snapshot`); names of any other shape form one group of their own.
 * The result is ordered oldest first (several peers' snapshots of one cluster complete each other).
 */
export function newestPerPeer(collection: string, names: readonly string[]): NewestChoice {
  const newest = new Map<string, string>();
  for (const name of names) {
    const peer = peerIdOfSnapshot(collection, name);
    const group = peer === undefined ? "other" : `peer ${peer}`;
    const current = newest.get(group);
    if (current === undefined || compareSnapshotNames(current, name) < 0) newest.set(group, name);
  }
  const chosen = [...newest.values()].sort(compareSnapshotNames);
  return { chosen, passedOver: names.length - chosen.length, groups: newest.size };
}
