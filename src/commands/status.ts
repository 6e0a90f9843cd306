import { notes, reportLines, warnings } from "../backup/status/format.js";
import { reportItems } from "../backup/status/items.js";
import { gatherStatus } from "../backup/status/run-status.js";
import type { Deps, TaskOptions, TaskSummary } from "../backup/task/deps.js";
import { EXIT } from "../errors.js";

/**
 * status: what the destination holds per collection, the recoveries the state files record per restore host, and
 * the collections of the source hosts without a backup newer than QDRANT_STATUS_MAX_AGE_HOURS. Reads only (no lock).
 * Exit 0; 3 when a collection is stale; 4 when the source hosts could not be listed (the rest is still reported).
 */
export async function run(_options: TaskOptions, deps: Deps): Promise<TaskSummary> {
  const report = await gatherStatus(deps);
  const stale = report.collections.filter((c) => c.stale).length;
  const count = (kind: "legacy" | "set") => report.collections.filter((c) => c[kind]?.usable).length;
  const freshness = report.source.checked
    ? `${stale} stale (no backup newer than ${report.maxAgeHours} h)`
    : "freshness not checked";
  const unreachable = !report.source.checked && report.source.unreachable;
  return {
    task: "status",
    done: report.collections.length - stale,
    skipped: notes(report).length,
    failed: stale,
    accepted: 0,
    message: `${report.collections.length} collections in ${report.location}: ${count("legacy")} with legacy snapshots, ${count("set")} with backup sets; ${freshness}; ${report.recoveries.hosts.length} restore hosts in the state files; ${warnings(report).length} warnings`,
    report: reportLines(report),
    items: reportItems(report),
    exitCode: unreachable ? EXIT.upstream : stale > 0 ? EXIT.partial : EXIT.ok,
  };
}
