/**
 * GFS retention (prune_snap), as pure functions: which snapshots of one group the QDRANT_KEEP_* counts keep, and why.
 *
 * Semantics are restic's `forget --keep-*`: each rule on its own walks the group newest first and keeps the newest
 * snapshot of each distinct period (day, ISO week, month, year; or simply the N newest for `last`) until it has kept
 * N periods. A snapshot is kept when any rule keeps it, and every rule that kept it is reported. Periods are UTC.
 * The newest snapshot of a group is always kept, even when every count is 0; a snapshot whose time is unknown is
 * never deleted (it cannot be placed in a period).
 */

/** The retention counts (QDRANT_KEEP_LAST/DAILY/WEEKLY/MONTHLY/YEARLY); 0 = that rule keeps nothing. */
export interface KeepPolicy {
  readonly last: number;
  readonly daily: number;
  readonly weekly: number;
  readonly monthly: number;
  readonly yearly: number;
}

/** One snapshot of a group: a unique id (its key) and its time, undefined when unknown. */
export interface Dated {
  readonly id: string;
  readonly time: Date | undefined;
}

/** What the policy says of one snapshot: keep or not, and the rules that kept it (empty when deleted). */
export interface RetentionDecision {
  readonly id: string;
  readonly time: Date | undefined;
  readonly keep: boolean;
  /** e.g. `last 1`, `daily 2026-11-20`, `weekly 2026-W47`, `monthly 2026-11`, `yearly 2026`, `newest`, `undated`. */
  readonly reasons: readonly string[];
}

const pad = (n: number, width = 2): string => String(n).padStart(width, "0");

/** `YYYY-MM-DD` of `d` in UTC. */
export function dayOf(d: Date): string {
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
}

/** The ISO 8601 week of `d` in UTC, `YYYY-Www` (the year is the ISO week-year: 2027-01-01 is in 2026-W53). */
export function isoWeekOf(d: Date): string {
  const day = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
  const weekday = day.getUTCDay() || 7; // Monday 1 … Sunday 7
  day.setUTCDate(day.getUTCDate() + 4 - weekday); // the Thursday of this week decides its year
  const year = day.getUTCFullYear();
  const week = Math.floor((day.getTime() - Date.UTC(year, 0, 1)) / 86_400_000 / 7) + 1;
  return `${year}-W${pad(week)}`;
}

/** `YYYY-MM` of `d` in UTC. */
export function monthOf(d: Date): string {
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}`;
}

/** `YYYY` of `d` in UTC. */
export function yearOf(d: Date): string {
  return String(d.getUTCFullYear());
}

const RULES: readonly { readonly name: keyof KeepPolicy; readonly period: (d: Date) => string }[] = [
  { name: "daily", period: dayOf },
  { name: "weekly", period: isoWeekOf },
  { name: "monthly", period: monthOf },
  { name: "yearly", period: yearOf },
];

/**
 * The time Qdrant wrote into a snapshot name: the UTC `YYYY-MM-DD-HH-MM-SS` right before `.snapshot`
 * (`{c}-{peer}-{ts}`, `{c}-shard-{n}-{ts}`, `full-snapshot-{ts}`); undefined when there is none or it is no real time.
 */
export function parseSnapshotTime(name: string): Date | undefined {
  const m = /(\d{4})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-(\d{2})\.snapshot$/.exec(name);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const t = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  const roundTrips =
    t.getUTCFullYear() === y &&
    t.getUTCMonth() === mo - 1 &&
    t.getUTCDate() === d &&
    t.getUTCHours() === h &&
    t.getUTCMinutes() === mi &&
    t.getUTCSeconds() === s;
  return roundTrips ? t : undefined;
}

/**
 * Qdrant's `creation_time` (a naive UTC `YYYY-MM-DDTHH:MM:SS[.fff]`, or with a zone) as a Date; undefined when
 * missing or unparsable.
 */
export function parseCreationTime(value: string | null | undefined): Date | undefined {
  if (!value) return undefined;
  const naive = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?$/.test(value);
  const t = new Date(naive ? `${value}Z` : value);
  return Number.isNaN(t.getTime()) ? undefined : t;
}

/** Newest first; equal times by id, descending, so the order (and the decisions) never depend on listing order. */
function compareNewestFirst(a: Dated & { time: Date }, b: Dated & { time: Date }): number {
  return b.time.getTime() - a.time.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
}

/**
 * Applies `policy` to the snapshots of one group. Returns one decision per snapshot, newest first (undated ones
 * last, always kept). Ids must be unique.
 */
export function applyRetention(items: readonly Dated[], policy: KeepPolicy): RetentionDecision[] {
  const dated = items.filter((i): i is Dated & { time: Date } => i.time !== undefined).sort(compareNewestFirst);
  const reasons = new Map<string, string[]>(dated.map((i) => [i.id, []]));
  const reasonsOf = (id: string): string[] => reasons.get(id) ?? [];

  dated.slice(0, policy.last).forEach((item, index) => reasonsOf(item.id).push(`last ${index + 1}`));
  for (const rule of RULES) {
    const limit = policy[rule.name];
    let kept = 0;
    let previous: string | undefined;
    for (const item of dated) {
      if (kept >= limit) break;
      const period = rule.period(item.time);
      // Newest first, so one period's snapshots are adjacent: the first of a new period is its newest.
      if (period === previous) continue;
      previous = period;
      kept += 1;
      reasonsOf(item.id).push(`${rule.name} ${period}`);
    }
  }
  const newest = dated[0];
  if (newest !== undefined && reasonsOf(newest.id).length === 0) reasonsOf(newest.id).push("newest");

  const decisions: RetentionDecision[] = dated.map((item) => {
    const why = reasonsOf(item.id);
    return { id: item.id, time: item.time, keep: why.length > 0, reasons: why };
  });
  for (const item of items) {
    if (item.time === undefined) decisions.push({ id: item.id, time: undefined, keep: true, reasons: ["undated"] });
  }
  return decisions;
}
