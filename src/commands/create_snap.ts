import { createFactCollector } from "../backup/collect.js";
import { listedHere, type CreateSnapRun } from "../backup/create-snap-run.js";
import { snapshotOn } from "../backup/create-snapshot-on-host.js";
import { assertConfigured, hasDestination, type Config } from "../config.js";
import { ConfigError } from "../errors.js";
import { createHostScheduler } from "../lib/host-scheduler.js";
import { admissionWindow, createLimiter, runAdmitted } from "../lib/pool.js";
import { discoverPeers, peersOfCollection, type PeerMap } from "../backup/peers.js";
import { describeError, distinct, ensureCollections, isFatal, key, settleAll } from "../backup/task/items.js";
import { Tally } from "../backup/task/tally.js";
import { isFailing, readFailing, recordOutcomes } from "../backup/snapshot-failures.js";
import type { Deps, TaskOptions, TaskSummary } from "../backup/task/deps.js";

/**
 * create_snap: snapshot every collection on every source host, or, with GET_PEERS_FROM_CLUSTER_INFO=true, on each
 * peer that holds shards of it (once per peer).
 * - With a destination (bucket or QDRANT_BACKUP_DIR), each snapshot gets its backup metadata (backup/collect.ts).
 * - With QDRANT_SNAPSHOT_TRANSFER=true, each snapshot is streamed into the destination and verified first; with
 *   QDRANT_DELETE_AFTER_TRANSFER=true the node's copy is deleted after that.
 * A snapshot is appended to `snapshots` as soon as it exists where recover_snap looks for it (Qdrant's answer; in
 * transfer mode, the verified transfer). Failures are logged and counted (exit 3); a failed snapshot or transfer
 * writes no row, a failed metadata write or node-copy delete comes after the row.
 * At the end, `snapshot_failures` gets what changed per (host, collection): `failed`, or `ok` for one that failed
 * before (backup/snapshot-failures.ts); `--only-failed` snapshots only the pairs whose last row there is `failed`.
 */
export async function run(options: TaskOptions, deps: Deps): Promise<TaskSummary> {
  const { config, log } = deps;
  const metadata = checkDestination(config);
  const tally = new Tally("create_snap", deps.progress);
  if (config.deleteAfterTransfer && !config.transfer)
    log.warn("QDRANT_DELETE_AFTER_TRANSFER=true has no effect without QDRANT_SNAPSHOT_TRANSFER=true");
  const failing = await readFailing(deps.state);
  const onlyFailed = options.onlyFailed === true;
  if (onlyFailed && failing.size === 0)
    return tally.finish("Nothing failed in the last create_snap run (snapshot_failures): nothing to retry");
  const rows = await ensureCollections(deps, "create_snap");
  const listed = distinct(rows.map((r) => r.collection));
  const collections = onlyFailed ? listed.filter((c) => [...failing.values()].some((f) => f.collection === c)) : listed;
  if (onlyFailed) {
    const gone = distinct([...failing.values()].map((f) => f.collection)).filter((c) => !listed.includes(c));
    if (gone.length > 0)
      log.warn(`Not retried, no longer in the collections file: ${gone.join(", ")} (they stay in snapshot_failures)`);
    log.info(`Retrying the failures of the last create_snap run: ${collections.join(", ") || "none"}`);
  }
  const peers: PeerMap | undefined = config.discoverPeers ? await discoverPeers(deps) : undefined;
  // With peer discovery the hosts of each collection are known only when its turn comes.
  tally.start(peers ? undefined : collections.length * config.sourceHosts.length);
  const ctx: CreateSnapRun = {
    deps,
    tally,
    peers,
    facts: metadata ? createFactCollector(deps) : undefined,
    listedOn: new Set(rows.map((r) => key(r.host, r.collection))),
    listedHosts: new Set(rows.map((r) => r.host)),
    once: new Set(),
  };
  // One scheduler for every host (lib/host-scheduler.ts): QDRANT_PER_HOST_CONCURRENCY per host, QDRANT_CONCURRENCY in all,
  // and a slow host does not hold back another's work (within the admission window); each collection's index orders the work.
  const scheduler = createHostScheduler({
    perHost: config.perHostConcurrency,
    total: config.concurrency,
    signal: deps.signal,
    fatal: isFatal,
  });
  // Calls made before a collection's host tasks are queued (peers, status without metadata): bounded, outside the slots.
  const before = createLimiter(config.concurrency);
  // The status check asks a host that lists the collection (independent sources hold different collections).
  const statusHost = new Map<string, string>();
  for (const r of rows) if (!statusHost.has(r.collection) && r.host) statusHost.set(r.collection, r.host);

  await runAdmitted(
    collections,
    scheduler,
    admissionWindow(config.concurrency),
    async (collection, index) => {
      // With metadata, the status comes with each host's facts (no call of its own); see snapshotOn.
      if (!ctx.facts)
        await before(() => warnIfNotGreen(deps, statusHost.get(collection) ?? config.sourceHosts[0]!, collection));
      let targets: readonly string[];
      try {
        targets = peers ? await before(() => peersOfCollection(deps, peers, collection)) : config.sourceHosts;
      } catch (err) {
        if (isFatal(err)) throw err;
        log.error(`Cannot find the peers of ${collection}: ${describeError(err)}`);
        tally.add("failed", { collection, error: describeError(err) });
        return;
      }
      if (onlyFailed) targets = targets.filter((host) => isFailing(failing, host, collection));
      if (!peers) targets = targets.filter((host) => listedHere(ctx, host, collection));
      // Count, snapshot and transfer of one host run in one of its slots: a host holds at most
      // QDRANT_PER_HOST_CONCURRENCY snapshots in the making, and as many transfers.
      await settleAll(
        targets.map((host) =>
          tally.track({ host, collection }, () =>
            snapshotOn(
              ctx,
              host,
              collection,
              tally.slotted({ host, collection }, (work) => scheduler.run(host, index, work)),
            ),
          ),
        ),
      );
    },
    deps.signal,
  );

  await recordOutcomes(deps.state, failing, tally.items);
  const into = config.transfer ? `, transferred to ${deps.store().location}` : "";
  return tally.finish(
    `${onlyFailed ? "Failures retried. " : ""}Snapshots created: ${tally.done}, accepted: ${tally.accepted}, failed: ${tally.failed}${into}`,
  );
}

/**
 * Checks the destination settings before any request; returns whether metadata is written.
 * @throws ConfigError (exit 2) listing every problem: transfer without exactly one destination or with wait=false,
 *   or both destinations set
 */
function checkDestination(config: Config): boolean {
  const problems: string[] = [];
  if (config.transfer && !config.waitOnTask) {
    problems.push(
      "create_snap: QDRANT_SNAPSHOT_TRANSFER=true needs QDRANT_WAIT_ON_TASK=true (a snapshot accepted with wait=false has no name yet, so it cannot be transferred)",
    );
  }
  const wanted = config.transfer || hasDestination(config);
  if (wanted) {
    try {
      assertConfigured(config, "create_snap", ["destination"]);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      problems.push(...err.problems.map((p) => (config.transfer ? `${p} (QDRANT_SNAPSHOT_TRANSFER=true)` : p)));
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return wanted;
}

/** The script warned when a collection was not green before snapshotting it; so do we, without failing. */
async function warnIfNotGreen(deps: Deps, host: string, collection: string): Promise<void> {
  try {
    const info = await deps.qdrant.getCollection(host, collection);
    if (info.status !== "green")
      deps.log.warn(`Collection ${collection} on ${host} is ${info.status}, not green; snapshotting anyway`);
  } catch (err) {
    if (isFatal(err)) throw err;
    deps.log.warn(`Cannot read the status of ${collection} on ${host}: ${describeError(err)}`);
  }
}
