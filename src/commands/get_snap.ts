import { createSnapshotFilter } from "../lib/filter.js";
import { mapPool } from "../lib/pool.js";
import { isShardSnapshotName } from "../core/keys.js";
import {
  claimSnapshots,
  compareSnapshotNames,
  describeError,
  ensureCollections,
  isFatal,
} from "../backup/task/items.js";
import { Tally } from "../backup/task/tally.js";
import type { Deps, TaskOptions, TaskSummary } from "../backup/task/deps.js";

/**
 * get_snap: list each collection's snapshots on the host named in `collections` into `snapshots`, keeping the
 * names that pass QDRANT_SNAPSHOT_DATETIME_FILTER. Does nothing when `snapshots` already has rows, like the script.
 */
export async function run(_options: TaskOptions, deps: Deps): Promise<TaskSummary> {
  const { config, log, qdrant, state } = deps;
  const tally = new Tally("get_snap", deps.progress);
  const collections = await ensureCollections(deps, "get_snap");
  if (!(await state.isEmpty("snapshots"))) {
    return tally.finish("snapshots file already has rows; nothing fetched (run reset to start over)");
  }
  const keep = createSnapshotFilter(config.snapshotFilter);
  let shardSnapshots = 0;
  // Hosts sharing one bucket (S3 snapshot storage) all list the same objects: record each snapshot once.
  const seen = new Set<string>();
  await mapPool(
    collections,
    config.concurrency,
    async ({ host, collection }) => {
      try {
        const all = await qdrant.listSnapshots(host, collection);
        // With S3 snapshot storage Qdrant's listing also returns shard snapshots; they are not collection snapshots.
        const names = all
          .map((s) => s.name)
          .filter((n) => {
            const shard = isShardSnapshotName(n);
            if (shard) shardSnapshots++;
            return !shard && keep(n);
          });
        names.sort(compareSnapshotNames);
        const { fresh } = claimSnapshots(seen, collection, names);
        await state.appendMany(
          "snapshots",
          fresh.map((snapshot) => ({ host, collection, snapshot })),
        );
        for (const snapshot of fresh) tally.add("done", { host, collection, snapshot });
        if (names.length === 0) log.info(`No matching snapshots of ${collection} on ${host}`);
      } catch (err) {
        if (isFatal(err)) throw err;
        log.error(`Listing snapshots of ${collection} on ${host} failed: ${describeError(err)}`);
        tally.add("failed", { host, collection, error: describeError(err) });
      }
    },
    deps.signal,
  );
  if (shardSnapshots > 0)
    log.info(`Skipped ${shardSnapshots} shard snapshots (not restorable as collection snapshots)`);
  return tally.finish(`Snapshots found: ${tally.done} in ${collections.length} collections, failed: ${tally.failed}`);
}
