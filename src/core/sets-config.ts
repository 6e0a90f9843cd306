// The variables of backup sets (the bash tool's per-shard generation), validated as the bash tool validates them.
import { parseInteger, parsePercentage } from "./env-values.js";

export interface SetsConfig {
  /** QDRANT_BACKUP_RETENTION_SETS when set: keep this many sets per collection by count alone; undefined = GFS. */
  readonly retentionSets: number | undefined;
  readonly sweepGraceSeconds: number;
  readonly sweepDeleteCapPct: number;
  readonly legacyKeepRuns: number;
  readonly gitRef: string;
  /** HOSTNAME (a pod's name), the suffix of set ids; undefined when unset (the host's name is used then). */
  readonly hostname: string | undefined;
}

type SetsVariable =
  "QDRANT_SWEEP_GRACE_SECONDS" | "QDRANT_SWEEP_DELETE_CAP_PCT" | "QDRANT_LEGACY_KEEP_RUNS" | "GIT_REF";

export function parseSetsConfig(
  get: (name: string) => string | undefined,
  value: (name: SetsVariable) => string,
  problems: string[],
): SetsConfig {
  const retention = get("QDRANT_BACKUP_RETENTION_SETS");
  const cap = parsePercentage("QDRANT_SWEEP_DELETE_CAP_PCT", value("QDRANT_SWEEP_DELETE_CAP_PCT"), problems);
  if (cap > 100)
    problems.push(`QDRANT_SWEEP_DELETE_CAP_PCT: at most 100, got "${value("QDRANT_SWEEP_DELETE_CAP_PCT")}"`);
  return {
    retentionSets:
      retention === undefined
        ? undefined
        : parseInteger("QDRANT_BACKUP_RETENTION_SETS", retention, 0, 100_000, problems),
    sweepGraceSeconds: parseInteger(
      "QDRANT_SWEEP_GRACE_SECONDS",
      value("QDRANT_SWEEP_GRACE_SECONDS"),
      1,
      10 ** 9,
      problems,
    ),
    sweepDeleteCapPct: cap,
    // 0 is refused, never clamped: --legacy keeping no run would delete every collection snapshot.
    legacyKeepRuns: parseInteger("QDRANT_LEGACY_KEEP_RUNS", value("QDRANT_LEGACY_KEEP_RUNS"), 1, 100_000, problems),
    gitRef: value("GIT_REF"),
    hostname: get("HOSTNAME"),
  };
}
