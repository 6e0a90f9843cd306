import { listInventory, type Candidate } from "../backup/prune-sources.js";
import { deleteEverywhere, deleteOrphanedMetadata, placeName } from "../backup/prune-delete.js";
import { planGroup, type GroupPlan } from "../backup/prune-plan.js";
import { assertConfigured, hasDestination } from "../config.js";
import { ConfigError, InterruptedError, UpstreamError } from "../errors.js";
import { mapPool } from "../lib/pool.js";
import type { SnapshotStore } from "../store/types.js";
import { discoverPeers } from "../backup/peers.js";
import { describeError } from "../backup/task/items.js";
import { Tally } from "../backup/task/tally.js";
import type { Deps, TaskOptions, TaskSummary } from "../backup/task/deps.js";
import { pruneLegacy } from "../backup/sets/legacy-prune.js";
import { resolvePruneCollections } from "../backup/sets/prune-collections.js";
import { addToTally, type PruneReport } from "../backup/sets/prune-report.js";
import { pruneSets } from "../backup/sets/prune-sets.js";

/**
 * prune_snap: applies the retention policy (QDRANT_KEEP_*) to the snapshots in the destination (the bucket or
 * QDRANT_BACKUP_DIR) and on the nodes (QDRANT_SOURCE_HOSTS, or every peer with GET_PEERS_FROM_CLUSTER_INFO=true).
 * A dry run unless `confirm`: every snapshot is reported (item and info log line) as keep, delete or refused, with
 * the rules that kept it. Safety: everything is listed before anything is decided and a failed listing ends the run
 * (exit 4, nothing deleted); the newest snapshot of a group is always kept; a group where the policy would delete
 * more than QDRANT_PRUNE_MAX_DELETE_PCT percent is left alone unless `force` (with --confirm that counts as a failure,
 * exit 3; other groups are still pruned); only keys inside the snapshot layout are touched. Each deletion is
 * appended to `pruned_snapshots` as soon as it succeeds; a failed one is logged and counted (exit 3), the run goes on.
 * With `confirm`, metadata left behind by an interrupted run (its snapshot recorded in `pruned_snapshots` and listed
 * nowhere any more) is deleted too.
 * Backup sets in the destination are pruned too (backup/sets/prune-sets.ts: by QDRANT_BACKUP_RETENTION_SETS or the same
 * QDRANT_KEEP_*, then the orphan sweep); their shard snapshots are not groups of their own. With `legacy`, only the
 * bash tool's day-0 cleanup runs (backup/sets/legacy-prune.ts: QDRANT_LEGACY_KEEP_RUNS collection snapshots per peer).
 */
export async function run(options: TaskOptions, deps: Deps): Promise<TaskSummary> {
  const { config, log } = deps;
  const tally = new Tally("prune_snap", deps.progress);
  // --dry-run wins over --confirm: a plan was asked for.
  const confirm = options.confirm === true && options.dryRun !== true;
  const destination = hasDestination(config);
  if (options.legacy === true) {
    assertConfigured(config, "prune_snap --legacy", ["destination"]);
    const store = deps.store();
    const collections = await resolvePruneCollections(deps, store, "prune_snap --legacy", false);
    const report = await pruneLegacy(deps, store, collections, confirm);
    addToTally(tally, report);
    return tally.finish(report.message);
  }
  if (destination) assertConfigured(config, "prune_snap", ["destination"]);
  else if (config.sourceHosts.length === 0) {
    throw new ConfigError(
      "prune_snap: nothing to prune: set QDRANT_S3_BUCKET_NAME or QDRANT_BACKUP_DIR (the destination) and/or QDRANT_SOURCE_HOSTS (the nodes)",
    );
  }
  const store = destination ? deps.store() : undefined;
  const nodes = await resolveNodes(deps);
  const k = config.keep;
  log.info(
    `${confirm ? "Pruning" : "Dry run (nothing is deleted; --confirm deletes)"}: keep last ${k.last}, daily ${k.daily}, weekly ${k.weekly}, ` +
      `monthly ${k.monthly}, yearly ${k.yearly}, at most ${config.pruneMaxDeletePct}% of a group${options.force ? " (--force: no limit)" : ""}; ` +
      `in ${[store?.location, ...nodes].filter(Boolean).join(", ")}`,
  );

  // Every listing before anything is deleted: the collections whose sets are pruned too.
  const setCollections = store ? await resolvePruneCollections(deps, store, "prune_snap", true) : [];
  const inventory = await listInventory(deps, store, nodes);
  if (inventory.setShards > 0) {
    log.info(
      `${inventory.setShards} shard ${inventory.setShards === 1 ? "snapshot" : "snapshots"} of collections with backup sets: pruned with their sets`,
    );
  }
  if (inventory.ignored > 0) {
    log.info(
      `${inventory.ignored} ${inventory.ignored === 1 ? "object" : "objects"} under snapshots/ and full_snapshots/ outside the snapshot layout: left alone`,
    );
  }
  const plans = [...inventory.groups.values()]
    .map((g) => planGroup(g, config.keep, config.pruneMaxDeletePct, options.force === true))
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));

  for (const plan of plans) report(deps, tally, plan, confirm, store);
  if (confirm) {
    await mapPool(
      plans,
      config.concurrency,
      (plan) => deleteGroup(deps, tally, plan, store, inventory.metadataKeys),
      deps.signal,
    );
    if (store) await deleteOrphanedMetadata(deps, store, inventory);
  }
  const sets: PruneReport | undefined = store
    ? await pruneSets(deps, setCollections, { remove: confirm, trigger: "prune_snap", force: options.force === true })
    : undefined;
  if (store?.sweepPartials) await sweepPartials(deps, store, confirm);
  const message = summarize(plans, confirm, tally, config.pruneMaxDeletePct);
  if (sets) addToTally(tally, sets);
  // Without any set in the destination, the summary stays as it was before sets existed.
  return tally.finish(sets && sets.items.length > 0 ? `${message}; ${sets.message}` : message);
}

/** The nodes to prune: the source hosts, or every peer of the cluster with GET_PEERS_FROM_CLUSTER_INFO=true. */
async function resolveNodes(deps: Deps): Promise<string[]> {
  const { config } = deps;
  if (config.sourceHosts.length === 0 || !config.discoverPeers) return [...config.sourceHosts];
  let peers: Awaited<ReturnType<typeof discoverPeers>>;
  try {
    peers = await discoverPeers(deps);
  } catch (err) {
    if (err instanceof InterruptedError) throw err;
    throw new UpstreamError(
      `prune_snap: cannot list the peers of ${config.sourceHosts[0]}: ${describeError(err)}; refusing to prune, nothing was deleted`,
      { cause: err },
    );
  }
  return peers ? [...new Set(peers.values())] : [...config.sourceHosts];
}

/** Logs and records every snapshot of a plan as keep, delete (dry run; deleted ones are recorded as they go) or refused. */
function report(deps: Deps, tally: Tally, plan: GroupPlan, confirm: boolean, store: SnapshotStore | undefined): void {
  if (plan.refused) deps.log.warn(`${plan.label}: refused: ${plan.refused}`);
  for (const s of plan.snapshots) {
    const action = s.keep ? "keep" : plan.refused ? "refused" : "delete";
    const item = itemOf(plan, s.candidate, action, s.reasons.join(", "), store);
    if (action === "delete" && confirm) continue;
    const verb = action === "delete" ? "would delete" : action === "refused" ? "refused to delete" : "keep";
    deps.log.info(`${verb} ${item["key"]} in ${item["places"]} (${plan.label}${s.keep ? `; ${item["rules"]}` : ""})`);
    tally.add("skipped", item);
  }
  if (plan.refused && confirm) tally.add("failed", { group: plan.label, action: "refused", error: plan.refused });
}

/** Deletes a group's condemned snapshots, oldest first, each from every place it was listed. */
async function deleteGroup(
  deps: Deps,
  tally: Tally,
  plan: GroupPlan,
  store: SnapshotStore | undefined,
  metadataKeys: ReadonlySet<string>,
): Promise<void> {
  for (const candidate of [...plan.toDelete].reverse()) {
    if (deps.signal.aborted) throw new InterruptedError();
    const item = itemOf(plan, candidate, "delete", "", store);
    const errors = await deleteEverywhere(deps, candidate, store, metadataKeys);
    if (errors.length === 0) {
      deps.log.info(`Deleted ${candidate.key} from ${item["places"]} (${plan.label})`);
      tally.add("done", item);
    } else {
      const error = errors.join("; ");
      deps.log.error(`Cannot delete ${candidate.key} (${plan.label}): ${error}`);
      tally.add("failed", { ...item, error });
    }
  }
}

/** One item of the --json output. */
function itemOf(
  plan: GroupPlan,
  c: Candidate,
  action: string,
  rules: string,
  store: SnapshotStore | undefined,
): Record<string, string> {
  return {
    group: plan.label,
    key: c.key,
    places: c.places.map((p) => placeName(p, store)).join(", "),
    time: c.time?.toISOString() ?? "",
    action,
    rules,
  };
}

function summarize(plans: readonly GroupPlan[], confirm: boolean, tally: Tally, maxPct: number): string {
  const total = plans.reduce((n, p) => n + p.snapshots.length, 0);
  const kept = plans.reduce((n, p) => n + p.snapshots.filter((s) => s.keep).length, 0);
  const condemned = plans.reduce((n, p) => n + p.toDelete.length, 0);
  const refusedPlans = plans.filter((p) => p.refused !== undefined);
  const refused = refusedPlans.length;
  const spared = refusedPlans.reduce((n, p) => n + p.snapshots.filter((s) => !s.keep).length, 0);
  const refusedText =
    refused > 0
      ? `, ${refused} ${refused === 1 ? "group" : "groups"} refused (${spared} more to delete, over ${maxPct}%; --force allows it)`
      : "";
  const groups = `${plans.length} ${plans.length === 1 ? "group" : "groups"}`;
  if (!confirm)
    return `Dry run: ${condemned} of ${total} snapshots in ${groups} would be deleted, ${kept} kept${refusedText}; --confirm deletes them`;
  return `Deleted ${tally.done} of ${total} snapshots in ${groups}, ${kept} kept, ${tally.failed - refused} failed${refusedText}`;
}

/** A killed put's temporary file older than this is a leftover, never a put still running (one run holds the lock). */
const PARTIAL_MAX_AGE_MS = 24 * 3600 * 1000;

/** Removes (lists, in a dry run) the temporary files killed runs left in the destination more than a day ago. */
async function sweepPartials(deps: Deps, store: SnapshotStore, confirm: boolean): Promise<void> {
  const before = new Date(deps.clock().getTime() - PARTIAL_MAX_AGE_MS);
  const found = (await store.sweepPartials?.(before, confirm)) ?? [];
  if (found.length === 0) return;
  const what = `${found.length} temporary ${found.length === 1 ? "file" : "files"} of interrupted writes, older than a day, in ${store.location}`;
  deps.log.info(confirm ? `removed ${what}` : `would remove ${what}: ${found.join(", ")}`);
}
