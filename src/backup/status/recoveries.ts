/**
 * The recoveries the state files record, per restore host: `snapshot_recovery_history` (recover_snap, upload_snap,
 * recover_full_snap: `ok`, `accepted`, `verified`), `failed_snapshot_recovery` and `shard_recovery_history`
 * (recover_snap_shards: `target,collection,set,shard,ok`, and `-,started` when a restore begins). Read with
 * StateStore.peek: nothing is written, a torn last line included.
 */
import type { StateStore } from "../../state/files.js";
import { joinKey } from "../../state/history.js";
import type { RestoreHostStatus } from "./model.js";

export interface Recoveries {
  readonly hosts: RestoreHostStatus[];
  /** Torn last lines left in place, one line each (`file: text (why)`). */
  readonly torn: string[];
}

/** Per host, the distinct snapshots (or sets, shards) of each kind of row. */
class HostRows {
  readonly ok = new Set<string>();
  readonly accepted = new Set<string>();
  readonly verified = new Set<string>();
  readonly failedRecovery = new Set<string>();
  readonly failedCheck = new Set<string>();
  readonly sets = new Set<string>();
  readonly shards = new Set<string>();

  status(host: string): RestoreHostStatus {
    const recovered = (s: string) => this.ok.has(s) || this.accepted.has(s);
    // A failure a later run made good (a recovery that succeeded since, a check that passed since) is none any more.
    const failed = new Set([
      ...[...this.failedRecovery].filter((s) => !recovered(s) && !this.verified.has(s)),
      ...[...this.failedCheck].filter((s) => !this.verified.has(s)),
    ]);
    return {
      host,
      recovered: this.ok.size,
      accepted: [...this.accepted].filter((s) => !this.ok.has(s)).length,
      verified: this.verified.size,
      failed: failed.size,
      setRestores: this.sets.size,
      shards: this.shards.size,
    };
  }
}

/** Reads the three files into one record per host, sorted by host. */
export async function readRecoveries(state: StateStore): Promise<Recoveries> {
  const history = await state.peek("snapshotRecoveryHistory");
  const failures = await state.peek("failedSnapshotRecovery");
  const shards = await state.peek("shardRecoveryHistory");
  const torn = (
    [
      ["snapshot_recovery_history", history.torn],
      ["failed_snapshot_recovery", failures.torn],
      ["shard_recovery_history", shards.torn],
    ] as const
  ).flatMap(([file, text]) => (text === undefined ? [] : [`${file}: ${text}`]));

  const byHost = new Map<string, HostRows>();
  const of = (host: string): HostRows => {
    let rows = byHost.get(host);
    if (rows === undefined) byHost.set(host, (rows = new HostRows()));
    return rows;
  };
  for (const { host, snapshot, status } of history.rows) {
    if (status === "ok") of(host).ok.add(snapshot);
    else if (status === "accepted") of(host).accepted.add(snapshot);
    else if (status === "verified") of(host).verified.add(snapshot);
  }
  for (const { host, snapshot, status } of failures.rows)
    (status.startsWith("verify-") ? of(host).failedCheck : of(host).failedRecovery).add(snapshot);
  for (const { target, collection, set, shard, status } of shards.rows) {
    of(target).sets.add(joinKey(collection, set));
    if (status === "ok") of(target).shards.add(joinKey(collection, set, shard));
  }
  const hosts = [...byHost.keys()].sort().map((host) => byHost.get(host)!.status(host));
  return { hosts, torn };
}
