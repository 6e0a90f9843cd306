/**
 * prune_snap's plan for one group, as a pure function: the retention decisions plus the safety rules that do not
 * need the network (the newest snapshot is never deleted; no more than QDRANT_PRUNE_MAX_DELETE_PCT of a group in one
 * run without --force).
 */
import { describeGroup, groupId } from "./prune-layout.js";
import type { Candidate, GroupInventory } from "./prune-sources.js";
import { applyRetention, type KeepPolicy } from "./retention.js";

export interface PlannedSnapshot {
  readonly candidate: Candidate;
  readonly keep: boolean;
  /** The rules that kept it (empty when it is to be deleted). */
  readonly reasons: readonly string[];
}

export interface GroupPlan {
  readonly id: string;
  /** e.g. `collection c1 peer 42`. */
  readonly label: string;
  /** Newest first. */
  readonly snapshots: readonly PlannedSnapshot[];
  /** What the policy deletes (empty when refused). */
  readonly toDelete: readonly Candidate[];
  /** Why the group is left alone despite the policy (over the percentage without --force); undefined otherwise. */
  readonly refused: string | undefined;
}

/**
 * Plans one group: `policy` decides; more than `maxDeletePct` percent of the group to delete is refused unless
 * `force` (nothing of that group is deleted then).
 * @throws Error when the plan would delete the group's newest snapshot (a bug: retention always keeps it)
 */
export function planGroup(
  inventory: GroupInventory,
  policy: KeepPolicy,
  maxDeletePct: number,
  force: boolean,
): GroupPlan {
  const byKey = new Map(inventory.candidates.map((c) => [c.key, c]));
  const decisions = applyRetention(
    inventory.candidates.map((c) => ({ id: c.key, time: c.time })),
    policy,
  );
  const snapshots = decisions.map((d): PlannedSnapshot => {
    const candidate = byKey.get(d.id);
    if (candidate === undefined) throw new Error(`retention returned an unknown snapshot ${d.id}`);
    return { candidate, keep: d.keep, reasons: d.reasons };
  });
  const newest = snapshots.find((s) => s.candidate.time !== undefined);
  if (newest !== undefined && !newest.keep)
    throw new Error(`prune plan would delete the newest snapshot ${newest.candidate.key}`);

  const label = describeGroup(inventory.group);
  const deletions = snapshots.filter((s) => !s.keep).map((s) => s.candidate);
  const total = snapshots.length;
  const pct = total === 0 ? 0 : (deletions.length * 100) / total;
  const refused =
    deletions.length > 0 && pct > maxDeletePct && !force
      ? `would delete ${deletions.length} of ${total} snapshots (${Math.round(pct)}%), more than QDRANT_PRUNE_MAX_DELETE_PCT=${maxDeletePct}%; run with --force to allow it`
      : undefined;
  return { id: groupId(inventory.group), label, snapshots, toDelete: refused ? [] : deletions, refused };
}
