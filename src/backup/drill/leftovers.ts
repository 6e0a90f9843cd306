/**
 * Before a drill: the scratch collections an earlier drill left (killed before its clean-up, or past its deadline),
 * recognised by their name alone (scratch.ts), are removed from the restore hosts, with the resume state and the
 * restore locks of their set restores. No other collection or alias is looked at twice: a name outside the pattern is never touched.
 * Only under the drill lock of every target (drill-lock.ts): no other drill runs there, so no scratch found is live.
 * Without it (no bucket) they are named in a warning and left alone.
 */
import { RESTORE_LOCKS_PREFIX, targetId } from "../sets/restore-lock.js";
import type { Target } from "../sets/restore-target.js";
import { distinct } from "../task/items.js";
import type { Deps } from "../task/deps.js";
import { removeScratch } from "./cleanup.js";
import { isScratch } from "./scratch.js";

/** Removes every leftover scratch; returns one report line per scratch found. */
export async function removeLeftovers(
  deps: Deps,
  hosts: readonly string[],
  /** The targets whose drill locks this drill holds; undefined when it holds none (no bucket). */
  locked: readonly Target[] | undefined,
): Promise<string[]> {
  const lines: string[] = [];
  const found = new Map<string, string[]>();
  for (const host of hosts)
    for (const name of (await deps.qdrant.listCollections(host)).filter(isScratch))
      found.set(name, [...(found.get(name) ?? []), host]);
  if (locked === undefined) {
    for (const [name, on] of found)
      lines.push(
        `drill: ${name} on ${on.join(", ")} looks left by an earlier drill; NOT removed without a drill lock (no bucket): delete it once no drill runs`,
      );
    for (const line of lines) deps.log.warn(line);
    return lines;
  }
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
  // And the restore locks of their set restores on the locked targets (a killed run's lease stays until it expires).
  const store = deps.store();
  for (const target of locked)
    for (const key of await store.listKeys(`${RESTORE_LOCKS_PREFIX}/${targetId(target)}/`))
      if (isScratch(key.split("/")[2] ?? "")) await store.delete(key);
  return lines;
}
