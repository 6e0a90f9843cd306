/**
 * The restore lock: two restores of one collection onto one target cluster never run at once. A lease in the bucket
 * (state/lease.ts: conditional writes, renewed every QDRANT_LOCK_TTL/3, taken over once expired) at
 * `restore_locks/{target}/{collection}/.lock`, the target named by its lowest peer id (any seed host of a cluster
 * gives the same) or, for a standalone node, by its URL. A lock held by another run fails the collection (its verdict
 * names the holder); without a bucket (QDRANT_BACKUP_DIR) there is no lock, and the log says so.
 */
import { LockedError } from "../../errors.js";
import { comparePeerIds } from "../../qdrant/cluster-types.js";
import { StateLease } from "../../state/lease.js";
import type { Deps } from "../task/deps.js";
import type { Target } from "./restore-target.js";

export const RESTORE_LOCKS_PREFIX = "restore_locks";

/** `restore_locks/{target}/{collection}/`: the lease is `.lock` under it. */
export function restoreLockPrefix(target: Target, collection: string): string {
  return `${RESTORE_LOCKS_PREFIX}/${targetId(target)}/${collection}/`;
}

/** The target's name in lock keys: `cluster-{lowest peer id}`, or `node-{its URL, encoded}` for a standalone node. */
export function targetId(target: Target): string {
  const ids = [...target.peers.keys()].sort(comparePeerIds);
  return ids[0] !== undefined ? `cluster-${ids[0]}` : `node-${encodeURIComponent(target.host)}`;
}

export interface RestoreLock {
  /** Why the lock was lost while the restore ran, if it was. */
  lost(): string | undefined;
  release(): Promise<void>;
}

/**
 * Takes the lock of `collection` on `target`.
 * @throws LockedError when another run holds it (the caller fails the collection)
 */
export async function lockRestore(
  deps: Pick<Deps, "leaseObjects" | "config" | "log">,
  target: Target,
  collection: string,
): Promise<RestoreLock> {
  if (deps.leaseObjects === undefined) {
    deps.log.info(`no bucket: ${collection} on ${target.host} is restored without a restore lock`);
    return { lost: () => undefined, release: async () => undefined };
  }
  let lost: LockedError | undefined;
  const lease = await StateLease.acquire({
    objects: deps.leaseObjects(),
    prefix: restoreLockPrefix(target, collection),
    ttlMs: deps.config.lockTtlSeconds * 1000,
    breakLock: false,
    label: "restore lock",
    cure: "run again after it expires (QDRANT_LOCK_TTL after its last renewal): the next run takes it over (--break-lock does not apply to it)",
    log: deps.log,
    onLost: (err) => {
      lost = err;
    },
  });
  return { lost: () => lost?.message, release: () => lease.release() };
}
