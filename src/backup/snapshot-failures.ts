// create_snap's failures, kept in the snapshot_failures state file so that `create_snap --only-failed` retries them.
import type { StateStore } from "../state/files.js";
import { key } from "./task/items.js";

/** A (host, collection) whose latest snapshot attempt failed; host "" is every host of the collection. */
export interface Failing {
  host: string;
  collection: string;
}

/** The pairs whose last row in snapshot_failures is `failed`, by key(host, collection). */
export async function readFailing(state: StateStore): Promise<Map<string, Failing>> {
  const failing = new Map<string, Failing>();
  for (const { host, collection, status } of await state.read("snapshotFailures")) {
    if (status === "failed") failing.set(key(host, collection), { host, collection });
    else failing.delete(key(host, collection));
  }
  return failing;
}

/** Whether `--only-failed` retries `collection` on `host`. */
export function isFailing(failing: ReadonlyMap<string, Failing>, host: string, collection: string): boolean {
  return failing.has(key(host, collection)) || failing.has(key("", collection));
}

/**
 * Appends, in one write, what changed: `failed` for a pair that failed (unless it already was), `ok` for a failing
 * pair that succeeded (a snapshot taken or accepted), and for the collection's every-host entry once any host succeeded
 * while no host of it failed. A nightly run where nothing changes appends nothing.
 */
export async function recordOutcomes(
  state: StateStore,
  failing: ReadonlyMap<string, Failing>,
  items: readonly Record<string, string>[],
): Promise<void> {
  const rows = new Map<string, { host: string; collection: string; status: string }>();
  const failedCollections = new Set<string>();
  for (const item of items) {
    const { host = "", collection, outcome } = item;
    if (collection === undefined) continue;
    if (outcome === "failed") {
      failedCollections.add(collection);
      if (!failing.has(key(host, collection))) rows.set(key(host, collection), { host, collection, status: "failed" });
    } else if (outcome === "done" || outcome === "accepted") {
      if (failing.has(key(host, collection))) rows.set(key(host, collection), { host, collection, status: "ok" });
    }
  }
  for (const item of items) {
    const { collection, outcome } = item;
    if (collection === undefined || failedCollections.has(collection)) continue;
    if ((outcome === "done" || outcome === "accepted") && failing.has(key("", collection)))
      rows.set(key("", collection), { host: "", collection, status: "ok" });
  }
  await state.appendMany("snapshotFailures", [...rows.values()]);
}
