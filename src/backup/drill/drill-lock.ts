/**
 * The drill lock: one drill at a time per restore target, whatever its state directory or pod. A lease in the
 * bucket (state/lease.ts: conditional writes, renewed every QDRANT_LOCK_TTL/3, taken over once expired, so a killed
 * drill's lock holds up the next one by at most the TTL) at `drill_locks/{target}/.lock`, the target named as the
 * restore lock names it (backup/sets/restore-lock.ts). The drill takes the lock of every target of
 * QDRANT_RESTORE_HOSTS before it looks for leftover scratches, and holds it to its end: a scratch it finds is then no
 * live drill's. Another drill holding one of them stops this one at once (exit 5, naming the holder). Without a
 * bucket (QDRANT_BACKUP_DIR) there is no lock: the drill says so and leaves leftovers alone (leftovers.ts).
 */
import { LockedError } from "../../errors.js";
import { StateLease } from "../../state/lease.js";
import { targetId } from "../sets/restore-lock.js";
import type { Target } from "../sets/restore-target.js";
import type { Deps } from "../task/deps.js";

export const DRILL_LOCKS_PREFIX = "drill_locks";

/** `drill_locks/{target}/`: the lease is `.lock` under it. */
export function drillLockPrefix(target: Target): string {
  return `${DRILL_LOCKS_PREFIX}/${targetId(target)}/`;
}

export interface DrillLock {
  /** False without a bucket: nothing is locked, and leftovers must not be removed. */
  readonly held: boolean;
  /** The error to stop with when a lease was lost while the drill ran, if one was. */
  lost(): LockedError | undefined;
  release(): Promise<void>;
}

/**
 * Takes the drill lock of each of `targets`, in turn.
 * @throws LockedError (exit 5) naming the holder when another drill holds one (the ones taken are released first)
 */
export async function lockDrill(
  deps: Pick<Deps, "leaseObjects" | "config" | "log">,
  targets: readonly Target[],
): Promise<DrillLock> {
  if (deps.leaseObjects === undefined) {
    deps.log.warn(
      "drill: no bucket (QDRANT_BACKUP_DIR): no drill lock, so leftover scratches of earlier drills are not removed; never run two drills against one target at once",
    );
    return { held: false, lost: () => undefined, release: async () => undefined };
  }
  const leases: StateLease[] = [];
  let lost: LockedError | undefined;
  const release = async () => {
    await Promise.all(leases.map((l) => l.release()));
  };
  for (const target of targets) {
    try {
      leases.push(
        await StateLease.acquire({
          objects: deps.leaseObjects(),
          prefix: drillLockPrefix(target),
          ttlMs: deps.config.lockTtlSeconds * 1000,
          breakLock: false,
          label: "drill lock",
          cure: "the next drill takes its lock over then (--break-lock does not apply to it)",
          log: deps.log,
          onLost: (err) => {
            lost ??= new LockedError(`drill: lost the drill lock of ${target.host}: ${err.message}`);
          },
        }),
      );
    } catch (err) {
      await release();
      if (!(err instanceof LockedError)) throw err;
      throw new LockedError(`drill: another drill holds the drill lock of ${target.host}: ${err.message}`);
    }
  }
  return { held: true, lost: () => lost, release };
}
