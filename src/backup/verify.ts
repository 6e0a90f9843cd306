/**
 * Health checks of a recovered collection (QDRANT_VERIFY_AFTER_RECOVER): it turns green within QDRANT_VERIFY_TIMEOUT
 * (a grey collection gets its optimizers triggered once; yellow means optimizing, so the check waits), and against
 * the backup metadata written at snapshot time: the point count is as counted (see countRange), the vectors config is
 * the same, and a payload-reading scroll works. Without metadata (snapshots taken by the bash tool) only the status
 * is checked.
 *
 * The status check and the error: verify-status.ts; the count's range: count-range.ts.
 */
import type { Deps } from "./task/deps.js";
import { sameJson } from "../lib/same-json.js";
import { countRange } from "./count-range.js";
import type { BackupMetadata } from "./metadata.js";
import { check, VerificationError, waitForGreen } from "./verify-status.js";

export { VerificationError, type VerifyReason } from "./verify-status.js";

export interface VerifyResult {
  /** `full` with metadata; `status-only` without. */
  checked: "full" | "status-only";
  /** The exact point count (full checks). */
  pointsCount?: number;
  /** Whether the collection was grey and its optimizers were triggered. */
  optimizersTriggered: boolean;
}

/** Points read by the scroll check. */
const SCROLL_LIMIT = 10;
type VerifyDeps = Pick<Deps, "qdrant" | "log" | "signal">;

export interface VerifyOptions {
  /** How long the collection may take to turn green, ms (QDRANT_VERIFY_TIMEOUT). */
  timeoutMs: number;
  /** Percentage by which a count range is widened (QDRANT_VERIFY_TOLERANCE_PCT, default 0); see countRange. */
  tolerancePct: number;
}

/**
 * Checks `collection` on `host` after a recovery; `expected` is the snapshot's backup metadata (undefined: status
 * only).
 * @throws VerificationError when a check fails (a Qdrant error during a check counts as that check failing);
 *   InterruptedError, or QdrantError for 401/403, as they come
 */
export async function verifyRecovery(
  deps: VerifyDeps,
  host: string,
  collection: string,
  expected: BackupMetadata | undefined,
  options: VerifyOptions,
): Promise<VerifyResult> {
  const where = `${collection} on ${host}`;
  const { info, triggered } = await waitForGreen(deps, host, collection, options.timeoutMs);
  if (expected === undefined) return { checked: "status-only", optimizersTriggered: triggered };

  const count = await check("count", where, () => deps.qdrant.countPoints(host, collection));
  const range = countRange(expected, options.tolerancePct);
  if (range !== undefined && (count < range.min || count > range.max)) {
    const said = range.live
      ? `counted ${expected.pointsCount} before and ${expected.pointsCountAfter} after the snapshot (written to meanwhile): ` +
        `expected ${range.min} to ${range.max} (QDRANT_VERIFY_TOLERANCE_PCT=${options.tolerancePct})`
      : `says ${range.min}`;
    throw new VerificationError(
      "count",
      `${where} holds ${count} points; the backup metadata of ${expected.snapshot} ${said}`,
    );
  }
  const want = vectorsOf(expected.collectionConfig);
  if (want !== undefined) {
    const got = vectorsOf(info.config);
    if (!sameJson(got, want)) {
      throw new VerificationError(
        "vectors",
        `${where} has vectors config ${JSON.stringify(got) ?? "none"}; the backup metadata of ${expected.snapshot} says ${JSON.stringify(want)}`,
      );
    }
  }
  const points = await check("scroll", where, () => deps.qdrant.scrollPoints(host, collection, SCROLL_LIMIT));
  if (count > 0 && points.length === 0)
    throw new VerificationError(
      "scroll",
      `${where}: a scroll with payloads returned no points, though it counts ${count}`,
    );
  return { checked: "full", pointsCount: count, optimizersTriggered: triggered };
}

/** `config.params.vectors` of a collection config, or undefined. */
function vectorsOf(config: Record<string, unknown> | undefined): unknown {
  const params = config?.["params"];
  return typeof params === "object" && params !== null && !Array.isArray(params)
    ? (params as Record<string, unknown>)["vectors"]
    : undefined;
}
