/**
 * The status report as the lines printed on stdout (two aligned tables and the warnings) and as the items of the
 * --json summary (strings only, as every item's fields).
 */
import { formatAge } from "../../state/lock-holder.js";
import type { CollectionStatus, NewestBackup, RestoreHostStatus } from "./model.js";
import type { StatusReport } from "./run-status.js";
import { formatBytes } from "../../lib/bytes.js";

/** Rows of cells as lines, each column as wide as its widest cell (the last one unpadded). */
export function alignColumns(rows: readonly (readonly string[])[]): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) =>
    row
      .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd(),
  );
}

const age = (b: NewestBackup, now: Date): string =>
  b.time === undefined ? "?" : formatAge(now.getTime() - b.time.getTime());
const num = (n: number | undefined): string => (n === undefined ? "?" : String(n));

function backupRow(collection: string, kind: string, b: NewestBackup | undefined, now: Date): string[] {
  if (b === undefined) return [collection, kind, "-", "", "", "", "", "", "0"];
  if (!b.usable) return [collection, kind, "(unreadable)", "", "", "", "", "", String(b.kept)];
  const size = b.size === undefined ? "?" : formatBytes(b.size);
  const spread = kind === "set" ? `${b.spread} shard(s)` : `${b.spread} peer(s)`;
  const sources = b.sources.length ? b.sources.join(" ") : "?";
  return [
    collection,
    kind,
    b.id,
    age(b, now),
    size,
    `${sources}; ${spread}`,
    b.qdrantVersion ?? "?",
    num(b.points),
    String(b.kept),
  ];
}

function hostRow(h: RestoreHostStatus): string[] {
  const row = [h.recovered, h.verified, h.accepted, h.failed, h.setRestores, h.shards].map(String);
  return [h.host, ...row];
}

/** The lines printed before the summary line. */
export function reportLines(r: StatusReport): string[] {
  const backups = alignColumns([
    ["COLLECTION", "KIND", "NEWEST", "AGE", "SIZE", "SOURCE", "QDRANT", "POINTS", "KEPT"],
    ...r.collections.flatMap((c) => [
      backupRow(c.collection, "legacy", c.legacy, r.now),
      backupRow(c.collection, "set", c.set, r.now),
    ]),
  ]);
  const hosts = r.recoveries.hosts.length
    ? alignColumns([
        ["RESTORE HOST", "RECOVERED", "VERIFIED", "ACCEPTED", "FAILED", "SET RESTORES", "SHARDS"],
        ...r.recoveries.hosts.map(hostRow),
      ])
    : ["no recoveries recorded in the state files"];
  return [
    `destination ${r.location}`,
    ...(r.collections.length ? backups : ["no collection has a backup there"]),
    "",
    ...hosts,
    ...warnings(r).map((w) => `warn  ${w}`),
  ];
}

/** One line per thing that needs a look: stale collections, a skipped check, unreadable objects, torn state lines. */
export function warnings(r: StatusReport): string[] {
  return flagged(r).map((w) => w.text);
}

/** The warnings but the stale collections' (those are the collections' items, outcome `failed`). */
export function notes(r: StatusReport): string[] {
  return flagged(r).flatMap((w) => (w.stale ? [] : [w.text]));
}

function flagged(r: StatusReport): { text: string; stale: boolean }[] {
  const out: { text: string; stale: boolean }[] = [];
  const note = (text: string) => out.push({ text, stale: false });
  if (r.missingDir)
    note(`QDRANT_BACKUP_DIR ${r.location} does not exist: nothing was written there yet, or it is not mounted`);
  if (!r.source.checked) note(`source: ${r.source.why}`);
  for (const c of r.collections) {
    if (c.stale) out.push({ text: staleLine(c, r), stale: true });
    for (const [kind, b] of [
      ["legacy", c.legacy],
      ["set", c.set],
    ] as const)
      if (b?.problem !== undefined) note(`${c.collection} ${kind}: ${b.problem}`);
  }
  for (const t of r.recoveries.torn) note(`state file ${t}: a torn last line, not counted`);
  return out;
}

function staleLine(c: CollectionStatus, r: StatusReport): string {
  const newest = [c.legacy, c.set].filter((b) => b?.usable && b.time).map((b) => b!.time!.getTime());
  const limit = `QDRANT_STATUS_MAX_AGE_HOURS=${r.maxAgeHours}`;
  return newest.length
    ? `STALE ${c.collection}: its newest backup is ${formatAge(r.now.getTime() - Math.max(...newest))} old (${limit})`
    : `STALE ${c.collection}: on the source, but no backup of it in ${r.location} (${limit})`;
}
