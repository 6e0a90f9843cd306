// get_full_snap's listing of the source hosts' full-storage snapshots into `full_snapshots`, which recover_full_snap
// also runs when that file is empty.
import { isFullSnapshotName } from "./full-archive.js";
import { assertConfigured, hasDestination } from "../config.js";
import { createSnapshotFilter } from "../lib/filter.js";
import { mapPool } from "../lib/pool.js";
import { decodeKeySegment, fullSnapshotsPrefix } from "../core/keys.js";
import { compareSnapshotNames, describeError, distinct, isFatal, key } from "./task/items.js";
import { Tally } from "./task/tally.js";
import type { Deps, TaskSummary } from "./task/deps.js";

/**
 * get_full_snap: lists the full-storage snapshots of every source host (GET /snapshots) into `full_snapshots`,
 * oldest first per host, keeping the names that pass QDRANT_SNAPSHOT_DATETIME_FILTER. With
 * QDRANT_SNAPSHOT_TRANSFER=true and a destination, the copies under `full_snapshots/{host:port}/` count too (the node
 * may have deleted its own). Rows already in the file are not added again, so it can run after every backup.
 * Qdrant's S3 snapshot storage lists every object under `snapshots/` here (collection and shard snapshots too): only
 * `full-snapshot-YYYY-MM-DD-HH-MM-SS.snapshot` names are kept. Hosts sharing one bucket each list the same objects.
 */
export async function listFullSnapshots(deps: Deps): Promise<TaskSummary> {
  const { config, log, qdrant, state } = deps;
  assertConfigured(config, "get_full_snap", ["source"]);
  const fromStore = config.transfer && hasDestination(config);
  if (fromStore) assertConfigured(config, "get_full_snap", ["destination"]);
  const tally = new Tally("get_full_snap", deps.progress);
  const keep = createSnapshotFilter(config.snapshotFilter);
  const recorded = new Set((await state.read("fullSnapshots")).map((r) => key(r.host, r.snapshot)));
  let others = 0;

  await mapPool(
    distinct(config.sourceHosts),
    config.concurrency,
    async (host) => {
      const names = new Set<string>();
      try {
        for (const s of await qdrant.listFullSnapshots(host)) names.add(s.name);
      } catch (err) {
        if (isFatal(err)) throw err;
        log.error(`Listing full snapshots on ${host} failed: ${describeError(err)}`);
        tally.add("failed", { host, error: describeError(err) });
      }
      if (fromStore) {
        const prefix = fullSnapshotsPrefix(host);
        for (const k of await deps.store().listKeys(prefix)) {
          const rest = k.slice(prefix.length);
          if (!rest.includes("/")) names.add(decodeKeySegment(rest));
        }
      }
      const matching = [...names].filter((n) => {
        if (isFullSnapshotName(n)) return keep(n);
        others++;
        return false;
      });
      matching.sort(compareSnapshotNames);
      const fresh: string[] = [];
      for (const snapshot of matching) {
        if (recorded.has(key(host, snapshot))) tally.add("skipped", { host, snapshot });
        else {
          recorded.add(key(host, snapshot));
          fresh.push(snapshot);
        }
      }
      await state.appendMany(
        "fullSnapshots",
        fresh.map((snapshot) => ({ host, snapshot })),
      );
      for (const snapshot of fresh) tally.add("done", { host, snapshot });
      if (matching.length === 0) log.info(`No matching full snapshots on ${host}`);
    },
    deps.signal,
  );

  if (others > 0)
    log.info(
      `Ignored ${others} listed objects that are not full snapshots (Qdrant's S3 snapshot storage lists every snapshot)`,
    );
  return tally.finish(
    `Full snapshots found: ${tally.done} new, ${tally.skipped} already recorded, failed: ${tally.failed}`,
  );
}
