/**
 * Which set of a collection is restored: the newest, or with QDRANT_SNAPSHOT_DATETIME_FILTER the newest whose id
 * starts with it (never a silent substitute: no match fails the collection, listing the ids there are). When the
 * chosen set fails its pre-flight, the next older one is tried, one at a time and said so; never with a filter.
 */
import type { Deps } from "../task/deps.js";
import { preflightSet, SetRejected, type CheckedSet } from "./restore-preflight.js";
import { newestFirst, setIdMatches } from "./set-id.js";
import { listSetIds } from "./set-listing.js";

type SelectDeps = Pick<Deps, "store" | "state" | "log" | "config">;

/**
 * The set to restore, checked.
 * @throws SetRejected when no set can be restored (the message names every set tried and why)
 */
export async function selectSet(
  deps: SelectDeps,
  target: string,
  collection: string,
  /** The name the collection gets on the target (--as), under which its resume state is kept. */
  stateName = collection,
): Promise<CheckedSet> {
  const filter = deps.config.snapshotFilter;
  const ids = newestFirst(await listSetIds(deps.store(), collection));
  if (ids.length === 0) throw new SetRejected(`no backup set of ${collection} in ${deps.store().location}`, false);
  if (filter !== "") {
    const chosen = ids.find((id) => setIdMatches(id, filter));
    if (chosen === undefined)
      throw new SetRejected(
        `no set of ${collection} starts with QDRANT_SNAPSHOT_DATETIME_FILTER=${JSON.stringify(filter)}; sets there are: ${ids.join(", ")}`,
        false,
      );
    deps.log.info(`${collection}: set ${chosen} (the newest matching QDRANT_SNAPSHOT_DATETIME_FILTER)`);
    return preflightSet(deps, target, collection, chosen, stateName);
  }
  const tried: string[] = [];
  for (const [i, id] of ids.entries()) {
    try {
      const checked = await preflightSet(deps, target, collection, id, stateName);
      deps.log.info(`${collection}: set ${id}${i === 0 ? " (the newest)" : ` (falling back from ${ids[0]})`}`);
      return checked;
    } catch (err) {
      if (!(err instanceof SetRejected)) throw err;
      tried.push(err.message);
      const older = ids[i + 1];
      if (!err.older || older === undefined) break;
      deps.log.warn(`WARNING: ${err.message}; falling back from set ${id} to the next older set ${older}`);
    }
  }
  throw new SetRejected(`no set of ${collection} passed its pre-flight: ${tried.join("; ")}`, false);
}
