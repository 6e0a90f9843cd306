/**
 * The drill of each collection in turn: leftovers of earlier drills removed first (leftovers.ts), then per
 * collection the backup chosen (choose.ts) and drilled under a fresh scratch name (scratch.ts): a set onto each
 * target cluster of QDRANT_RESTORE_HOSTS, legacy snapshots onto every restore host (drill-on.ts). All of it under the
 * drill lock of every target (drill-lock.ts), released at the end.
 */
import { discoverTargets, type Target } from "../sets/restore-target.js";
import type { Deps } from "../task/deps.js";
import { chooseBackup } from "./choose.js";
import { drillOn, type DrillBase } from "./drill-on.js";
import { historyRow, reportLine, type Evidence } from "./evidence.js";
import { restoreSet } from "./restore-set.js";
import { restoreSnapshots } from "./restore-snapshot.js";
import { NAME_MAX_BYTES, scratchName } from "./scratch.js";
import { removeLeftovers } from "./leftovers.js";
import { lockDrill, type DrillLock } from "./drill-lock.js";

export interface DrillRun {
  evidence: Evidence[];
  /** One line per leftover scratch found. */
  leftovers: string[];
}

export async function runDrill(deps: Deps, collections: readonly string[]): Promise<DrillRun> {
  const targets = await discoverTargets(deps);
  const lock = await lockDrill(deps, targets);
  try {
    const run = await drillAll(deps, collections, targets, lock);
    const lost = lock.lost();
    if (lost !== undefined) throw lost;
    return run;
  } catch (err) {
    throw lock.lost() ?? err;
  } finally {
    await lock.release();
  }
}

async function drillAll(
  deps: Deps,
  collections: readonly string[],
  targets: readonly Target[],
  lock: DrillLock,
): Promise<DrillRun> {
  const hosts = deps.config.restoreHosts;
  const leftovers = await removeLeftovers(deps, hosts, lock.held ? targets : undefined);
  const evidence: Evidence[] = [];
  const note = (e: Evidence) => {
    evidence.push(e);
    if (e.passed) deps.log.info(reportLine(e));
    else deps.log.error(reportLine(e));
  };
  for (const collection of collections) {
    const lost = lock.lost(); // a drill lock not renewed in time: another drill may take it over, stop now
    if (lost !== undefined) throw lost;
    const start = deps.clock();
    const base: DrillBase = {
      startedAt: start.toISOString(),
      collection,
      scratch: scratchName(collection, start),
      location: deps.store().location,
    };
    const none = (detail: string): Evidence => ({
      ...base,
      kind: "none",
      backup: "",
      key: "",
      targets: hosts,
      expected: "unknown",
      found: "unknown",
      seconds: 0,
      cleanupSeconds: 0,
      detail,
      passed: false,
    });
    const source = Buffer.byteLength(base.scratch) > NAME_MAX_BYTES ? undefined : await chooseBackup(deps, collection);
    if (source === undefined) {
      const e = none(
        Buffer.byteLength(base.scratch) > NAME_MAX_BYTES
          ? `the scratch name is longer than Qdrant's ${NAME_MAX_BYTES} bytes`
          : `no backup of ${collection} in ${base.location}${deps.config.snapshotFilter ? ` matching QDRANT_SNAPSHOT_DATETIME_FILTER=${deps.config.snapshotFilter}` : ""}`,
      );
      await deps.state.append("drillHistory", historyRow(e));
      note(e);
      continue;
    }
    if (source.kind === "snapshot") {
      note(
        await drillOn(deps, base, "snapshot", hosts, undefined, () =>
          restoreSnapshots(deps, collection, source.names, base.scratch),
        ),
      );
      continue;
    }
    for (const target of targets)
      note(
        await drillOn(deps, base, "set", [target.host], target.host, () =>
          restoreSet(deps, target, collection, base.scratch, source),
        ),
      );
  }
  return { evidence, leftovers };
}
