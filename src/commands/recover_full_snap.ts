import path from "node:path";
import { isFullSnapshotName } from "../backup/full-archive.js";
import { readDone, restoreFullSnapshot } from "../backup/full-restore.js";
import { fileSource, nodeSource, storeSource, type FullArchiveSource } from "../backup/full-source.js";
import { assertConfigured, hasDestination } from "../config.js";
import { ConfigError } from "../errors.js";
import { createSnapshotFilter } from "../lib/filter.js";
import { mapPool } from "../lib/pool.js";
import { fullSnapshotKey } from "../core/keys.js";
import { listFullSnapshots } from "../backup/list-full-snapshots.js";
import { compareSnapshotNames, distinct } from "../backup/task/items.js";
import { Tally } from "../backup/task/tally.js";
import type { Deps, TaskOptions, TaskSummary } from "../backup/task/deps.js";

/**
 * recover_full_snap: restore ONE full-storage snapshot onto every restore host (running nodes; Qdrant has no REST
 * restore for full snapshots). The archive is read as a stream, once per restore host (hosts in parallel up to
 * QDRANT_CONCURRENCY): each inner collection snapshot is uploaded as it streams by, then the aliases of its
 * config.json are created (see backup/full-restore.ts for what is recorded and how a run resumes).
 *
 * Which archive: `--file <path>` when given; else the newest row of `full_snapshots` (filled by get_full_snap first
 * when empty) whose name passes QDRANT_SNAPSHOT_DATETIME_FILTER, `--snapshot` and `--host`. Rows of several source
 * hosts left → exit 2 (choose one with --host). It is read from the destination when transfer mode stored it there
 * (`full_snapshots/{host:port}/{name}`), else downloaded from its source host.
 */
export async function run(options: TaskOptions, deps: Deps): Promise<TaskSummary> {
  const { config, log } = deps;
  assertConfigured(config, "recover_full_snap", ["restore"]);
  const tally = new Tally("recover_full_snap", deps.progress);
  const archive =
    options.file !== undefined
      ? await fileSource(path.resolve(deps.config.cwd, options.file))
      : await chooseArchive(options, deps);
  const hosts = distinct(config.restoreHosts);
  log.info(`Restoring ${archive.name} from ${archive.location} onto ${hosts.join(", ")} (recorded as ${archive.id})`);
  const done = await readDone(deps);
  await mapPool(
    hosts,
    config.concurrency,
    // Its items (the archive, each collection, each alias) are known only as the archive is read: no total.
    (host) => tally.track({ host }, () => restoreFullSnapshot(deps, tally, archive, host, done)),
    deps.signal,
  );

  const count = (kind: string, outcome: string) =>
    tally.items.filter((i) => i["kind"] === kind && i["outcome"] === outcome).length;
  return tally.finish(
    `Full snapshot ${archive.name}: collections recovered: ${count("collection", "done")}, accepted: ${count("collection", "accepted")}, ` +
      `aliases created: ${count("alias", "done")}, already restored: ${tally.skipped}, failed: ${tally.failed}`,
  );
}

/** The newest full snapshot in `full_snapshots` that the filter, --snapshot and --host leave, and where to read it. */
async function chooseArchive(options: TaskOptions, deps: Deps): Promise<FullArchiveSource> {
  const { config, log, state } = deps;
  if (await state.isEmpty("fullSnapshots")) {
    if (config.sourceHosts.length === 0) {
      throw new ConfigError(
        "recover_full_snap: full_snapshots is empty and QDRANT_SOURCE_HOSTS is not set to list them; run create_full_snap or get_full_snap first, or pass --file <archive>",
      );
    }
    log.info("full_snapshots is empty; listing the source hosts first (get_full_snap)");
    const listed = await listFullSnapshots(deps);
    log.info(listed.message);
  }
  const keep = createSnapshotFilter(config.snapshotFilter);
  const candidates = (await state.read("fullSnapshots")).filter(
    (r) =>
      isFullSnapshotName(r.snapshot) &&
      keep(r.snapshot) &&
      (options.snapshot === undefined || r.snapshot === options.snapshot) &&
      (options.host === undefined || r.host === options.host),
  );
  const asked = [
    config.snapshotFilter === "" ? "" : `QDRANT_SNAPSHOT_DATETIME_FILTER=${JSON.stringify(config.snapshotFilter)}`,
    options.snapshot === undefined ? "" : `--snapshot ${options.snapshot}`,
    options.host === undefined ? "" : `--host ${options.host}`,
  ].filter((s) => s !== "");
  const matching = asked.length > 0 ? ` matching ${asked.join(", ")}` : "";
  const newest = candidates.sort((a, b) => compareSnapshotNames(a.snapshot, b.snapshot)).at(-1);
  if (newest === undefined) throw new ConfigError(`recover_full_snap: no full snapshot in full_snapshots${matching}`);
  const hosts = distinct(candidates.map((r) => r.host));
  if (hosts.length > 1) {
    throw new ConfigError(
      `recover_full_snap: full snapshots of ${hosts.length} source hosts${matching} (${hosts.join(", ")}); restore one at a time: choose it with --host <url>`,
    );
  }
  if (hasDestination(config)) {
    assertConfigured(config, "recover_full_snap", ["destination"]);
    const store = deps.store();
    const key = fullSnapshotKey(newest.host, newest.snapshot);
    if ((await store.head(key)) !== undefined) return storeSource(store, key, newest.host, newest.snapshot);
  }
  return nodeSource(deps.qdrant, newest.host, newest.snapshot);
}
