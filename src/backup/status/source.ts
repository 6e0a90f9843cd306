/**
 * The collections of the source hosts (QDRANT_SOURCE_HOSTS), for the freshness check of status: every host is asked
 * (independent instances each have their own). Reads only; never fails the run by itself.
 */
import { InterruptedError } from "../../errors.js";
import type { Deps } from "../task/deps.js";
import { describeError } from "../task/items.js";

export type SourceCollections =
  | { readonly checked: true; readonly collections: ReadonlySet<string> }
  /** Not checked: `why` is one line; `unreachable` when a host was set but could not be listed (exit 4). */
  | { readonly checked: false; readonly why: string; readonly unreachable: boolean };

export async function sourceCollections(deps: Pick<Deps, "config" | "qdrant">): Promise<SourceCollections> {
  const hosts = deps.config.sourceHosts;
  if (hosts.length === 0)
    return { checked: false, why: "QDRANT_SOURCE_HOSTS is not set: no freshness check", unreachable: false };
  const collections = new Set<string>();
  for (const host of hosts) {
    try {
      for (const c of await deps.qdrant.listCollections(host)) collections.add(c);
    } catch (err) {
      if (err instanceof InterruptedError) throw err;
      return {
        checked: false,
        why: `cannot list the collections of ${host} (${describeError(err)}): no freshness check`,
        unreachable: true,
      };
    }
  }
  return { checked: true, collections };
}
