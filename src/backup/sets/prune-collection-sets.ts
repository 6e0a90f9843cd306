/**
 * Retention of one collection's sets, then its orphan sweep. Safety: every listing (manifests, `shards/`,
 * `restore_state/{c}/`) must succeed before anything is decided, else nothing of the collection is deleted; zero
 * manifests means nothing to do and no sweep; an unreadable manifest deletes nothing of its set and, like any failure
 * of the pass, skips the sweep (the keys it references are unknown). Sets go oldest first, one at a time.
 */
import { RESTORE_STATE_PREFIX, shardsPrefix } from "../../core/set-keys.js";
import { InterruptedError } from "../../errors.js";
import { mapPool } from "../../lib/pool.js";
import type { SnapshotStore, StoredObject } from "../../store/types.js";
import { describeError } from "../task/items.js";
import type { Deps } from "../task/deps.js";
import type { PruneItems } from "./prune-report.js";
import { deleteSet } from "./set-delete.js";
import { isReadable, listSetIds, readSet, type ListedSet } from "./set-listing.js";
import { planSets, type SetsPolicy } from "./set-retention.js";
import { planSweep, runSweep } from "./set-sweep.js";

export interface CollectionPruneOptions {
  readonly policy: SetsPolicy;
  /** Delete (true), or only report what would go (a dry run). */
  readonly remove: boolean;
  /** The sweep's clock: objects older than the grace period before this are eligible. */
  readonly now: Date;
}

/** Prunes the sets of `collection`, recording every decision in `out`. Throws only on an interrupt or state error. */
export async function pruneCollectionSets(
  deps: Deps,
  store: SnapshotStore,
  collection: string,
  opts: CollectionPruneOptions,
  out: PruneItems,
): Promise<void> {
  const { log } = deps;
  const group = `sets of ${collection}`;
  const fail = (key: string, action: string, error: string): void => {
    log.error(`${group}: ${error}`);
    out.add("failed", { group, key, action, error });
  };

  let ids: string[];
  let objects: StoredObject[];
  let existing: Set<string>;
  try {
    ids = await listSetIds(store, collection);
    if (ids.length === 0) {
      log.debug(`${group}: no manifests in ${store.location}; nothing to prune, no sweep`);
      return;
    }
    objects = await store.listObjects(shardsPrefix(collection));
    const states = await store.listKeys(`${RESTORE_STATE_PREFIX}/${collection}/`);
    existing = new Set([...objects.map((o) => o.key), ...states]);
  } catch (err) {
    if (err instanceof InterruptedError) throw err;
    fail("", "list", `cannot list it in ${store.location}: ${describeError(err)}; nothing of it was deleted`);
    return;
  }

  const sets = await mapPool(ids, deps.config.concurrency, (id) => readSet(store, collection, id), deps.signal);
  const byId = new Map<string, ListedSet>(sets.map((s) => [s.id, s]));
  const readable = new Set(sets.filter(isReadable).map((s) => s.id));
  const plan = planSets(ids, readable, opts.policy);
  let sweepBlocked: string | undefined;

  if (plan.refused) log.warn(`${group}: refused: ${plan.refused}`);
  for (const d of plan.decisions) {
    const set = byId.get(d.id);
    if (set !== undefined && !isReadable(set)) {
      sweepBlocked = `set ${d.id} has an unreadable manifest`;
      if (d.keep || plan.refused) log.warn(`${group}: keep set ${d.id}, its manifest is unreadable: ${set.problem}`);
    }
    if (d.keep) {
      log.info(`keep set ${d.id} (${group}; ${d.reasons.join(", ")})`);
      out.add("skipped", { group, key: d.id, action: "keep", rules: d.reasons.join(", ") });
    } else if (plan.refused) {
      log.info(`refused to delete set ${d.id} (${group})`);
      out.add("skipped", { group, key: d.id, action: "refused", rules: "" });
    }
  }
  if (plan.refused && opts.remove) fail("", "refused", plan.refused);

  const gone = new Set<string>();
  const deleting = new Set(plan.toDelete);
  const shared = new Set(
    sets
      .filter(isReadable)
      .filter((s) => !deleting.has(s.id))
      .flatMap((s) => s.manifest.shards.map((sh) => sh.s3_key)),
  );
  for (const id of plan.toDelete) {
    const set = byId.get(id);
    if (set === undefined) continue;
    if (!isReadable(set)) {
      fail(id, "delete", `${set.problem}; nothing of set ${id} is deleted, and no sweep this pass`);
      continue;
    }
    const keys = [set.key, ...set.manifest.shards.map((s) => s.s3_key).filter((k) => !shared.has(k))];
    if (!opts.remove) {
      log.info(`would delete set ${id} (${group}): ${keys.join(", ")}`);
      keys.forEach((k) => gone.add(k));
      out.deleted += 1;
      out.add("skipped", { group, key: id, action: "delete", rules: "" });
      continue;
    }
    const result = await deleteSet(deps, store, set.key, set.manifest, existing, shared);
    result.deleted.forEach((k) => gone.add(k));
    if (result.errors.length === 0) {
      log.info(`Deleted set ${id} (${group}): ${result.deleted.length} objects`);
      out.deleted += 1;
      out.add("done", { group, key: id, action: "delete", rules: "" });
    } else {
      sweepBlocked = `deleting set ${id} failed`;
      fail(id, "delete", result.errors.join("; "));
    }
  }

  if (sweepBlocked !== undefined) {
    log.warn(`${group}: no orphan sweep this pass: ${sweepBlocked}`);
    return;
  }
  const remaining = sets.filter(isReadable).filter((s) => !gone.has(s.key));
  if (remaining.length === 0) {
    log.warn(`${group}: no readable manifest remains; no orphan sweep`);
    return;
  }
  await sweep(deps, store, collection, opts, out, {
    objects: objects.filter((o) => !gone.has(o.key) && !gone.has(o.key.replace(/\.checksum$/, ""))),
    referenced: new Set(remaining.flatMap((s) => s.manifest.shards.map((sh) => sh.s3_key))),
  });
}

async function sweep(
  deps: Deps,
  store: SnapshotStore,
  collection: string,
  opts: CollectionPruneOptions,
  out: PruneItems,
  input: { objects: StoredObject[]; referenced: Set<string> },
): Promise<void> {
  const { log } = deps;
  const { sweepGraceSeconds: grace, sweepDeleteCapPct: cap } = deps.config.sets;
  const group = `sets of ${collection}`;
  const plan = planSweep(collection, input.objects, input.referenced, opts.now, grace, cap);
  if (plan.young > 0)
    log.info(`${group}: ${plan.young} unreferenced shard objects younger than ${grace} s kept (grace period)`);
  if (plan.refused !== undefined) {
    log.warn(`${group}: sweep refused: ${plan.refused}`);
    out.add(opts.remove ? "failed" : "skipped", { group, key: "", action: "sweep refused", error: plan.refused });
    return;
  }
  if (!opts.remove) {
    for (const o of plan.eligible) {
      log.info(
        `would sweep ${o.key} (${group}: referenced by no manifest, last modified ${o.lastModified.toISOString()})`,
      );
      out.add("skipped", { group, key: o.key, action: "sweep", rules: "" });
    }
    out.swept += plan.eligible.length;
    return;
  }
  const result = await runSweep(deps, store, plan);
  for (const key of result.deleted) {
    log.info(`Swept ${key} (${group}: referenced by no manifest)`);
    out.add("done", { group, key, action: "sweep", rules: "" });
  }
  for (const error of result.errors) {
    log.warn(`${group}: ${error}`);
    out.add("failed", { group, key: "", action: "sweep", error });
  }
  out.swept += result.deleted.length;
}
