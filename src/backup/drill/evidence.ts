/**
 * The evidence of one drill: what was restored (a set or legacy snapshots, its key), from where, onto which hosts,
 * the point counts expected and found, the durations and the verdict. The same facts go to the report line, the
 * `--json` item and the drill_history row.
 */
import type { Row } from "../../state/files.js";

export interface Evidence {
  /** When the drill of this collection started (ISO 8601, UTC). */
  startedAt: string;
  collection: string;
  scratch: string;
  /** `set`, `snapshot`, or `none` when there was nothing to restore. */
  kind: "set" | "snapshot" | "none";
  /** The set id, or the snapshot name(s) recovered (`;` between several source peers' snapshots). */
  backup: string;
  /** The manifest's or the snapshot's key in the destination. */
  key: string;
  /** The destination (`s3://bucket` or the backup directory). */
  location: string;
  /** The restore hosts the scratch was restored onto (a cluster: the host it was created and checked on). */
  targets: readonly string[];
  /** The point count the backup allows (`N`, `MIN to MAX`), or `unknown`. */
  expected: string;
  /** The point count found in the scratch collection, or `unknown`. */
  found: string;
  /** Restore and verification, seconds. */
  seconds: number;
  /** Removing the scratch, seconds. */
  cleanupSeconds: number;
  /** The verdict line of the restore, the failure, and what the clean-up said. */
  detail: string;
  passed: boolean;
}

const secs = (s: number) => s.toFixed(1);

/** `drill of C as SCRATCH from set S (KEY in LOCATION) onto HOSTS: PASSED, 60/60 points, 3.2 s restore+verify, 0.1 s clean-up`. */
export function reportLine(e: Evidence): string {
  const from =
    e.kind === "none" ? "" : ` from ${e.kind === "set" ? "set" : "snapshot"} ${e.backup} (${e.key} in ${e.location})`;
  return (
    `drill of ${e.collection} as ${e.scratch}${from} onto ${e.targets.join(", ")}: ${e.passed ? "PASSED" : "FAILED"}, ` +
    `points expected ${e.expected}, found ${e.found}, ${secs(e.seconds)} s restore and verify, ${secs(e.cleanupSeconds)} s clean-up` +
    (e.detail === "" ? "" : `; ${e.detail}`)
  );
}

/** The `--json` item: every field as a string. */
export function itemOf(e: Evidence): Record<string, string> {
  return { ...historyRow(e), outcome: e.passed ? "done" : "failed" };
}

/** The drill_history row. */
export function historyRow(e: Evidence): Row<"drillHistory"> {
  return {
    started_at: e.startedAt,
    collection: e.collection,
    scratch: e.scratch,
    kind: e.kind,
    backup: e.backup,
    key: e.key,
    location: e.location,
    targets: e.targets.join(" "),
    expected: e.expected,
    found: e.found,
    seconds: secs(e.seconds),
    cleanup_seconds: secs(e.cleanupSeconds),
    detail: e.detail,
    verdict: e.passed ? "passed" : "failed",
  };
}
