/**
 * Health checks of a recovered collection (QDRANT_VERIFY_AFTER_RECOVER): it turns green within QDRANT_VERIFY_TIMEOUT
 * (a grey collection gets its optimizers triggered once; yellow means optimizing, so the check waits), and against
 * the backup metadata written at snapshot time: the point count is as counted (see countRange), the vectors config is
 * the same, and a payload-reading scroll works. Without metadata (snapshots taken by the bash tool) only the status
 * is checked.
 */
import type { Deps } from "./task/deps.js";
import { EXIT, ToolError } from "../errors.js";
import { sleep } from "../lib/retry.js";
import { QdrantError } from "../qdrant/errors.js";
import type { CollectionInfo } from "../qdrant/types.js";
import type { BackupMetadata } from "./metadata.js";

/** What failed: recorded as `verify-<reason>` in failed_snapshot_recovery. */
export type VerifyReason = "status" | "timeout" | "count" | "vectors" | "scroll" | "metadata";

/** A recovered collection that did not pass its health check (the item fails: exit 3). */
export class VerificationError extends ToolError {
  constructor(
    readonly reason: VerifyReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, EXIT.partial, options);
  }

  /** The failed_snapshot_recovery status: `verify-count`, `verify-timeout`, … */
  get status(): string {
    return `verify-${this.reason}`;
  }
}

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
/** Status polls start 200 ms apart and back off to one every 2 s. */
const FIRST_POLL_MS = 200;
const MAX_POLL_MS = 2_000;

type VerifyDeps = Pick<Deps, "qdrant" | "log" | "signal">;

export interface VerifyOptions {
  /** How long the collection may take to turn green, ms (QDRANT_VERIFY_TIMEOUT). */
  timeoutMs: number;
  /** Percentage by which a count range is widened (QDRANT_VERIFY_TOLERANCE_PCT, default 0); see countRange. */
  tolerancePct: number;
}

/** The point counts a restored collection may hold: `min` to `max`, inclusive. */
export interface CountRange {
  min: number;
  max: number;
  /** The metadata's counts before and after the snapshot differ: the collection was written to meanwhile. */
  live: boolean;
}

/**
 * What a restore of the snapshot described by `meta` may count. Equal counts before and after the snapshot (or only
 * the count before it, in older metadata) must be matched exactly. Different ones mean the collection was written to
 * while the snapshot was taken, so the snapshot holds some count near that range: the range from the smaller to the
 * larger, widened by `tolerancePct` percent on each side (deletes and updates between the counts can leave the
 * snapshot slightly outside it). Undefined when the metadata has no count.
 */
export function countRange(
  meta: Pick<BackupMetadata, "pointsCount" | "pointsCountAfter">,
  tolerancePct: number,
): CountRange | undefined {
  const before = meta.pointsCount;
  if (before === undefined) return undefined;
  const after = meta.pointsCountAfter ?? before;
  if (after === before) return { min: before, max: before, live: false };
  // Rounded to 6 decimals first, so that 20 × 1.1 is 22, not 22.000000000000004 rounded up to 23.
  const scaled = (n: number, pct: number) => Number(((n * (100 + pct)) / 100).toFixed(6));
  return {
    min: Math.max(0, Math.floor(scaled(Math.min(before, after), -tolerancePct))),
    max: Math.ceil(scaled(Math.max(before, after), tolerancePct)),
    live: true,
  };
}

/** A count range as the verdicts say it: `N`, or `MIN to MAX`. */
export function rangeText(range: CountRange): string {
  return range.min === range.max ? `${range.min}` : `${range.min} to ${range.max}`;
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

/** Polls the status until green; triggers the optimizers once when grey; red, or still not green at the deadline, fails. */
export async function waitForGreen(
  deps: VerifyDeps,
  host: string,
  collection: string,
  timeoutMs: number,
  variable = "QDRANT_VERIFY_TIMEOUT",
): Promise<{ info: CollectionInfo; triggered: boolean }> {
  const where = `${collection} on ${host}`;
  const deadline = Date.now() + timeoutMs;
  let delay = FIRST_POLL_MS;
  let triggered = false;
  for (;;) {
    const info = await check("status", where, () => deps.qdrant.getCollection(host, collection));
    if (info.status === "green") return { info, triggered };
    if (info.status === "red")
      throw new VerificationError("status", `${where} is red: an operation on it failed (see its optimizer_status)`);
    if (info.status === "grey" && !triggered) {
      // Grey: optimizations are pending but not running (typical right after a restore); an update starts them.
      await check("status", where, () => deps.qdrant.triggerOptimizers(host, collection));
      triggered = true;
      deps.log.info(`${where} is grey (optimizations pending); triggered its optimizers`);
    }
    const left = deadline - Date.now();
    if (left <= 0) {
      throw new VerificationError(
        "timeout",
        `${where} is still ${info.status}, not green, after ${Math.round(timeoutMs / 1000)} s (${variable})`,
      );
    }
    await sleep(Math.min(delay, left), deps.signal);
    delay = Math.min(delay * 2, MAX_POLL_MS);
  }
}

/** Runs one check's request; a Qdrant failure (other than a refused key) fails that check. */
async function check<T>(reason: VerifyReason, where: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof QdrantError && !err.refused)
      throw new VerificationError(reason, `${where}: ${reason} check failed: ${err.message}`, { cause: err });
    throw err;
  }
}

/** `config.params.vectors` of a collection config, or undefined. */
function vectorsOf(config: Record<string, unknown> | undefined): unknown {
  const params = config?.["params"];
  return typeof params === "object" && params !== null && !Array.isArray(params)
    ? (params as Record<string, unknown>)["vectors"]
    : undefined;
}

/** Structural equality of JSON values, object key order ignored. */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => sameJson(x, b[i]));
  }
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const keys = (o: Record<string, unknown>) => Object.keys(o).filter((k) => o[k] !== undefined);
  const ak = keys(ao);
  return ak.length === keys(bo).length && ak.every((k) => Object.hasOwn(bo, k) && sameJson(ao[k], bo[k]));
}
