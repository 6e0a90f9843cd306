// The status report as the items of the --json summary: strings only, as every item's fields are.
import { notes } from "./format.js";
import type { NewestBackup } from "./model.js";
import type { StatusReport } from "./run-status.js";

function backupFields(prefix: string, b: NewestBackup | undefined, now: Date): Record<string, string> {
  if (b === undefined) return { [`${prefix}_kept`]: "0" };
  const fields: Record<string, string> = {
    [`${prefix}_id`]: b.id,
    [`${prefix}_time`]: b.time?.toISOString() ?? "",
    [`${prefix}_age_seconds`]: b.time ? String(Math.max(0, Math.floor((now.getTime() - b.time.getTime()) / 1000))) : "",
    [`${prefix}_size`]: b.size === undefined ? "" : String(b.size),
    [`${prefix}_sources`]: b.sources.join(" "),
    [`${prefix}_qdrant_version`]: b.qdrantVersion ?? "",
    [`${prefix}_points`]: b.points === undefined ? "" : String(b.points),
    [`${prefix}_kept`]: String(b.kept),
    [`${prefix}_${prefix === "set" ? "shards" : "peers"}`]: String(b.spread),
  };
  if (b.problem !== undefined) fields[`${prefix}_problem`] = b.problem;
  return fields;
}

/**
 * The --json items: one per collection (`record: collection`, `failed` when stale), one per restore host
 * (`record: restore_host`), then one per other warning (`record: warning`, `skipped`: a check not done, something
 * unreadable).
 */
export function reportItems(r: StatusReport): Record<string, string>[] {
  return [
    ...r.collections.map((c) => ({
      outcome: c.stale ? "failed" : "done",
      record: "collection",
      collection: c.collection,
      on_source: c.onSource === undefined ? "" : String(c.onSource),
      stale: String(c.stale),
      ...backupFields("legacy", c.legacy, r.now),
      ...backupFields("set", c.set, r.now),
    })),
    ...r.recoveries.hosts.map((h) => ({
      outcome: "done",
      record: "restore_host",
      host: h.host,
      recovered: String(h.recovered),
      verified: String(h.verified),
      accepted: String(h.accepted),
      failed: String(h.failed),
      set_restores: String(h.setRestores),
      shards: String(h.shards),
    })),
    ...notes(r).map((warning) => ({ outcome: "skipped", record: "warning", warning })),
  ];
}
