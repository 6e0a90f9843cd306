/**
 * create_snap_shards: every collection backed up as a set of shard snapshots with a manifest written last
 * (collection-set.ts), under one set id for the whole run, shard work spread over the peers within
 * QDRANT_PER_HOST_CONCURRENCY per peer and QDRANT_CONCURRENCY in all. Failures stay with their collection.
 */
import { hostname } from "node:os";
import { assertConfigured } from "../../config.js";
import { createHostScheduler } from "../../lib/host-scheduler.js";
import { admissionWindow, createLimiter, runAdmitted } from "../../lib/pool.js";
import { describeError, distinct, isFatal } from "../task/items.js";
import { Tally } from "../task/tally.js";
import type { Deps, TaskSummary } from "../task/deps.js";
import { backUpCollection } from "./collection-set.js";
import { newSetId } from "./set-id.js";
import { discoverSetPeers } from "./set-peers.js";
import type { SetRun } from "./set-run.js";
import { streamsShards } from "./shard-confirm.js";

/** What a create_snap_shards run did. */
export interface SetBackupResult {
  summary: TaskSummary;
  /** The run's set id (`YYYY-MM-DDTHH-MM-SSZ-{HOSTNAME}`). */
  setId: string;
  /** Collections whose set is complete (manifest written); empty on a dry run. Retention runs for these only. */
  succeeded: string[];
}

/**
 * Backs up every collection (the `collections` file, else GET /collections on the first source host) as a set.
 * @throws ConfigError (exit 2) without a source host or a destination; what discovery and listing throw (the run
 *   cannot start); fatal errors (interrupt, refused key, S3 failures)
 */
export async function backUpSets(deps: Deps, opts: { dryRun: boolean }): Promise<SetBackupResult> {
  const { config, log } = deps;
  assertConfigured(config, "create_snap_shards", ["source", "destination"]);
  warnIgnored(deps);
  const setId = newSetId(deps.clock(), config.sets.hostname ?? hostname(), process.pid);
  const tally = new Tally("create_snap_shards", deps.progress);
  const peers = await discoverSetPeers(deps);
  const collections = await listCollections(deps);
  const where = streamsShards(config) ? `streamed into ${deps.store().location}` : `in ${deps.store().location}`;
  log.info(
    `${opts.dryRun ? "[dry run] " : ""}Backup set ${setId}: ${collections.length} collections, shard snapshots ${where}`,
  );
  tally.start(collections.length);
  const host = config.sourceHosts[0]!;
  let version: Promise<string> | undefined;
  const scheduler = createHostScheduler({
    perHost: config.perHostConcurrency,
    total: config.concurrency,
    signal: deps.signal,
    fatal: isFatal,
  });
  const run: SetRun = {
    deps,
    tally,
    setId,
    peers,
    scheduler,
    load: new Map(),
    calls: createLimiter(config.concurrency),
    qdrantVersion: () =>
      (version ??= deps.qdrant.getVersion(host).catch((err: unknown) => {
        if (isFatal(err)) throw err;
        log.warn(
          `Cannot read the Qdrant version of ${host} (${describeError(err)}): manifests say "unknown", which a restore's version check refuses`,
        );
        return "unknown";
      })),
    dryRun: opts.dryRun,
    succeeded: [],
  };
  await runAdmitted(
    collections,
    scheduler,
    admissionWindow(config.concurrency),
    // An item is a collection's set: its shards, on whichever peers, then its manifest.
    (collection, index) =>
      tally.track({ collection }, () => {
        tally.begin({ collection });
        return backUpCollection(run, collection, index);
      }),
    deps.signal,
  );
  const message = opts.dryRun
    ? `[dry run] Backup set ${setId}: ${tally.done} collections planned, ${tally.failed} would fail; nothing created or written`
    : `Backup set ${setId}: ${tally.done} collections complete, ${tally.failed} failed`;
  return { summary: tally.finish(message), setId, succeeded: opts.dryRun ? [] : [...run.succeeded] };
}

/** The `collections` file's collections (as the bash tool, with a notice), else GET /collections on the first host. */
async function listCollections(deps: Deps): Promise<string[]> {
  const rows = await deps.state.read("collections");
  if (rows.length > 0) {
    deps.log.warn(
      `Using the collections in the collections file (${rows.length} rows); empty it (reset) to list them from Qdrant`,
    );
    return distinct(rows.map((r) => r.collection));
  }
  return deps.qdrant.listCollections(deps.config.sourceHosts[0]!);
}

/** The settings sets do not follow, each named once with what happens instead (as the bash tool warns). */
function warnIgnored(deps: Deps): void {
  const { config, log } = deps;
  if (!config.waitOnTask)
    log.warn("QDRANT_WAIT_ON_TASK is not true: create_snap_shards always waits for each shard snapshot (wait=true)");
  if (config.discoverPeers)
    log.warn("GET_PEERS_FROM_CLUSTER_INFO is ignored by create_snap_shards: it always reads the peers from /cluster");
  if (config.deleteAfterTransfer)
    log.warn("QDRANT_DELETE_AFTER_TRANSFER is ignored by create_snap_shards: the peers keep their shard snapshots");
}
