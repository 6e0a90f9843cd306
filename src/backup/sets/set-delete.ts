/**
 * Deleting one backup set: the manifest first (from then on the set no longer exists, and a run killed half-way
 * leaves only unreferenced shard objects, which the sweep reclaims), then each shard object the manifest names,
 * then, best-effort, their `.checksum` companions and the set's restore state. A key outside the collection's
 * `snapshots/{c}/shards/` is refused, one at a time: a manifest never makes retention delete anything else.
 */
import { SNAPSHOTS_PREFIX } from "../../core/keys.js";
import { restoreStateKey, shardsPrefix } from "../../core/set-keys.js";
import { InterruptedError, StateFileError } from "../../errors.js";
import type { SnapshotStore } from "../../store/types.js";
import { describeError } from "../task/items.js";
import type { Deps } from "../task/deps.js";
import type { Manifest } from "./manifest.js";

/** What deleting a set did: the keys deleted, in order, and the failures (one line each; empty when all went). */
export interface SetDeletion {
  readonly deleted: string[];
  readonly errors: string[];
}

/**
 * Why `key` is not a shard object of `collection` that retention may delete, or undefined when it is: it must lie
 * under `snapshots/{c}/shards/` (the collection segment as Qdrant encodes it, or verbatim as the bash tool's mc
 * paths wrote it), with no empty, `.` or `..` segment after it.
 */
export function refusalOf(collection: string, key: string): string | undefined {
  const verbatim = !collection.includes("/") && collection !== "." && collection !== "..";
  const prefixes = [shardsPrefix(collection), ...(verbatim ? [`${SNAPSHOTS_PREFIX}/${collection}/shards/`] : [])];
  const prefix = prefixes.find((p) => key.startsWith(p));
  if (prefix === undefined) return `${key} is not under ${shardsPrefix(collection)}`;
  const rest = key.slice(prefix.length).split("/");
  if (rest.some((s) => s === "" || s === "." || s === "..")) return `${key} has an empty, . or .. segment`;
  return undefined;
}

/**
 * Deletes the set `manifest` describes, whose manifest is at `manifestKey`. Each deletion is appended to
 * `pruned_snapshots`. When the manifest cannot be deleted, nothing else is.
 * @param existing the keys listed under the collection's `shards/` and `restore_state/{c}/` before: companions and
 *   restore state are deleted only when listed there
 * @param shared shard keys that sets being kept reference too (two runs within one second get the same shard
 *   snapshot names): never deleted with this set
 */
export async function deleteSet(
  deps: Deps,
  store: SnapshotStore,
  manifestKey: string,
  manifest: Manifest,
  existing: ReadonlySet<string>,
  shared: ReadonlySet<string> = new Set(),
): Promise<SetDeletion> {
  const { log } = deps;
  const c = manifest.collection;
  const set = manifest.backup_set_id;
  const deleted: string[] = [];
  const errors: string[] = [];
  const remove = async (key: string): Promise<void> => {
    await store.delete(key);
    deleted.push(key);
    await deps.state.append("prunedSnapshots", {
      location: store.location,
      key,
      deleted_at: deps.clock().toISOString(),
    });
  };
  const attempt = async (key: string): Promise<string | undefined> => {
    if (deps.signal.aborted) throw new InterruptedError();
    try {
      await remove(key);
      return undefined;
    } catch (err) {
      if (err instanceof InterruptedError || err instanceof StateFileError) throw err;
      return describeError(err);
    }
  };

  const manifestError = await attempt(manifestKey);
  if (manifestError !== undefined) {
    errors.push(`cannot delete the manifest ${manifestKey}: ${manifestError}; nothing of set ${set} was deleted`);
    return { deleted, errors };
  }
  const shardKeys: string[] = [];
  for (const shard of manifest.shards) {
    const refused = refusalOf(c, shard.s3_key);
    if (refused !== undefined) {
      errors.push(`refused to delete shard ${shard.id} of set ${set}: ${refused}`);
      continue;
    }
    if (shared.has(shard.s3_key)) {
      log.info(`Kept ${shard.s3_key} (shard ${shard.id} of set ${set}): a set that is kept names it too`);
      continue;
    }
    const error = await attempt(shard.s3_key);
    if (error === undefined) shardKeys.push(shard.s3_key);
    else errors.push(`cannot delete ${shard.s3_key} (shard ${shard.id} of set ${set}): ${error}`);
  }
  // Best-effort: a companion left behind is unreferenced and swept later; restore state is only a resume hint.
  const extras = [...shardKeys.map((k) => `${k}.checksum`), restoreStateKey(c, set)].filter((k) => existing.has(k));
  for (const key of extras) {
    const error = await attempt(key);
    if (error !== undefined) log.warn(`Cannot delete ${key} (set ${set} of ${c}, best-effort): ${error}`);
  }
  return { deleted, errors };
}
