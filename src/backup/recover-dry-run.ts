// recover_snap --dry-run: the recoveries a run would make, from the state files alone; nothing is sent to a host.
import type { RecoveryPlan } from "./recover-plan.js";
import { key } from "./task/items.js";
import type { Deps } from "./task/deps.js";
import type { Tally } from "./task/tally.js";

/**
 * Logs and tallies, per collection, restore host and snapshot (oldest first, as the run goes), what recover_snap would
 * do: recover it (by URL or by upload), check a recovery again, or skip it as done.
 */
export function planRecoveries(deps: Pick<Deps, "config" | "log">, tally: Tally, plan: RecoveryPlan): void {
  const { config, log } = deps;
  const via = config.recoverVia === "url" ? "by presigned URL" : "by upload";
  const done = new Set(plan.done);
  for (const [collection, snapshots] of plan.byCollection) {
    for (const host of config.restoreHosts) {
      for (const [i, snapshot] of snapshots.entries()) {
        const item = { host, collection, snapshot };
        if (!done.has(key(host, snapshot))) {
          log.info(`[dry run] would recover ${collection} from ${snapshot} on ${host} ${via}`);
          tally.add("done", { ...item, action: "recover", via: config.recoverVia });
          done.add(key(host, snapshot));
          continue;
        }
        const newer = snapshots.slice(i + 1).some((s) => done.has(key(host, s)));
        if (config.verifyAfterRecover && plan.unverified.has(key(host, snapshot)) && !newer) {
          log.info(`[dry run] would check ${collection} on ${host} again (recovered from ${snapshot}, not verified)`);
          tally.add("done", { ...item, action: "check" });
        } else tally.add("skipped", item);
      }
    }
  }
}
