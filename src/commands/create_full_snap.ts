import { createSnapshotResolved } from "../backup/ambiguous-create.js";
import { transferFullSnapshot } from "../backup/full-transfer.js";
import { assertConfigured } from "../config.js";
import { mapPool } from "../lib/pool.js";
import { describeError, distinct, isFatal } from "../backup/task/items.js";
import { Tally } from "../backup/task/tally.js";
import type { Deps, TaskOptions, TaskSummary } from "../backup/task/deps.js";

/**
 * create_full_snap: a full-storage snapshot (POST /snapshots: every collection and the aliases) on each source host,
 * one per host, hosts in parallel up to QDRANT_CONCURRENCY. Each is appended to `full_snapshots` (host, name) as
 * soon as it is done. With QDRANT_SNAPSHOT_TRANSFER=true "done" means streamed into the destination at
 * `full_snapshots/{host:port}/{name}`, SHA-256 checked, with its metadata written (and, with
 * QDRANT_DELETE_AFTER_TRANSFER=true, deleted on the node). Without transfer nothing is written to the destination:
 * the snapshot stays where Qdrant keeps it. Failures are logged and counted (exit 3), never written as rows.
 */
export async function run(_options: TaskOptions, deps: Deps): Promise<TaskSummary> {
  const { config, log, state } = deps;
  assertConfigured(config, "create_full_snap", config.transfer ? ["source", "destination"] : ["source"]);
  const tally = new Tally("create_full_snap", deps.progress);
  const hosts = distinct(config.sourceHosts);
  tally.start(hosts.length);

  await mapPool(hosts, config.concurrency, (host) => tally.track({ host }, () => fullSnapshotOf(host)), deps.signal);

  return tally.finish(`Full snapshots created: ${tally.done}, accepted: ${tally.accepted}, failed: ${tally.failed}`);

  async function fullSnapshotOf(host: string): Promise<void> {
    tally.begin({ host });
    let name: string | undefined;
    try {
      const out = await createSnapshotResolved(deps, host, { kind: "full" });
      if (out.status === "accepted") {
        log.info(`Full snapshot on ${host} accepted (wait=false); run get_full_snap once Qdrant has finished it`);
        if (config.transfer)
          log.warn(`Full snapshot on ${host} is not transferred: its name is unknown with QDRANT_WAIT_ON_TASK=false`);
        tally.add("accepted", { host });
        return;
      }
      name = out.snapshot.name;
      if (!config.transfer) {
        await state.append("fullSnapshots", { host, snapshot: name });
        log.info(`Created full snapshot ${name} on ${host}`);
        tally.add("done", { host, snapshot: name });
        return;
      }
      const stored = await transferFullSnapshot(deps, host, out.snapshot);
      await state.append("fullSnapshots", { host, snapshot: name });
      log.info(
        `Created full snapshot ${name} on ${host} and stored it at ${deps.store().location}/${stored.key} (${stored.size} bytes, sha256 ${stored.sha256})`,
      );
      tally.add("done", { host, snapshot: name, key: stored.key, sha256: stored.sha256 });
    } catch (err) {
      if (isFatal(err)) throw err;
      const left = name === undefined ? "" : ` (${name} stays on the node)`;
      log.error(`Full snapshot on ${host} failed: ${describeError(err)}${left}`);
      tally.add("failed", { host, ...(name === undefined ? {} : { snapshot: name }), error: describeError(err) });
    }
  }
}
