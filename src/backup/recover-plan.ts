// What recover_snap has to do, read from the state files: the snapshots per collection, and what the history says.
import { createSnapshotFilter } from "../lib/filter.js";
import { newestPerPeer } from "./recover-newest.js";
import type { Deps } from "./task/deps.js";
import { compareSnapshotNames, key } from "./task/items.js";

/** Names the bash tool wrote for a failed (`unknown`) or unconfirmed (`null`) create: nothing to recover. */
const BASH_PLACEHOLDERS = new Set(["unknown", "null"]);

export interface RecoveryPlan {
  /**
   * Each collection's snapshots to recover (QDRANT_SNAPSHOT_DATETIME_FILTER applied, each once), oldest first: the
   * newest per source peer, or every listed one with `all`.
   */
  byCollection: Map<string, string[]>;
  /** `key(host, snapshot)` of the recoveries recorded `ok` or `accepted`: never sent again. */
  done: Set<string>;
  /** Recoveries recorded `ok` without `verified`: their check failed, or the run stopped before it. */
  unverified: Set<string>;
  /** Recoveries whose check failed (`verify-<reason>` in failed_snapshot_recovery). */
  failedChecks: Set<string>;
}

/**
 * Reads `snapshots`, `snapshot_recovery_history` and `failed_snapshot_recovery` into the plan of a recover_snap run.
 * Unless `all`, only the newest snapshot of each collection and source peer is kept (after the filter).
 */
export async function readRecoveryPlan(
  deps: Pick<Deps, "config" | "log" | "state">,
  all = false,
): Promise<RecoveryPlan> {
  const { config, log, state } = deps;
  const keep = createSnapshotFilter(config.snapshotFilter);
  let placeholders = 0;
  const byCollection = new Map<string, string[]>();
  const seen = new Set<string>();
  for (const { collection, snapshot } of await state.read("snapshots")) {
    if (BASH_PLACEHOLDERS.has(snapshot)) {
      placeholders++;
      continue;
    }
    if (!keep(snapshot) || seen.has(key(collection, snapshot))) continue;
    seen.add(key(collection, snapshot));
    const names = byCollection.get(collection);
    if (names) names.push(snapshot);
    else byCollection.set(collection, [snapshot]);
  }
  // A bash-written file lists names as `mc ls` sorted them (peer id before the time stamp): order by time here.
  for (const names of byCollection.values()) names.sort(compareSnapshotNames);
  if (!all)
    for (const [collection, names] of byCollection) {
      const { chosen, passedOver, groups } = newestPerPeer(collection, names);
      byCollection.set(collection, chosen);
      if (passedOver > 0)
        log.info(
          `${collection}: recovering the newest snapshot of each of ${groups} source peer(s) (${chosen.join(", ")}); passed over ${passedOver} older one(s) (--all recovers every listed snapshot)`,
        );
    }
  if (placeholders > 0)
    log.warn(
      `Skipped ${placeholders} rows of the snapshots file without a snapshot name ("unknown"/"null", written by the bash tool for failed or unconfirmed snapshots)`,
    );
  // `accepted` rows are left alone too: Qdrant took the job; re-sending it could restore twice.
  const history = await state.read("snapshotRecoveryHistory");
  const done = new Set(
    history.filter((r) => r.status === "ok" || r.status === "accepted").map((r) => key(r.host, r.snapshot)),
  );
  const verified = new Set(history.filter((r) => r.status === "verified").map((r) => key(r.host, r.snapshot)));
  const unverified = new Set(
    history
      .filter((r) => r.status === "ok")
      .map((r) => key(r.host, r.snapshot))
      .filter((k) => !verified.has(k)),
  );
  const failedChecks = new Set(
    (await state.read("failedSnapshotRecovery"))
      .filter((r) => r.status.startsWith("verify-"))
      .map((r) => key(r.host, r.snapshot)),
  );
  return { byCollection, done, unverified, failedChecks };
}
