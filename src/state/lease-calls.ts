// The state lease's S3 calls once it is held (see lease.ts): a renewal's conditional write and what a refusal means,
// and the release's delete of a lease that is still ours. Each call ends when `signal` aborts.
import { untilAborted } from "../lib/until-aborted.js";
import { describeLease, encodeLease, parseLease, type LeaseBody } from "./lease-body.js";
import type { LeaseObjects } from "./lease-options.js";

/** What a renewal found: the lease renewed (the body and ETag now in the bucket), or lost, and why. */
export type RenewalOutcome = { renewed: LeaseBody; etag: string } | { lost: string };

/**
 * Writes `next` over the lease at `key` if it still has `etag`; after a refusal, reads the lease: our own runId there
 * means our write went through (retried by the SDK, or cut off after it landed), anything else that it is lost.
 * @throws what the store throws (an S3 error), or the abort's reason
 */
export async function renewLease(
  objects: LeaseObjects,
  key: string,
  next: LeaseBody,
  etag: string,
  now: Date,
  signal: AbortSignal,
): Promise<RenewalOutcome> {
  const call = { signal };
  const written = await untilAborted(objects.putIf(key, encodeLease(next), { ifMatch: etag }, call), signal);
  if (written !== "conflict") return { renewed: next, etag: written };
  const found = await untilAborted(objects.getTagged(key, call), signal);
  const holder = found && parseLease(found.body);
  if (found && holder?.runId === next.runId) return { renewed: holder, etag: found.etag };
  return {
    lost: holder
      ? `taken over by ${describeLease(holder, now)}`
      : found
        ? "overwritten with something unreadable"
        : "deleted (--break-lock?)",
  };
}

/**
 * Waits for the renewals `pending` (cut off already), then deletes the lease at `key` if `held()` and it still
 * carries `runId`; all within `deadlineMs`. Never throws.
 * @returns why the lease could not be deleted, or undefined
 */
export async function releaseLease(
  objects: LeaseObjects,
  key: string,
  runId: string,
  pending: Promise<unknown>,
  held: () => boolean,
  deadlineMs: number,
): Promise<string | undefined> {
  const signal = AbortSignal.timeout(deadlineMs);
  await untilAborted(pending, signal).catch(() => undefined);
  if (!held()) return undefined;
  try {
    const found = await untilAborted(objects.getTagged(key, { signal }), signal);
    if (found && parseLease(found.body)?.runId === runId) await untilAborted(objects.delete(key, { signal }), signal);
    return undefined;
  } catch (err) {
    if (signal.aborted) return `no answer within ${Math.round(deadlineMs / 1000)} s`;
    return err instanceof Error ? err.message : String(err);
  }
}
