// What a state lease is built from: its options and the conditional object operations, labelled in errors.
import { type LockedError, UpstreamError } from "../errors.js";
import type { Logger } from "../log.js";
import type { ObjectStore } from "../s3/objects.js";

/** The conditional object operations the lease needs (an ObjectStore over the bucket, without an abort signal: the
 * lease must be released after an interrupted run too). */
export type LeaseObjects = Pick<ObjectStore, "bucket" | "getTagged" | "putIf" | "delete">;

/** The name of the lease object inside the state prefix. The state mirror and reset only touch the state files' names. */
export const LEASE_NAME = ".lock";

/** The key of the lease object: `<prefix>.lock`. */
export function leaseKey(prefix: string): string {
  return `${prefix}${LEASE_NAME}`;
}

export interface LeaseOptions {
  objects: LeaseObjects;
  /** The state prefix (ending in `/`); the lease is `<prefix>.lock`. */
  prefix: string;
  /** Time to live, ms; renewed every ttlMs/3. */
  ttlMs: number;
  /** Delete any lease first, with a warning naming its holder. */
  breakLock: boolean;
  log: Pick<Logger, "warn" | "debug">;
  /** Called once when the lease is lost while running; the caller stops the run. */
  onLost: (error: LockedError) => void;
  /** Default: the system clock. Expiry is judged by it. */
  clock?: () => Date;
  host?: string;
  pid?: number;
  /** Default: random. */
  runId?: string;
  /** What a held lease's error tells to do when its holder is gone (default: wait, or --break-lock). */
  cure?: string;
  /** What the lease is called in its messages and errors (default "state lease"; e.g. "restore lock"). */
  label?: string;
  /** Renew on a timer every ttlMs/3 (default true; tests call {@link StateLease.renew} themselves). */
  autoRenew?: boolean;
}

/** The name of the lease in its messages: {@link LeaseOptions.label}, "state lease" by default. */
export function leaseLabel(opts: Pick<LeaseOptions, "label">): string {
  return opts.label ?? "state lease";
}

export /** The same operations, their S3 errors saying they were about the lease called `label`. */
function labelledLeaseObjects(objects: LeaseObjects, label: string): LeaseObjects {
  const tag = async <T>(call: Promise<T>): Promise<T> => {
    try {
      return await call;
    } catch (err) {
      if (err instanceof UpstreamError) throw new UpstreamError(`${err.message} (${label})`, { cause: err });
      throw err;
    }
  };
  return {
    bucket: objects.bucket,
    getTagged: (key, call) => tag(objects.getTagged(key, call)),
    putIf: (key, body, condition, call) => tag(objects.putIf(key, body, condition, call)),
    delete: (key, call) => tag(objects.delete(key, call)),
  };
}
