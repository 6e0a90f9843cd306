// recover_snap's work on one restore host: recover a snapshot (or skip it as done), record the outcome, and check
// the collection once its snapshots are recovered. The command (commands/recover_snap.ts) schedules these steps.
import { recoverResolved } from "./ambiguous-recover.js";
import { lookUpMetadata, recoverFromStore, recoveryFailureStatus, type MetadataLookup } from "./recover-source.js";
import type { BackupMetadata } from "./metadata.js";
import type { RecoveryPlan } from "./recover-plan.js";
import { VerificationError, verifyRecovery } from "./verify.js";
import { collectionSnapshotKey } from "../core/keys.js";
import type { Slot } from "../lib/host-scheduler.js";
import { describeError, isFatal, key } from "./task/items.js";
import type { Tally } from "./task/tally.js";
import type { Deps } from "./task/deps.js";

/** Per host: snapshots of the current collection recovered `ok` in this run, and one whose failed check to repeat. */
export type RecoveryProgress = { recovered: Map<string, string[]>; recheck: Map<string, string> };

/**
 * The steps of a recover_snap run over `plan`, sharing one metadata cache and the run's counts of failed checks and
 * of checks passed again (for the summary line).
 */
export function snapshotRecovery(deps: Deps, tally: Tally, plan: RecoveryPlan) {
  const { config, log, state } = deps;
  const { done, unverified, failedChecks } = plan;
  const lookups = new Map<string, Promise<MetadataLookup>>();
  const noticed = new Set<string>();
  const counts = { verifyFailures: 0, reverified: 0 };

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
      if (again) counts.reverified++;
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
      counts.verifyFailures++;
      await fail(host, collection, snapshot, err.status, err, "Verification of");
    }
  };

  /** Recovers `snapshot` of `collection` on `host` (in `slot`) unless done, or marks a done one to be checked again. */
  const recoverOne = async (
    host: string,
    collection: string,
    snapshot: string,
    newer: readonly string[],
    p: RecoveryProgress,
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
  const checkHost = async (host: string, collection: string, p: RecoveryProgress) => {
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

  /** Forgets the metadata of a finished collection's snapshot (the run's memory stays flat). */
  const forget = (collection: string, snapshot: string) => lookups.delete(key(collection, snapshot));
  return { metadataOf, recoverOne, checkHost, forget, counts };
}
