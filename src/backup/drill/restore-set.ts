/**
 * A drill from a backup set, by recover_snap_shards' machinery under another name (its `--as`): backup/sets/restore-collection.ts
 * selects and pre-flights the set, passes the gates, creates the scratch from the manifest, recovers every shard on
 * its placed peer and verifies it exactly as a restore does; the scratch gets no alias.
 */
import { manifestKey } from "../../core/set-keys.js";
import { restoreCollection } from "../sets/restore-collection.js";
import { targetVersion, type Target } from "../sets/restore-target.js";
import type { Deps } from "../task/deps.js";
import type { Restored } from "./restored.js";

export async function restoreSet(
  deps: Deps,
  target: Target,
  collection: string,
  scratch: string,
  source: { newest: string; legacy: string | undefined },
): Promise<Restored> {
  const verdict = await restoreCollection(deps, target, await targetVersion(deps, target.host), collection, scratch);
  const set = verdict.set ?? source.newest;
  const also = source.legacy ? ` (legacy snapshot ${source.legacy} exists too; the set is preferred)` : "";
  return {
    passed: verdict.verified,
    backup: set,
    key: manifestKey(collection, set),
    expected: verdict.expected ?? "unknown",
    found: verdict.found === undefined ? "unknown" : String(verdict.found),
    detail: `${verdict.line}${also}`,
  };
}
