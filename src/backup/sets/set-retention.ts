/**
 * Which sets of one collection retention deletes, as pure functions.
 *
 * With QDRANT_BACKUP_RETENTION_SETS set, by count alone as the bash tool: the newest N set ids are kept, the rest go
 * (a manual prune_snap keeps at least 1; 0 turns the automatic pass after a backup off). Unset, the sets follow the
 * GFS rules of QDRANT_KEEP_* (backup/retention.ts) by the time in their set id, and like prune_snap's groups a plan that
 * would delete more than QDRANT_PRUNE_MAX_DELETE_PCT of the sets is refused without --force. Whatever the policy,
 * the newest set whose manifest is readable (the newest complete set) is never deleted.
 */
import type { Config } from "../../config.js";
import { applyRetention, type KeepPolicy } from "../retention.js";
import { newestFirst, setIdTime } from "./set-id.js";

export type SetsPolicy =
  | { readonly kind: "count"; readonly keep: number }
  | { readonly kind: "gfs"; readonly keep: KeepPolicy; readonly maxDeletePct: number; readonly force: boolean };

/** Who runs retention: a manual prune_snap, or the automatic pass after create_snap_shards. */
export type PruneTrigger = "prune_snap" | "after-backup";

/**
 * The policy for sets, or undefined when the automatic pass is off (QDRANT_BACKUP_RETENTION_SETS=0 after a backup).
 * @param force prune_snap --force: no limit on the share of GFS deletions
 */
export function setsPolicyOf(config: Config, trigger: PruneTrigger, force = false): SetsPolicy | undefined {
  const count = config.sets.retentionSets;
  if (count === undefined) return { kind: "gfs", keep: config.keep, maxDeletePct: config.pruneMaxDeletePct, force };
  if (count === 0 && trigger === "after-backup") return undefined;
  return { kind: "count", keep: Math.max(1, count) };
}

/** The policy in words, for the first log line. */
export function describeSetsPolicy(p: SetsPolicy): string {
  if (p.kind === "count")
    return `keep the newest ${p.keep} ${p.keep === 1 ? "set" : "sets"} (QDRANT_BACKUP_RETENTION_SETS)`;
  const k = p.keep;
  return (
    `keep last ${k.last}, daily ${k.daily}, weekly ${k.weekly}, monthly ${k.monthly}, yearly ${k.yearly} by set time ` +
    `(QDRANT_KEEP_*; QDRANT_BACKUP_RETENTION_SETS unset)`
  );
}

export interface SetDecision {
  readonly id: string;
  readonly keep: boolean;
  /** Why it is kept (`count 1`, `daily 2026-11-20`, `newest complete set`, `undated`…); empty when deleted. */
  readonly reasons: readonly string[];
}

export interface SetsPlan {
  /** Newest first. */
  readonly decisions: readonly SetDecision[];
  /** The ids to delete, oldest first (empty when refused). */
  readonly toDelete: readonly string[];
  /** Why nothing is deleted although the policy would (over QDRANT_PRUNE_MAX_DELETE_PCT without --force). */
  readonly refused: string | undefined;
}

/**
 * Plans one collection's sets.
 * @param ids every listed set id (unique)
 * @param readable the ids whose manifest is readable: the newest of them is never deleted
 */
export function planSets(ids: readonly string[], readable: ReadonlySet<string>, policy: SetsPolicy): SetsPlan {
  let decisions: SetDecision[];
  if (policy.kind === "count") {
    decisions = newestFirst(ids).map((id, i) =>
      i < policy.keep ? { id, keep: true, reasons: [`count ${i + 1}`] } : { id, keep: false, reasons: [] },
    );
  } else {
    const byTime = applyRetention(
      ids.map((id) => ({ id, time: setIdTime(id) })),
      policy.keep,
    );
    const dated = byTime.filter((d) => d.time !== undefined);
    const undated = byTime.filter((d) => d.time === undefined);
    decisions = [...dated, ...undated].map((d) => ({ id: d.id, keep: d.keep, reasons: d.reasons }));
  }
  const newestComplete = newestFirst(ids.filter((id) => readable.has(id)))[0];
  decisions = decisions.map((d) =>
    d.id === newestComplete && !d.keep ? { ...d, keep: true, reasons: ["newest complete set"] } : d,
  );

  const condemned = decisions.filter((d) => !d.keep).map((d) => d.id);
  let refused: string | undefined;
  if (policy.kind === "gfs" && condemned.length > 0 && !policy.force) {
    const pct = (condemned.length * 100) / decisions.length;
    if (pct > policy.maxDeletePct)
      refused =
        `would delete ${condemned.length} of ${decisions.length} sets (${Math.round(pct)}%), more than ` +
        `QDRANT_PRUNE_MAX_DELETE_PCT=${policy.maxDeletePct}%; run prune_snap with --force to allow it`;
  }
  return { decisions, toDelete: refused ? [] : [...condemned].reverse(), refused };
}
