// get_snap_s3's listing of the destination into `snapshots`, which recover_snap also runs when that file is empty.
import { createSnapshotFilter } from "../lib/filter.js";
import { mapPool } from "../lib/pool.js";
import {
  collectionFromPrefix,
  collectionSnapshotsPrefix,
  SNAPSHOTS_PREFIX,
  snapshotNameFromKey,
} from "../core/keys.js";
import type { Row } from "../state/files.js";
import { claimSnapshots, compareSnapshotNames, key } from "./task/items.js";
import { Tally } from "./task/tally.js";
import type { Deps, TaskSummary } from "./task/deps.js";

/**
 * get_snap_s3: builds `snapshots` from the bucket (or QDRANT_BACKUP_DIR, same layout): for each collection, the
 * objects directly under `snapshots/{collection}/` (shard snapshots and other objects are left out), filtered,
 * oldest first.
 * Collections come from `collections`, or, when that file is empty, from the bucket's `snapshots/` folders,
 * so a restore needs no access to the source. Rows already in `snapshots` are not written again.
 */
export async function listStoreSnapshots(deps: Deps): Promise<TaskSummary> {
  const { config, log, state } = deps;
  const tally = new Tally("get_snap_s3", deps.progress);
  const store = deps.store();
  let collections: Row<"collections">[] = await state.read("collections");
  if (collections.length === 0) {
    const prefixes = await store.listPrefixes(`${SNAPSHOTS_PREFIX}/`);
    collections = prefixes.flatMap((p) => {
      const collection = collectionFromPrefix(p);
      return collection === undefined ? [] : [{ host: "", collection }];
    });
    log.info(
      `collections file is empty; found ${collections.length} collections in ${store.location}/${SNAPSHOTS_PREFIX}/`,
    );
  }
  const existing = new Set((await state.read("snapshots")).map((r) => key(r.collection, r.snapshot)));
  const keep = createSnapshotFilter(config.snapshotFilter);

  await mapPool(
    collections,
    config.concurrency,
    async ({ host, collection }) => {
      const prefix = collectionSnapshotsPrefix(collection);
      const names = (await store.listKeys(prefix))
        .map((k) => snapshotNameFromKey(k, prefix))
        .filter((n): n is string => n !== undefined && keep(n))
        .sort(compareSnapshotNames);
      if (names.length === 0) {
        log.info(`No matching snapshots of ${collection} in ${store.location}/${prefix}; skipping`);
        return;
      }
      const { fresh, repeated } = claimSnapshots(existing, collection, names);
      for (const snapshot of repeated) tally.add("skipped", { host, collection, snapshot });
      await state.appendMany(
        "snapshots",
        fresh.map((snapshot) => ({ host, collection, snapshot })),
      );
      for (const snapshot of fresh) tally.add("done", { host, collection, snapshot });
    },
    deps.signal,
  );
  const where = store.kind === "s3" ? "S3" : "the backup directory";
  return tally.finish(
    `Snapshots found in ${where}: ${tally.done} new, ${tally.skipped} already listed, in ${collections.length} collections`,
  );
}
