import { createHostLimiter, mapPool } from "../lib/pool.js";
import { discoverPeers, peersOfCollection, type PeerMap } from "./peers.js";
import { QdrantError } from "../qdrant/errors.js";
import { describeError, distinct, ensureCollections, isFatal, key, settleAll } from "./shared.js";
import { Tally } from "./summary.js";
import type { Deps, TaskOptions, TaskSummary } from "./types.js";

/**
 * create_snap: snapshot every collection on every source host, or, with GET_PEERS_FROM_CLUSTER_INFO=true, on each
 * peer that holds shards of it (once per peer). Each created snapshot is appended to `snapshots` as soon as Qdrant
 * confirms it. Failures are logged and counted (exit 3), never written as rows.
 */
export async function run(_options: TaskOptions, deps: Deps): Promise<TaskSummary> {
  const { config, log, qdrant, state } = deps;
  const tally = new Tally("create_snap");
  const rows = await ensureCollections(deps, "create_snap");
  const collections = distinct(rows.map((r) => r.collection));
  const listedOn = new Set(rows.map((r) => key(r.host, r.collection)));
  const peers: PeerMap | undefined = config.discoverPeers ? await discoverPeers(deps) : undefined;
  const limitHost = createHostLimiter(config.perHostConcurrency);
  // The status check asks a host that lists the collection (independent sources hold different collections).
  const statusHost = new Map<string, string>();
  for (const r of rows) if (!statusHost.has(r.collection) && r.host) statusHost.set(r.collection, r.host);

  await mapPool(collections, config.concurrency, async (collection) => {
    await warnIfNotGreen(deps, statusHost.get(collection) ?? config.sourceHosts[0]!, collection);
    let targets: readonly string[];
    try {
      targets = peers ? await peersOfCollection(deps, peers, collection) : config.sourceHosts;
    } catch (err) {
      if (isFatal(err)) throw err;
      log.error(`Cannot find the peers of ${collection}: ${describeError(err)}`);
      tally.add("failed", { collection, error: describeError(err) });
      return;
    }
    await settleAll(
      targets.map((host) =>
        limitHost(host, async () => {
          try {
            const out = await qdrant.createSnapshot(host, collection, config.waitOnTask);
            if (out.status === "accepted") {
              log.info(`Snapshot of ${collection} on ${host} accepted (wait=false); it will be listed once Qdrant finishes`);
              tally.add("accepted", { host, collection });
              return;
            }
            await state.append("snapshots", { host, collection, snapshot: out.snapshot.name });
            log.info(`Created snapshot ${out.snapshot.name} of ${collection} on ${host}`);
            tally.add("done", { host, collection, snapshot: out.snapshot.name });
          } catch (err) {
            if (isFatal(err)) throw err;
            if (!peers && !listedOn.has(key(host, collection)) && err instanceof QdrantError && err.status === 404) {
              // Independent source instances hold different collections; a collection listed on another host only
              // is not a failure here.
              log.info(`Collection ${collection} does not exist on ${host}; skipped there`);
              tally.add("skipped", { host, collection });
              return;
            }
            log.error(`Snapshot of ${collection} on ${host} failed: ${describeError(err)}`);
            tally.add("failed", { host, collection, error: describeError(err) });
          }
        }),
      ),
    );
  }, deps.signal);

  return tally.finish(`Snapshots created: ${tally.done}, accepted: ${tally.accepted}, failed: ${tally.failed}`);
}

/** The script warned when a collection was not green before snapshotting it; so do we, without failing. */
async function warnIfNotGreen(deps: Deps, host: string, collection: string): Promise<void> {
  try {
    const info = await deps.qdrant.getCollection(host, collection);
    if (info.status !== "green") deps.log.warn(`Collection ${collection} on ${host} is ${info.status}, not green; snapshotting anyway`);
  } catch (err) {
    if (isFatal(err)) throw err;
    deps.log.warn(`Cannot read the status of ${collection} on ${host}: ${describeError(err)}`);
  }
}
