import { recoverResolved } from "../backup/ambiguous-recover.js";
import {
  lookUpMetadata,
  recoverFromStore,
  recoveryFailureStatus,
  type MetadataLookup,
} from "../backup/recover-source.js";
import type { BackupMetadata } from "../backup/metadata.js";
import { VerificationError, verifyRecovery } from "../backup/verify.js";
import { assertConfigured } from "../config.js";
import { createHostScheduler, type Slot } from "../lib/host-scheduler.js";
import { admissionWindow, createLimiter, runAdmitted } from "../lib/pool.js";
import { collectionSnapshotKey } from "../core/keys.js";
import { run as getSnapS3 } from "./get_snap_s3.js";
import { describeError, isDryRun, isFatal, key, settleAll } from "../backup/task/items.js";
import { readRecoveryPlan } from "../backup/recover-plan.js";
import { planRecoveries } from "../backup/recover-dry-run.js";
import { Tally } from "../backup/task/tally.js";
import type { Deps, TaskOptions, TaskSummary } from "../backup/task/deps.js";

/** Collections whose metadata is read ahead of their recovery, so that the S3 read is not in a host's slot. */
const READ_AHEAD = 2;

/**
 * recover_snap: recover the snapshots in `snapshots` onto every restore host, by presigned URL or by upload
 * (QDRANT_RECOVER_VIA; with `checksum` from the backup metadata), then check the recovered collections
 * (QDRANT_VERIFY_AFTER_RECOVER, backup/verify.ts).
 * - By default only the newest snapshot of each collection and source peer (after QDRANT_SNAPSHOT_DATETIME_FILTER);
 *   `--all` recovers every listed one, as the bash tool does (backup/recover-plan.ts).
 * - History is keyed by (restore host, snapshot), so a snapshot recovered on one host is still recovered on the others.
 * - The snapshots of one collection are recovered in turn on each host, oldest first, so the newest wins; collections
 *   and hosts run in parallel (QDRANT_CONCURRENCY recoveries in all, QDRANT_PER_HOST_CONCURRENCY per host).
 * - Once all of a collection's snapshots are recovered on every host, each host's copy is checked against the last
 *   snapshot recovered there (several peers' snapshots of one cluster complete each other only together).
 * - Each outcome is appended as soon as it is known: `ok`/`accepted` to the history right after the recovery (a done
 *   recovery is never repeated), `verified` once its check passed, failures to failed_snapshot_recovery
 *   (`verify-<reason>` when the check failed).
 * - A later run checks a recovery recorded `ok` without `verified` (its check failed, or the run stopped before it),
 *   unless a newer snapshot of its collection was recovered on that host since.
 * - `--dry-run` (the run's state store then writes nothing) logs each recovery it would make and on which host, by
 *   which method, and changes nothing (an empty `snapshots` is listed from the destination into memory only).
 */
export async function run(options: TaskOptions, deps: Deps): Promise<TaskSummary> {
  const { config, log, state } = deps;
  assertConfigured(config, "recover_snap", ["restore", "destination"]);
  const tally = new Tally("recover_snap", deps.progress);
  if (await state.isEmpty("snapshots")) {
    log.info("snapshots file is empty; listing the backup destination first (get_snap_s3)");
    const listed = await getSnapS3(options, deps);
    log.info(state.dryRun ? `[dry run] ${listed.message} (in memory only)` : listed.message);
  }
  const plan = await readRecoveryPlan(deps, options.all === true);
  if (isDryRun(options, deps)) {
    planRecoveries(deps, tally, plan);
    return tally.finish(
      `[dry run] Snapshots that would be recovered: ${tally.items.filter((i) => i["action"] === "recover").length}, checked again: ${tally.items.filter((i) => i["action"] === "check").length}, already recovered: ${tally.skipped}; nothing changed`,
    );
  }
  const { byCollection, done, unverified, failedChecks } = plan;
  tally.start(
    [...byCollection.values()].reduce((n, snapshots) => n + snapshots.length, 0) * config.restoreHosts.length,
  );
  // QDRANT_PER_HOST_CONCURRENCY recoveries per host, QDRANT_CONCURRENCY in all; the checks have their own limit.
  const scheduler = createHostScheduler({
    perHost: config.perHostConcurrency,
    total: config.concurrency,
    signal: deps.signal,
    fatal: isFatal,
  });
  const checks = createLimiter(config.concurrency);
  const lookups = new Map<string, Promise<MetadataLookup>>();
  const noticed = new Set<string>();
  let verifyFailures = 0;
  let reverified = 0;

  /** The snapshot's metadata, read once for all restore hosts. */
  const metadataOf = (collection: string, snapshot: string): Promise<MetadataLookup> => {
    const found = lookups.get(key(collection, snapshot)) ?? lookUpMetadata(deps, collection, snapshot);
    lookups.set(key(collection, snapshot), found);
    return found;
  };
  const fail = async (
    host: string,
    collection: string,
    snapshot: string,
    status: string,
    err: unknown,
    what: string,
  ) => {
    log.error(`${what} ${snapshot} on ${host} failed: ${describeError(err)}`);
    await state.append("failedSnapshotRecovery", { host, snapshot, status });
    tally.add("failed", { host, collection, snapshot, status, error: describeError(err) });
  };

  /** Checks `collection` on `host` as recovered from `snapshot`; `again` for a check repeated on a later run. */
  const verify = async (host: string, collection: string, snapshot: string, again: boolean): Promise<void> => {
    const { metadata, problem } = await metadataOf(collection, snapshot);
    if (!metadata && !problem && !noticed.has(key(collection, snapshot))) {
      noticed.add(key(collection, snapshot));
      log.info(
        `No backup metadata for ${snapshot} (taken by the bash tool or before metadata existed): only the collection status is checked after recovery`,
      );
    }
    try {
      const result = await verifyRecovery(deps, host, collection, metadata, {
        timeoutMs: config.verifyTimeoutMs,
        tolerancePct: config.verifyTolerancePct,
      });
      if (problem) throw new VerificationError("metadata", `${collection} on ${host} cannot be checked: ${problem}`);
      // Recorded for every passing check, so that a run stopped before a check makes the next run do it.
      await state.append("snapshotRecoveryHistory", { host, snapshot, status: "verified" });
      if (again) reverified++;
      const what =
        result.checked === "full"
          ? `green, ${result.pointsCount} points, vectors config as backed up, payloads readable`
          : "green (status only)";
      const when = !again
        ? ""
        : failedChecks.has(key(host, snapshot))
          ? " again"
          : " (recovered by an earlier run that stopped before its check)";
      log.info(`Verified ${collection} on ${host}${when}: ${what}`);
      tally.add("done", { host, collection, snapshot, verified: result.checked });
    } catch (err) {
      if (!(err instanceof VerificationError)) throw err;
      verifyFailures++;
      await fail(host, collection, snapshot, err.status, err, "Verification of");
    }
  };

  /** Per host: snapshots of the current collection recovered `ok` in this run, and one whose failed check to repeat. */
  type Progress = { recovered: Map<string, string[]>; recheck: Map<string, string> };

  const recoverOne = async (
    host: string,
    collection: string,
    snapshot: string,
    newer: readonly string[],
    p: Progress,
    slot: Slot,
  ) => {
    if (done.has(key(host, snapshot))) {
      if (
        config.verifyAfterRecover &&
        unverified.has(key(host, snapshot)) &&
        !newer.some((s) => done.has(key(host, s)))
      )
        p.recheck.set(host, snapshot);
      else {
        if (config.verifyAfterRecover && unverified.has(key(host, snapshot)) && failedChecks.has(key(host, snapshot)))
          log.info(
            `Not checking ${snapshot} on ${host} again: a newer snapshot of ${collection} was recovered there since`,
          );
        tally.add("skipped", { host, collection, snapshot });
      }
      return;
    }
    let metadata: BackupMetadata | undefined;
    let outcome: "ok" | "accepted";
    try {
      // The slot covers the recovery itself; recording it overlaps the host's next one.
      outcome = await slot(async () => {
        metadata = (await metadataOf(collection, snapshot)).metadata;
        const snap = {
          collection,
          name: snapshot,
          key: collectionSnapshotKey(collection, snapshot),
          ...(metadata?.sha256 ? { sha256: metadata.sha256 } : {}),
        };
        return recoverResolved(deps, host, collection, metadata, () => recoverFromStore(deps, host, snap));
      });
    } catch (err) {
      if (isFatal(err) || deps.signal.aborted) throw err;
      await fail(host, collection, snapshot, recoveryFailureStatus(err), err, "Recovery of");
      return;
    }
    await state.append("snapshotRecoveryHistory", { host, snapshot, status: outcome });
    done.add(key(host, snapshot));
    if (outcome === "accepted") {
      log.info(`Recovery of ${snapshot} on ${host} accepted (wait=false); check the collection later`);
      tally.add("accepted", { host, collection, snapshot });
      return;
    }
    log.info(
      `Recovered ${collection} from ${snapshot} on ${host} (${config.recoverVia === "url" ? "by URL" : "by upload"}${metadata?.sha256 ? ", checksum verified by Qdrant" : ""})`,
    );
    if (!config.verifyAfterRecover) tally.add("done", { host, collection, snapshot });
    else p.recovered.set(host, [...(p.recovered.get(host) ?? []), snapshot]);
  };

  /** The checks of one collection on one host, once all its snapshots are recovered everywhere. */
  const checkHost = async (host: string, collection: string, p: Progress) => {
    const recovered = p.recovered.get(host) ?? [];
    const last = recovered.at(-1);
    const again = p.recheck.get(host);
    // Snapshots recovered before the last one are checked through it: the collection now holds what they all gave.
    for (const snapshot of recovered.slice(0, -1))
      tally.add("done", { host, collection, snapshot, verified: "covered" });
    if (again !== undefined && last !== undefined) {
      log.info(`Not checking ${again} on ${host} again: ${collection} was recovered there from ${last} since`);
      tally.add("skipped", { host, collection, snapshot: again });
    }
    if (last !== undefined) await verify(host, collection, last, false);
    else if (again !== undefined) await verify(host, collection, again, true);
  };

  // Collections are admitted in order within a window (lib/pool.ts); each one's index orders the work on each host.
  const work = [...byCollection];
  const finished = new Uint8Array(work.length);
  /** Reads ahead the metadata of the collections after `index`, so that it is at hand when their turn comes. */
  const readAhead = (index: number) => {
    for (let next = index + 1; next <= index + READ_AHEAD && next < work.length; next++) {
      const [collection, snapshots] = work[next]!;
      const first = snapshots[0];
      if (finished[next] === 1) continue;
      // Not awaited here: its own recovery awaits it. A failure is reported there, not as an unhandled rejection.
      if (first !== undefined) metadataOf(collection, first).catch(() => undefined);
    }
  };
  await runAdmitted(
    work,
    scheduler,
    admissionWindow(config.concurrency),
    async ([collection, snapshots], index) => {
      const progress: Progress = { recovered: new Map(), recheck: new Map() };
      // Each host goes through the collection's snapshots oldest first at its own pace: a slow host delays only itself.
      await settleAll(
        config.restoreHosts.map((host) =>
          tally.track({ host, collection }, async () => {
            const inSlot: Slot = tally.slotted({ host, collection }, (fn) =>
              scheduler.run(host, index, () => {
                readAhead(index);
                return fn();
              }),
            );
            for (const [i, snapshot] of snapshots.entries())
              await recoverOne(host, collection, snapshot, snapshots.slice(i + 1), progress, inSlot);
          }),
        ),
      );
      // Checks only poll, so they do not take a host's recovery slot (QDRANT_PER_HOST_CONCURRENCY).
      if (config.verifyAfterRecover && !deps.signal.aborted)
        await checks(() =>
          settleAll(
            config.restoreHosts.map((host) =>
              tally.track({ host, collection }, () => checkHost(host, collection, progress)),
            ),
          ),
        );
      // Done with this collection: its metadata need not stay in memory (the run's memory stays flat).
      finished[index] = 1;
      for (const snapshot of snapshots) lookups.delete(key(collection, snapshot));
    },
    deps.signal,
  );

  const notes = [
    ...(verifyFailures > 0 ? [`${verifyFailures} failed verification after recovery`] : []),
    ...(reverified > 0 ? [`${reverified} verified again`] : []),
  ];
  return tally.finish(
    `Snapshots recovered: ${tally.done - reverified}, accepted: ${tally.accepted}, already recovered: ${tally.skipped}, failed: ${tally.failed}` +
      (notes.length > 0 ? ` (${notes.join("; ")})` : ""),
  );
}
