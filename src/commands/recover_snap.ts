import { assertConfigured } from "../config.js";
import { createHostScheduler, type Slot } from "../lib/host-scheduler.js";
import { admissionWindow, createLimiter, runAdmitted } from "../lib/pool.js";
import { listStoreSnapshots } from "../backup/list-store-snapshots.js";
import { isDryRun, isFatal, settleAll } from "../backup/task/items.js";
import { readRecoveryPlan } from "../backup/recover-plan.js";
import { planRecoveries } from "../backup/recover-dry-run.js";
import { snapshotRecovery, type RecoveryProgress } from "../backup/recover-snapshot.js";
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
    const listed = await listStoreSnapshots(deps);
    log.info(state.dryRun ? `[dry run] ${listed.message} (in memory only)` : listed.message);
  }
  const plan = await readRecoveryPlan(deps, options.all === true);
  if (isDryRun(options, deps)) {
    planRecoveries(deps, tally, plan);
    return tally.finish(
      `[dry run] Snapshots that would be recovered: ${tally.items.filter((i) => i["action"] === "recover").length}, checked again: ${tally.items.filter((i) => i["action"] === "check").length}, already recovered: ${tally.skipped}; nothing changed`,
    );
  }
  const { byCollection } = plan;
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
  const step = snapshotRecovery(deps, tally, plan);
  const { metadataOf, recoverOne, checkHost } = step;

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
      const progress: RecoveryProgress = { recovered: new Map(), recheck: new Map() };
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
      for (const snapshot of snapshots) step.forget(collection, snapshot);
    },
    deps.signal,
  );

  const notes = [
    ...(step.counts.verifyFailures > 0 ? [`${step.counts.verifyFailures} failed verification after recovery`] : []),
    ...(step.counts.reverified > 0 ? [`${step.counts.reverified} verified again`] : []),
  ];
  return tally.finish(
    `Snapshots recovered: ${tally.done - step.counts.reverified}, accepted: ${tally.accepted}, already recovered: ${tally.skipped}, failed: ${tally.failed}` +
      (notes.length > 0 ? ` (${notes.join("; ")})` : ""),
  );
}
