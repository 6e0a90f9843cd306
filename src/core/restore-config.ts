// The variables of recover_snap_shards (the bash tool's per-shard restore), validated as the bash tool validates them.
import { parseInteger } from "./env-values.js";

export interface RestoreConfig {
  /** QDRANT_RESTORE_FORCE: delete and recreate a target holding data; repoint aliases owned by another collection. */
  readonly force: boolean;
  /** QDRANT_SKIP_VERSION_CHECK: restore onto any Qdrant version, not only the same or the next minor. */
  readonly skipVersionCheck: boolean;
  /** QDRANT_VERIFY_GREEN_TIMEOUT_SECONDS: the budget of the green, count and replica polls, seconds. */
  readonly greenTimeoutSeconds: number;
  /** QDRANT_VERIFY_POLL_INTERVAL_SECONDS: the pause between two polls, seconds (at least 1). */
  readonly pollIntervalSeconds: number;
  /** QDRANT_VERIFY_SAMPLE_POINTS: random points read back with payload and vectors (0 = none, logged loudly). */
  readonly samplePoints: number;
}

type RestoreVariable =
  | "QDRANT_RESTORE_FORCE"
  | "QDRANT_SKIP_VERSION_CHECK"
  | "QDRANT_VERIFY_GREEN_TIMEOUT_SECONDS"
  | "QDRANT_VERIFY_POLL_INTERVAL_SECONDS"
  | "QDRANT_VERIFY_SAMPLE_POINTS";

/** Exactly `true` or `false`, as the bash tool demands for these two (not `TRUE`, not `1`). */
function exactBool(name: string, raw: string, problems: string[]): boolean {
  if (raw === "true") return true;
  if (raw !== "false") problems.push(`${name}: expected exactly true or false, got ${JSON.stringify(raw)}`);
  return false;
}

export function parseRestoreConfig(value: (name: RestoreVariable) => string, problems: string[]): RestoreConfig {
  const int = (name: RestoreVariable, min: number) => parseInteger(name, value(name), min, 10 ** 9, problems);
  return {
    force: exactBool("QDRANT_RESTORE_FORCE", value("QDRANT_RESTORE_FORCE"), problems),
    skipVersionCheck: exactBool("QDRANT_SKIP_VERSION_CHECK", value("QDRANT_SKIP_VERSION_CHECK"), problems),
    greenTimeoutSeconds: int("QDRANT_VERIFY_GREEN_TIMEOUT_SECONDS", 0),
    pollIntervalSeconds: int("QDRANT_VERIFY_POLL_INTERVAL_SECONDS", 1),
    samplePoints: int("QDRANT_VERIFY_SAMPLE_POINTS", 0),
  };
}
