import { assertConfigured } from "../config.js";
import { createSnapshotFilter } from "../lib/filter.js";
import { createHostLimiter, mapPool } from "../lib/pool.js";
import { QdrantError } from "../qdrant/errors.js";
import { collectionSnapshotKey } from "../s3/keys.js";
import { run as getSnapS3 } from "./get_snap_s3.js";
import { compareSnapshotNames, describeError, isFatal, key, settleAll } from "./shared.js";
import { Tally } from "./summary.js";
import type { Deps, TaskOptions, TaskSummary } from "./types.js";

const BASH_PLACEHOLDERS = new Set(["unknown", "null"]);

/**
 * recover_snap: recover every snapshot in `snapshots` onto every restore host from a presigned S3 URL.
 * History is keyed by (restore host, snapshot), so a snapshot recovered on one host is still recovered on the others.
 * Snapshots of one collection are recovered in turn, oldest first, so the newest wins; collections run in parallel.
 * Each outcome is appended as soon as it is known: `ok`/`accepted` to the history, failures to failed_snapshot_recovery.
 */
export async function run(options: TaskOptions, deps: Deps): Promise<TaskSummary> {
  const { config, log, qdrant, state } = deps;
  assertConfigured(config, "recover_snap", ["restore", "destination"]);
  const tally = new Tally("recover_snap");
  if (await state.isEmpty("snapshots")) {
    log.info("snapshots file is empty; listing the bucket first (get_snap_s3)");
    const listed = await getSnapS3(options, deps);
    log.info(listed.message);
  }
  const keep = createSnapshotFilter(config.snapshotFilter);
  let placeholders = 0;
  const byCollection = new Map<string, string[]>();
  const seen = new Set<string>();
  for (const { collection, snapshot } of await state.read("snapshots")) {
    // The bash tool wrote `unknown` (failed create) or `null` (accepted create) as the name; nothing to recover.
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
  if (placeholders > 0) log.warn(`Skipped ${placeholders} rows of the snapshots file without a snapshot name ("unknown"/"null", written by the bash tool for failed or unconfirmed snapshots)`);
  // `accepted` rows are left alone too: Qdrant took the job; re-sending it could restore twice.
  const done = new Set(
    (await state.read("snapshotRecoveryHistory")).filter((r) => r.status === "ok" || r.status === "accepted").map((r) => key(r.host, r.snapshot)),
  );
  const store = deps.store();
  const limitHost = createHostLimiter(config.perHostConcurrency);

  const recoverOne = async (host: string, collection: string, snapshot: string) => {
    if (done.has(key(host, snapshot))) {
      tally.add("skipped", { host, collection, snapshot });
      return;
    }
    let location: string;
    try {
      // Presigned right before the call, so a long queue cannot eat the URL's lifetime.
      if (!store.presignGet) throw new Error(`${store.location} cannot give restore hosts a URL`);
      location = await store.presignGet(collectionSnapshotKey(collection, snapshot), config.linkExpirySeconds);
    } catch (err) {
      if (deps.signal.aborted) throw err;
      await fail(host, collection, snapshot, "presign_failed", err);
      return;
    }
    try {
      const outcome = await qdrant.recoverSnapshot(host, collection, { location, priority: "snapshot" }, config.waitOnTask);
      await state.append("snapshotRecoveryHistory", { host, snapshot, status: outcome });
      done.add(key(host, snapshot));
      if (outcome === "accepted") log.info(`Recovery of ${snapshot} on ${host} accepted (wait=false); check the collection later`);
      else log.info(`Recovered ${collection} from ${snapshot} on ${host}`);
      tally.add(outcome === "ok" ? "done" : "accepted", { host, collection, snapshot });
    } catch (err) {
      if (isFatal(err)) throw err;
      await fail(host, collection, snapshot, err instanceof QdrantError ? err.code : "failed", err);
    }
  };
  const fail = async (host: string, collection: string, snapshot: string, status: string, err: unknown) => {
    log.error(`Recovery of ${snapshot} on ${host} failed: ${describeError(err)}`);
    await state.append("failedSnapshotRecovery", { host, snapshot, status });
    tally.add("failed", { host, collection, snapshot, error: describeError(err) });
  };

  await mapPool([...byCollection], config.concurrency, async ([collection, snapshots]) => {
    for (const snapshot of snapshots) {
      if (deps.signal.aborted) return;
      await settleAll(config.restoreHosts.map((host) => limitHost(host, () => recoverOne(host, collection, snapshot))));
    }
  }, deps.signal);

  return tally.finish(
    `Snapshots recovered: ${tally.done}, accepted: ${tally.accepted}, already recovered: ${tally.skipped}, failed: ${tally.failed}`,
  );
}
