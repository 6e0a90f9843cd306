/** The point counts a restored collection may hold, from its backup metadata. */
import type { BackupMetadata } from "./metadata.js";

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
