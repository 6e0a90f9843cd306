/**
 * One drill of one collection onto one set of hosts: refuse when the scratch name is taken there (a collection or an
 * alias: never ours to touch), restore and verify, then remove the scratch whatever happened (cleanup.ts), and
 * record the evidence in drill_history. An interrupt still removes the scratch and records the drill, then goes up.
 */
import { describeError, isFatal } from "../task/items.js";
import type { Deps } from "../task/deps.js";
import { removeScratch } from "./cleanup.js";
import { historyRow, reportLine, type Evidence } from "./evidence.js";
import type { Restored } from "./restored.js";

/** The facts known before the restore: when, what, under which name, from where. */
export type DrillBase = Pick<Evidence, "startedAt" | "collection" | "scratch" | "location">;

/** Why `scratch` cannot be used on `hosts`, or undefined. */
async function taken(deps: Pick<Deps, "qdrant">, hosts: readonly string[], scratch: string) {
  for (const host of hosts) {
    if ((await deps.qdrant.listCollections(host)).includes(scratch)) return `a collection ${scratch} exists on ${host}`;
    if ((await deps.qdrant.listAliases(host)).some((a) => a.alias_name === scratch))
      return `an alias ${scratch} exists on ${host}`;
  }
  return undefined;
}

export async function drillOn(
  deps: Deps,
  base: DrillBase,
  kind: "set" | "snapshot",
  hosts: readonly string[],
  /** A set restore's target: its resume state under the scratch name is purged after. */
  stateTarget: string | undefined,
  restore: () => Promise<Restored>,
): Promise<Evidence> {
  const known = { ...base, kind, targets: hosts, backup: "", key: "", expected: "unknown", found: "unknown" };
  const refused = await taken(deps, hosts, base.scratch);
  if (refused !== undefined) {
    const e = { ...known, seconds: 0, cleanupSeconds: 0, passed: false, detail: `refused: ${refused}, untouched` };
    await deps.state.append("drillHistory", historyRow(e));
    return e;
  }
  const started = performance.now();
  let restored: Restored;
  let interrupt: unknown;
  try {
    restored = await restore();
  } catch (err) {
    if (isFatal(err) || deps.signal.aborted) interrupt = err;
    const why = deps.signal.aborted ? "interrupted" : describeError(err);
    restored = { ...known, passed: false, detail: `FAILED: ${why}` };
  }
  const seconds = (performance.now() - started) / 1000;
  const cleanup = await removeScratch(deps, hosts, base.scratch, stateTarget);
  const e: Evidence = {
    ...known,
    ...restored,
    seconds,
    cleanupSeconds: cleanup.seconds,
    passed: restored.passed && cleanup.problems.length === 0,
    detail: [restored.detail, ...cleanup.problems].join("; "),
  };
  await deps.state.append("drillHistory", historyRow(e));
  if (interrupt !== undefined) {
    deps.log.error(reportLine(e));
    throw interrupt;
  }
  return e;
}
