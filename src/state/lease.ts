/**
 * The state lease: one run at a time per mirrored state (QDRANT_STATE_S3_PREFIX), across hosts and pods. The object
 * `<prefix>.lock` names its holder and when the lease expires; only conditional writes touch it:
 *
 * - acquire: PUT with `If-None-Match: *` (created only when absent). When it exists and has expired by this run's
 *   clock, PUT with `If-Match: <its ETag>`: of two runs taking over at once, exactly one wins; the other exits 5.
 * - renew: every TTL/3, PUT with `If-Match: <our last ETag>`. A renewal that finds the lease gone or rewritten by
 *   another run, or that cannot reach S3 before the lease expires, means the lease is lost: the run is stopped.
 * - release: DELETE, only when the object still carries our runId.
 *
 * ETags are compared without quotes, and the conditional writes work on stores that match only the bare ETag or
 * answer 412 for a missing key (Ceph's RADOS Gateway): ObjectStore.putIf detects the If-Match form the store
 * understands by looking after a 412, and every refusal is resolved here by reading the lease again.
 *
 * The expiry is judged by the clock of the run that reads it: the TTL (QDRANT_LOCK_TTL) must exceed the clock skew
 * between hosts by far (the default 600 s does).
 */
import { randomBytes } from "node:crypto";
import os from "node:os";
import { LockedError, UpstreamError } from "../errors.js";
import type { Logger } from "../log.js";
import type { ObjectStore } from "../s3/objects.js";
import { formatAge, TOOL_NAME } from "./lock.js";
import { parseJsonObject } from "../lib/json.js";

/** The name of the lease object inside the state prefix. The state mirror and reset only touch the state files' names. */
export const LEASE_NAME = ".lock";

/** The lease object's body. */
export interface LeaseBody {
  tool: string;
  host: string;
  pid: number;
  /** ISO 8601 times, by the holder's clock. */
  startedAt: string;
  renewedAt: string;
  expiresAt: string;
  /** Random per run: a run releases or adopts only a lease with its own runId. */
  runId: string;
}

/** The conditional object operations the lease needs (an ObjectStore over the bucket, without an abort signal: the
 * lease must be released after an interrupted run too). */
export type LeaseObjects = Pick<ObjectStore, "bucket" | "getTagged" | "putIf" | "delete">;

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
  /** Renew on a timer every ttlMs/3 (default true; tests call {@link StateLease.renew} themselves). */
  autoRenew?: boolean;
}

const ATTEMPTS = 5;

export class StateLease {
  /** Set once the lease is lost: the run must stop and exit 5. */
  lost: LockedError | undefined;
  private timer: NodeJS.Timeout | undefined;
  private renewing: Promise<void> | undefined;
  private released = false;

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
    const opts = { ...options, clock, objects: labelled(options.objects) };
    const { objects } = opts;
    const key = `${opts.prefix}${LEASE_NAME}`;
    const where = `s3://${objects.bucket}/${key}`;
    const startedAt = clock().toISOString();
    const runId = opts.runId ?? randomBytes(12).toString("hex");
    const fresh = (): LeaseBody => {
      const now = clock();
      const renewedAt = now.toISOString();
      const expiresAt = new Date(now.getTime() + opts.ttlMs).toISOString();
      return { tool: TOOL_NAME, host: opts.host ?? os.hostname(), pid: opts.pid ?? process.pid, startedAt, renewedAt, expiresAt, runId };
    };
    if (opts.breakLock) {
      const old = await objects.getTagged(key);
      if (old !== undefined) {
        await objects.delete(key);
        const holder = parseLease(old.body);
        opts.log.warn(`--break-lock: removed the state lease ${where}, held by ${holder ? describeLease(holder, clock()) : "an unreadable lease object"}`);
      }
    }
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      let body = fresh();
      const created = await objects.putIf(key, encode(body), { ifNoneMatch: "*" });
      if (created !== "conflict") return StateLease.start(opts, key, body, created);
      const found = await objects.getTagged(key);
      if (found === undefined) continue; // released in the meantime
      const holder = parseLease(found.body);
      if (holder === undefined) {
        throw new LockedError(`state lease ${where} is unreadable; if no other run uses this state, run again with --break-lock`);
      }
      // An SDK retry of our own PUT that had in fact succeeded: the lease is ours.
      if (holder.runId === runId) return StateLease.start(opts, key, holder, found.etag);
      const now = clock();
      if (Date.parse(holder.expiresAt) > now.getTime()) {
        throw new LockedError(
          `state lease ${where}: held by ${describeLease(holder, now)}, expires at ${holder.expiresAt} ` +
            `(in ${formatAge(Date.parse(holder.expiresAt) - now.getTime())}); if that run is gone, wait or run again with --break-lock`,
        );
      }
      body = fresh();
      const taken = await objects.putIf(key, encode(body), { ifMatch: found.etag });
      if (taken !== "conflict") {
        opts.log.warn(`taking over the expired state lease ${where}: ${describeLease(holder, now)}, expired at ${holder.expiresAt}`);
        return StateLease.start(opts, key, body, taken);
      }
      // Another run took it over first; the next look names it.
    }
    throw new LockedError(`state lease ${where}: other runs keep taking it; try again later`);
  }

  private static start(opts: LeaseOptions & { clock: () => Date }, key: string, body: LeaseBody, etag: string): StateLease {
    const lease = new StateLease(opts, key, body, etag);
    if (opts.autoRenew !== false) {
      lease.timer = setInterval(() => {
        lease.renewing ??= lease.renew().finally(() => (lease.renewing = undefined));
      }, Math.max(1, Math.floor(opts.ttlMs / 3)));
      lease.timer.unref();
    }
    return lease;
  }

  /**
   * Extends the lease by the TTL from now. Never throws: a lease found taken or missing is lost (onLost); an S3
   * error is a warning until the lease expires by our clock, then the lease is lost as well.
   */
  async renew(): Promise<void> {
    if (this.released || this.lost) return;
    const now = this.opts.clock();
    const next: LeaseBody = { ...this.body, renewedAt: now.toISOString(), expiresAt: new Date(now.getTime() + this.opts.ttlMs).toISOString() };
    try {
      const etag = await this.opts.objects.putIf(this.key, encode(next), { ifMatch: this.etag });
      if (etag !== "conflict") {
        this.body = next;
        this.etag = etag;
        return;
      }
      const found = await this.opts.objects.getTagged(this.key);
      const holder = found && parseLease(found.body);
      if (found && holder?.runId === this.body.runId) {
        // Our own write went through and was retried by the SDK: adopt what is there.
        this.body = holder;
        this.etag = found.etag;
        return;
      }
      this.lose(holder ? `taken over by ${describeLease(holder, now)}` : found ? "overwritten with something unreadable" : "deleted (--break-lock?)");
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (this.opts.clock().getTime() >= Date.parse(this.body.expiresAt)) {
        this.lose(`not renewed before it expired at ${this.body.expiresAt}: ${message}`);
      } else {
        this.opts.log.warn(`cannot renew the state lease ${this.location} (valid until ${this.body.expiresAt}); retrying: ${message}`);
      }
    }
  }

  /** Stops renewing and deletes the lease if it is still ours. Never throws (the lease expires by itself). */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    this.stopTimer();
    await this.renewing;
    if (this.lost) return;
    try {
      const found = await this.opts.objects.getTagged(this.key);
      if (found && parseLease(found.body)?.runId === this.body.runId) await this.opts.objects.delete(this.key);
    } catch (err) {
      this.opts.log.warn(`cannot release the state lease ${this.location}: ${err instanceof Error ? err.message : String(err)}; it expires at ${this.body.expiresAt}`);
    }
  }

  private lose(why: string): void {
    this.stopTimer();
    this.lost = new LockedError(`lost the state lease ${this.location}: ${why}; this run stops (what it finished is recorded)`);
    this.opts.onLost(this.lost);
  }

  private stopTimer(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }
}

/** "pid 1234 on host h since 2026-…, 3 min ago, renewed 20 s ago". */
export function describeLease(b: LeaseBody, now: Date): string {
  const ago = (iso: string) => formatAge(now.getTime() - Date.parse(iso));
  return `pid ${b.pid} on host ${b.host} since ${b.startedAt}, ${ago(b.startedAt)} ago, renewed ${ago(b.renewedAt)} ago`;
}

/** Parses a lease object into a checked body, or undefined. */
export function parseLease(raw: Uint8Array): LeaseBody | undefined {
  const v = parseJsonObject(raw);
  if (v === undefined) return undefined;
  const str = (k: string): string | undefined => (typeof v[k] === "string" ? (v[k] as string) : undefined);
  const [tool, host, startedAt, renewedAt, expiresAt, runId] = ["tool", "host", "startedAt", "renewedAt", "expiresAt", "runId"].map(str);
  const pid = v["pid"];
  if (tool === undefined || host === undefined || runId === undefined || typeof pid !== "number") return undefined;
  if ([startedAt, renewedAt, expiresAt].some((t) => t === undefined || Number.isNaN(Date.parse(t)))) return undefined;
  return { tool, host, pid, startedAt: startedAt!, renewedAt: renewedAt!, expiresAt: expiresAt!, runId };
}

/** The same operations, their S3 errors saying they were about the state lease. */
function labelled(objects: LeaseObjects): LeaseObjects {
  const tag = async <T>(call: Promise<T>): Promise<T> => {
    try {
      return await call;
    } catch (err) {
      if (err instanceof UpstreamError) throw new UpstreamError(`${err.message} (state lease)`, { cause: err });
      throw err;
    }
  };
  return {
    bucket: objects.bucket,
    getTagged: (key) => tag(objects.getTagged(key)),
    putIf: (key, body, condition) => tag(objects.putIf(key, body, condition)),
    delete: (key) => tag(objects.delete(key)),
  };
}

function encode(body: LeaseBody): Uint8Array {
  return Buffer.from(`${JSON.stringify(body)}\n`, "utf8");
}
