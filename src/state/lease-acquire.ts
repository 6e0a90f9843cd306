// Taking the state lease: a conditional create, or the conditional takeover of an expired lease (see lease.ts).
import { randomBytes } from "node:crypto";
import os from "node:os";
import { LockedError } from "../errors.js";
import { describeLease, encodeLease, parseLease, type LeaseBody } from "./lease-body.js";
import { leaseLabel, type LeaseOptions } from "./lease-options.js";
import { formatAge, TOOL_NAME } from "./lock-holder.js";

const ATTEMPTS = 5;

/**
 * Writes a lease for this run at `key`, taking over an expired one with a warning; returns the body written and its ETag.
 * @throws LockedError (exit 5) naming the holder, its age and the expiry when another run holds it;
 *   UpstreamError (exit 4) when S3 fails
 */
export async function takeLease(
  opts: LeaseOptions & { clock: () => Date },
  key: string,
): Promise<{ body: LeaseBody; etag: string }> {
  const { clock, objects } = opts;
  const where = `${leaseLabel(opts)} s3://${objects.bucket}/${key}`;
  const startedAt = clock().toISOString();
  const runId = opts.runId ?? randomBytes(12).toString("hex");
  const fresh = (): LeaseBody => {
    const now = clock();
    const renewedAt = now.toISOString();
    const expiresAt = new Date(now.getTime() + opts.ttlMs).toISOString();
    return {
      tool: TOOL_NAME,
      host: opts.host ?? os.hostname(),
      pid: opts.pid ?? process.pid,
      startedAt,
      renewedAt,
      expiresAt,
      runId,
    };
  };
  if (opts.breakLock) {
    const old = await objects.getTagged(key);
    if (old !== undefined) {
      await objects.delete(key);
      const holder = parseLease(old.body);
      opts.log.warn(
        `--break-lock: removed the ${where}, held by ${holder ? describeLease(holder, clock()) : "an unreadable lease object"}`,
      );
    }
  }
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    let body = fresh();
    const created = await objects.putIf(key, encodeLease(body), { ifNoneMatch: "*" });
    if (created !== "conflict") return { body, etag: created };
    const found = await objects.getTagged(key);
    if (found === undefined) continue; // released in the meantime
    const holder = parseLease(found.body);
    if (holder === undefined) {
      throw new LockedError(`${where} is unreadable; if no other run uses this state, run again with --break-lock`);
    }
    // An SDK retry of our own PUT that had in fact succeeded: the lease is ours.
    if (holder.runId === runId) return { body: holder, etag: found.etag };
    const now = clock();
    if (Date.parse(holder.expiresAt) > now.getTime()) {
      throw new LockedError(
        `${where}: held by ${describeLease(holder, now)}, expires at ${holder.expiresAt} ` +
          `(in ${formatAge(Date.parse(holder.expiresAt) - now.getTime())}); if that run is gone, ${opts.cure ?? "wait or run again with --break-lock"}`,
      );
    }
    body = fresh();
    const taken = await objects.putIf(key, encodeLease(body), { ifMatch: found.etag });
    if (taken !== "conflict") {
      opts.log.warn(`taking over the expired ${where}: ${describeLease(holder, now)}, expired at ${holder.expiresAt}`);
      return { body, etag: taken };
    }
    // Another run took it over first; the next look names it.
  }
  throw new LockedError(`${where}: other runs keep taking it; try again later`);
}
