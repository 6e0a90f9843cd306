/**
 * Before a drill: the scratch collections an earlier drill left (killed before its clean-up, or past its deadline),
 * recognised by their name alone (scratch.ts), are removed from the restore hosts, with the resume state and the
 * restore locks of their set restores. No other collection or alias is looked at twice: a name outside the pattern is never touched.
 */
import { RESTORE_LOCKS_PREFIX } from "../sets/restore-lock.js";
import { distinct } from "../task/items.js";
import type { Deps } from "../task/deps.js";
import { removeScratch } from "./cleanup.js";
import { isScratch } from "./scratch.js";

/** Removes every leftover scratch; returns one report line per scratch found. */
export async function removeLeftovers(deps: Deps, hosts: readonly string[]): Promise<string[]> {
  const lines: string[] = [];
  const found = new Map<string, string[]>();
  for (const host of hosts)
    for (const name of (await deps.qdrant.listCollections(host)).filter(isScratch))
      found.set(name, [...(found.get(name) ?? []), host]);
  for (const [name, on] of found) {
    deps.log.warn(`drill: ${name} on ${on.join(", ")} was left by an earlier drill that did not finish: removing it`);
    const { problems } = await removeScratch(deps, on, name);
    lines.push(
      problems.length === 0
        ? `drill: removed the leftover scratch ${name} on ${on.join(", ")}`
        : `drill: the leftover scratch ${name} could not be removed: ${problems.join("; ")}`,
    );
  }
  // A set restore's lines under a scratch name outlive the scratch when its drill was killed: purged too.
  const rows = (await deps.state.read("shardRecoveryHistory")).filter((r) => isScratch(r.collection));
  for (const key of distinct(rows.map((r) => JSON.stringify([r.target, r.collection])))) {
    const [target, name] = JSON.parse(key) as [string, string];
    await removeScratch(deps, [], name, target);
  }
  // And the restore locks of their set restores (a killed run's lease stays until it expires): never a live name's.
  if (deps.leaseObjects !== undefined) {
    const store = deps.store();
    for (const key of await store.listKeys(`${RESTORE_LOCKS_PREFIX}/`))
      if (isScratch(key.split("/")[2] ?? "")) await store.delete(key);
  }
  return lines;
}
