/**
 * Set ids, as the bash tool forms them: the run's UTC start `YYYY-MM-DDTHH-MM-SSZ`, a dash, then HOSTNAME (a pod's
 * name) or `p<pid>`. One id covers every collection of a run; sorted as text, ids sort by time.
 * QDRANT_SNAPSHOT_DATETIME_FILTER selects sets by prefix of the id.
 */
const STAMP = /^(\d{4})-(\d{2})-(\d{2})T(\d{2})-(\d{2})-(\d{2})Z-(.+)$/;

/** The set id of a run started at `now` on `hostname` (falls back to `p<pid>` when empty). */
export function newSetId(now: Date, hostname: string | undefined, pid: number): string {
  const stamp = now.toISOString().slice(0, 19).replace(/:/g, "-");
  // A suffix is one key segment: characters S3 tools mangle are replaced (pod names never have them).
  const host = (hostname ?? "").trim().replace(/[^A-Za-z0-9._-]/g, "-");
  return `${stamp}Z-${host === "" ? `p${pid}` : host}`;
}

/** The UTC time a set id starts with, or undefined when the id is not of that form. */
export function setIdTime(id: string): Date | undefined {
  const m = STAMP.exec(id);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m;
  const t = new Date(`${y}-${mo}-${d}T${h}:${mi}:${s}Z`);
  return Number.isNaN(t.getTime()) ? undefined : t;
}

/** QDRANT_SNAPSHOT_DATETIME_FILTER for sets: a prefix of the set id (empty = every set). */
export function setIdMatches(id: string, filter: string): boolean {
  return id.startsWith(filter);
}

/** Set ids, newest first (their text order is their time order). */
export function newestFirst(ids: Iterable<string>): string[] {
  return [...ids].sort((a, b) => (a < b ? 1 : a > b ? -1 : 0));
}
