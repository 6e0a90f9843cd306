/**
 * The state lease: one run at a time per mirrored state (QDRANT_STATE_S3_PREFIX), across hosts and pods. The object
 * `<prefix>.lock` names its holder and when the lease expires; only conditional writes touch it:
 *
 * - acquire: PUT with `If-None-Match: *` (created only when absent). When it exists and has expired by this run's
 *   clock, PUT with `If-Match: <its ETag>`: of two runs taking over at once, exactly one wins; the other exits 5.
 * - renew: every TTL/3, PUT with `If-Match: <our last ETag>`; a renewal still waiting for its answer does not hold up
 *   the next one (at most two at once; of two racing renewals the one that gets 412 adopts the other's write), and
 *   each is cut off at the watchdog's time. A renewal that finds the lease gone or rewritten by another run means the
 *   lease is lost: the run is stopped (exit 5). So is a lease not renewed by TTL/10 before it expires (a watchdog timer, by
 *   this run's clock): the run stops before another run may take the lease over.
 * - release: DELETE, only when the object still carries our runId; within a deadline (default 10 s), so a hung S3
 *   never holds up the end of a run; past it, the lease expires by itself.
 *
 * ETags are compared without quotes, and the conditional writes work on stores that match only the bare ETag or
 * answer 412 for a missing key (Ceph's RADOS Gateway): ObjectStore.putIf detects the If-Match form the store
 * understands by looking after a 412, and every refusal is resolved here by reading the lease again.
 *
 * The expiry is judged by the clock of the run that reads it: the TTL (QDRANT_LOCK_TTL) must exceed the clock skew
 * between hosts by far (the default 600 s does).
 *
 * This file keeps the lease's timers and state; lease-acquire.ts takes it, lease-calls.ts renews and deletes it.
 */
import { LockedError } from "../errors.js";
import { takeLease } from "./lease-acquire.js";
import type { LeaseBody } from "./lease-body.js";
import { releaseLease, renewLease } from "./lease-calls.js";
import { labelledLeaseObjects, leaseKey, leaseLabel, type LeaseOptions } from "./lease-options.js";

/** Renewals waiting for S3 at once: a hung one does not hold up the next. */
const MAX_RENEWALS_IN_FLIGHT = 2;
/** How long release() may take by default, ms. */
export const RELEASE_DEADLINE_MS = 10_000;

export class StateLease {
  /** Set once the lease is lost: the run must stop and exit 5. */
  lost: LockedError | undefined;
  private timer: NodeJS.Timeout | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  /** The renewals in flight, each with what cuts it off (its deadline, the watchdog, release()). */
  private readonly renewals = new Map<AbortController, Promise<void>>();
  private released = false;
  private releasing: Promise<void> | undefined;

  private constructor(
    private readonly opts: LeaseOptions & { clock: () => Date },
    readonly key: string,
    private body: LeaseBody,
    private etag: string,
  ) {}

  /** `s3://bucket/<prefix>.lock` for messages. */
  get location(): string {
    return `s3://${this.opts.objects.bucket}/${this.key}`;
  }

  /** The body last written by this run. */
  get current(): Readonly<LeaseBody> {
    return this.body;
  }

  /**
   * Takes the lease, taking over an expired one with a warning.
   * @throws LockedError (exit 5) naming the holder, its age and the expiry when another run holds it;
   *   UpstreamError (exit 4) when S3 fails
   */
  static async acquire(options: LeaseOptions): Promise<StateLease> {
    const clock = options.clock ?? (() => new Date());
    const opts = { ...options, clock, objects: labelledLeaseObjects(options.objects, leaseLabel(options)) };
    const key = leaseKey(opts.prefix);
    const { body, etag } = await takeLease(opts, key);
    const lease = new StateLease(opts, key, body, etag);
    if (opts.autoRenew !== false) {
      const every = Math.max(1, Math.floor(opts.ttlMs / 3));
      lease.timer = setInterval(() => {
        if (lease.renewals.size < MAX_RENEWALS_IN_FLIGHT) void lease.renew();
      }, every);
      lease.timer.unref();
      lease.armWatchdog();
    }
    return lease;
  }

  /** A lease held this long (ms) before its expiry without a renewal is given up: TTL/10. */
  private get marginMs(): number {
    return Math.floor(this.opts.ttlMs / 10);
  }

  /** Loses the lease at (expiry − margin) by our clock unless a renewal moves the expiry first. */
  private armWatchdog(): void {
    if (this.watchdog !== undefined) clearTimeout(this.watchdog);
    const expiresAt = this.body.expiresAt;
    const delay = Math.max(0, Date.parse(expiresAt) - this.marginMs - this.opts.clock().getTime());
    this.watchdog = setTimeout(() => {
      if (this.released || this.lost || this.body.expiresAt !== expiresAt) return;
      this.abortRenewals();
      this.lose(`not renewed in time: it expires at ${expiresAt} and another run may take it over then`);
    }, delay);
    this.watchdog.unref();
  }

  /**
   * Extends the lease by the TTL from now. Never throws: a lease found taken or missing is lost (onLost); an S3
   * error is a warning until the lease expires by our clock, then the lease is lost as well.
   */
  async renew(): Promise<void> {
    if (this.released || this.lost) return;
    const now = this.opts.clock();
    const next: LeaseBody = {
      ...this.body,
      renewedAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + this.opts.ttlMs).toISOString(),
    };
    // On the timer, cut off when the lease would be given up anyway (TTL/10 before it expires, the watchdog's time);
    // release() cuts it off earlier.
    const renewal = new AbortController();
    const budget = Math.max(1, Date.parse(this.body.expiresAt) - this.marginMs - now.getTime());
    const deadline =
      this.timer === undefined
        ? undefined
        : setTimeout(() => renewal.abort(new Error(`no answer within ${budget} ms`)), budget);
    const done = this.renewOnce(next, now, renewal.signal).finally(() => {
      clearTimeout(deadline);
      this.renewals.delete(renewal);
    });
    this.renewals.set(renewal, done);
    return done;
  }

  private async renewOnce(next: LeaseBody, now: Date, signal: AbortSignal): Promise<void> {
    try {
      const outcome = await renewLease(this.opts.objects, this.key, next, this.etag, now, signal);
      if (this.released || this.lost) return;
      if ("lost" in outcome) this.lose(outcome.lost);
      else this.renewed(outcome.renewed, outcome.etag);
    } catch (err) {
      if (this.released || this.lost) return;
      const message = err instanceof Error ? err.message : String(err);
      if (this.opts.clock().getTime() >= Date.parse(this.body.expiresAt) - this.marginMs) {
        this.lose(
          `not renewed in time: it expires at ${this.body.expiresAt} and another run may take it over then: ${message}`,
        );
      } else {
        this.opts.log.warn(
          `cannot renew the ${leaseLabel(this.opts)} ${this.location} (valid until ${this.body.expiresAt}); retrying: ${message}`,
        );
      }
    }
  }

  private abortRenewals(): void {
    for (const renewal of this.renewals.keys()) renewal.abort();
  }

  private renewed(body: LeaseBody, etag: string): void {
    this.body = body;
    this.etag = etag;
    if (this.timer !== undefined) this.armWatchdog();
  }

  /**
   * Stops renewing and deletes the lease if it is still ours, within `deadlineMs` (default 10 s): a renewal in flight
   * is cut off first. Never throws (past the deadline, or on an error, the lease expires by itself).
   */
  release(deadlineMs = RELEASE_DEADLINE_MS): Promise<void> {
    // A second call (a second Ctrl-C while the run shuts down) waits for the release under way.
    this.releasing ??= this.releaseOnce(deadlineMs);
    return this.releasing;
  }

  private async releaseOnce(deadlineMs: number): Promise<void> {
    this.released = true;
    this.stopTimer();
    this.abortRenewals();
    const pending = Promise.all(this.renewals.values());
    const { objects } = this.opts;
    const failed = await releaseLease(objects, this.key, this.body.runId, pending, () => !this.lost, deadlineMs);
    if (failed !== undefined)
      this.opts.log.warn(
        `cannot release the ${leaseLabel(this.opts)} ${this.location}: ${failed}; it expires at ${this.body.expiresAt}`,
      );
  }

  private lose(why: string): void {
    this.stopTimer();
    this.lost = new LockedError(
      `lost the ${leaseLabel(this.opts)} ${this.location}: ${why}; this run stops (what it finished is recorded)`,
    );
    this.opts.onLost(this.lost);
  }

  private stopTimer(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    if (this.watchdog !== undefined) clearTimeout(this.watchdog);
    this.timer = undefined;
    this.watchdog = undefined;
  }
}
