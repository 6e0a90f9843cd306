/**
 * Restoring one full-storage snapshot onto one restore host: each inner collection snapshot is streamed from the
 * archive straight into `POST /collections/{c}/snapshots/upload`, then the archive's aliases are created.
 *
 * Records (appended right after each step succeeds), so a run can be resumed:
 * - snapshot_recovery_history `host, {id}/{collection}, ok|accepted` per collection; `host, {id}, ok` once every
 *   collection and alias of the archive is done on the host (a later run skips the host without reading). `{id}` is
 *   `{source host:port}/{name}`, or the file name for --file (FullArchiveSource.id);
 * - failed_snapshot_recovery `host, {id}/{collection}, <code>` per failed upload, `host, {id}, <code>` when the
 *   archive cannot be read;
 * - alias_recovery_history `collection, alias, ok@host`, as recover_colla writes it.
 * Aliases are created only for collections restored on that host (now or in an earlier run), and only once the whole
 * archive was read, so a truncated archive never leaves aliases claimed as done.
 *
 * The work on one host, pass by pass over the archive: full-restore-host.ts.
 */
import { describeError, isFatal, key } from "./task/items.js";
import type { Tally } from "./task/tally.js";
import type { Deps } from "./task/deps.js";
import { QdrantError } from "../qdrant/errors.js";
import { ArchiveError } from "./full-archive.js";
import type { FullArchiveSource } from "./full-source.js";
import { HostRestore, type DoneMap } from "./full-restore-host.js";

export type { DoneMap } from "./full-restore-host.js";

/** Reads snapshot_recovery_history into a DoneMap. */
export async function readDone(deps: Pick<Deps, "state">): Promise<DoneMap> {
  const done: DoneMap = new Map();
  for (const r of await deps.state.read("snapshotRecoveryHistory")) {
    if (r.status === "ok" || r.status === "accepted") done.set(key(r.host, r.snapshot), r.status);
  }
  return done;
}

/** Restores `archive` onto `host`; every outcome is recorded and tallied. Throws only fatal errors. */
export async function restoreFullSnapshot(
  deps: Deps,
  tally: Tally,
  archive: FullArchiveSource,
  host: string,
  done: DoneMap,
): Promise<void> {
  const { log } = deps;
  if (done.has(key(host, archive.id))) {
    log.info(`${archive.id} is already restored on ${host}; skipped`);
    tally.add("skipped", { host, snapshot: archive.id, kind: "archive" });
    return;
  }
  const run = new HostRestore(deps, tally, archive, host, done);
  try {
    await run.restore();
  } catch (err) {
    if (!(err instanceof ArchiveError || err instanceof QdrantError) || isFatal(err)) throw err;
    // The archive could not be opened or read to its end: nothing after the break point is restored, no alias made.
    log.error(`Restoring ${archive.name} on ${host} stopped: ${describeError(err)}`);
    await deps.state.append("failedSnapshotRecovery", {
      host,
      snapshot: archive.id,
      status: err instanceof QdrantError ? err.code : "archive_unreadable",
    });
    tally.add("failed", { host, snapshot: archive.id, kind: "archive", error: describeError(err) });
  }
}
