/**
 * Scriptable faults. Every matching rule that fires adds its latency; the first firing rule with
 * an outcome (status/error, reset, html) decides the answer and later outcome rules are not
 * consumed. Latency-only and slow-body rules compose with normal handling.
 */

import { createSeededRandom } from "../seeded-random.js";
import type { BreakPayloadsOptions, PayloadPoint, RestoreFaults, ShardRecoverFault } from "./restore-faults.js";
import type { CollectionHealth } from "./state.js";

export interface FaultRule {
  /** Index into `emulator.nodes`; undefined = every node. */
  node?: number;
  /** HTTP method to match (case-insensitive); undefined = any. */
  method?: string;
  /** Exact pathname (string) or a pattern tested against the pathname. */
  path?: RegExp | string;
  /** Delay before handling, in milliseconds. */
  latencyMs?: number;
  /**
   * Test hook: hold the request (after `onMatch`, before `latencyMs`) until the promise this returns settles, so a
   * test can keep a client's call in flight exactly as long as it needs (e.g. until another run has finished), with no
   * timing guess.
   */
  holdUntil?: () => Promise<unknown>;
  /** Answer this status with a Qdrant JSON error envelope instead of doing the work (default 500 when only `error` is set). */
  status?: number;
  /** Error message for the envelope (default "Service internal error: injected fault"). */
  error?: string;
  /** Fire only this many times. */
  times?: number;
  /** Fire with this probability (0..1), drawn from a PRNG seeded with `seed` (default 1). */
  rate?: number;
  seed?: number;
  /** Destroy the connection instead of answering. */
  reset?: boolean;
  /** Send the real response body in chunks spread over this many milliseconds. */
  slowBodyMs?: number;
  /** Answer an nginx-style `text/html` 502 page (or `status`), as an ingress in front of Qdrant would. */
  html?: boolean;
  /**
   * Test hook: called synchronously each time the rule fires, when the request has arrived (headers read) and before
   * anything else is done with it, with the 1-based count of this rule's firings. Lets a test act at an exact point
   * of a client's request sequence, e.g. SIGKILL the CLI at its 3rd snapshot recovery. `times`, `rate` and `node`
   * apply as for any rule; a rule with only `onMatch` changes nothing about the answer.
   */
  onMatch?: (hit: { node: number; method: string; path: string; count: number }) => void;
}

/** See FaultController.afterRecover. */
export interface AfterRecover {
  grey?: boolean;
  yellowPolls?: number;
  error?: string;
}

export type FaultOutcome =
  { kind: "status"; status: number; error: string } | { kind: "reset" } | { kind: "html"; status: number };

/** What the server should do for one request. */
export interface FaultDecision {
  /** What the request waits for (holdUntil) before anything else. */
  holds: Promise<unknown>[];
  latencyMs: number;
  slowBodyMs: number;
  outcome: FaultOutcome | undefined;
}

export interface FaultController {
  /** Add a rule; returns a function that removes it. */
  add(rule: FaultRule): () => void;
  clear(): void;
  /** qdrant#5026: with S3 configured, snapshots silently land on local disk instead. */
  snapshotsToLocalDisk(on: boolean): void;
  /**
   * How each later collection recovery (by URL, file or upload) leaves the collection, as Qdrant may after a restore:
   * `grey` until optimizers are triggered (PATCH /collections/{c}), then `yellow` for `yellowPolls` status reads; or
   * `red` with `error`. `yellowPolls: Infinity` stays yellow. `afterRecover({})` (the default) leaves recovered
   * collections green; `clear()` does not reset it.
   */
  afterRecover(health: AfterRecover): void;
  /**
   * What each later shard snapshot recovery leaves behind while the collection stays green: a lingering Partial/Dead
   * replica (qdrant#7851) and/or exact counts that come back short for a number of reads. Returns a remover, which also
   * ends the replicas it left. See `ShardRecoverFault` (restore-faults.ts).
   */
  afterShardRecover(rule: ShardRecoverFault): () => void;
  /**
   * Payload reads of `collection` (on every node, also one created later) fail with a 500 (or `opts.status`/`error`)
   * whenever an answer would carry the payload of a point `broken` picks: scroll, retrieve, query and search with
   * `with_payload`. Reads without payloads, counts and the collection's green status are untouched. Returns a remover.
   */
  breakPayloads(collection: string, broken: (point: PayloadPoint) => boolean, opts?: BreakPayloadsOptions): () => void;
  /** How many times rules fired (for assertions). */
  hits(): number;
}

interface LiveRule {
  rule: FaultRule;
  remaining: number;
  random: () => number;
  /** Times this rule fired (for onMatch). */
  count: number;
}

function hasOutcome(r: FaultRule): boolean {
  return r.reset === true || r.html === true || r.status !== undefined || r.error !== undefined;
}

function matches(r: FaultRule, node: number, method: string, pathname: string): boolean {
  if (r.node !== undefined && r.node !== node) return false;
  if (r.method !== undefined && r.method.toUpperCase() !== method.toUpperCase()) return false;
  if (r.path === undefined) return true;
  return typeof r.path === "string" ? r.path === pathname : r.path.test(pathname);
}

export class Faults implements FaultController {
  private rules: LiveRule[] = [];
  private fired = 0;

  constructor(
    private readonly onLocalDisk: (on: boolean) => void,
    private readonly onAfterRecover: (health: CollectionHealth | undefined) => void,
    private readonly restore: RestoreFaults,
  ) {}

  add(rule: FaultRule): () => void {
    const live: LiveRule = {
      rule,
      remaining: rule.times ?? Infinity,
      random: createSeededRandom(rule.seed ?? 1),
      count: 0,
    };
    this.rules.push(live);
    return () => {
      this.rules = this.rules.filter((r) => r !== live);
    };
  }

  /** Removes every rule, `afterShardRecover` and `breakPayloads` ones included (not `afterRecover`). */
  clear(): void {
    this.rules = [];
    this.restore.clear();
  }

  afterShardRecover(rule: ShardRecoverFault): () => void {
    return this.restore.afterShardRecover(rule);
  }

  breakPayloads(collection: string, broken: (point: PayloadPoint) => boolean, opts?: BreakPayloadsOptions): () => void {
    return this.restore.breakPayloads(collection, broken, opts);
  }

  snapshotsToLocalDisk(on: boolean): void {
    this.onLocalDisk(on);
  }

  afterRecover(health: AfterRecover): void {
    const yellowPolls = health.yellowPolls ?? 0;
    if (!(Number.isInteger(yellowPolls) || yellowPolls === Infinity) || yellowPolls < 0) {
      throw new Error("afterRecover: yellowPolls must be a non-negative integer or Infinity");
    }
    const plain = !health.grey && yellowPolls === 0 && health.error === undefined;
    this.onAfterRecover(
      plain
        ? undefined
        : { grey: health.grey ?? false, yellowPolls, ...(health.error !== undefined ? { error: health.error } : {}) },
    );
  }

  hits(): number {
    return this.fired;
  }

  decide(node: number, method: string, pathname: string): FaultDecision {
    const d: FaultDecision = { holds: [], latencyMs: 0, slowBodyMs: 0, outcome: undefined };
    for (const live of this.rules) {
      const r = live.rule;
      if (!matches(r, node, method, pathname) || live.remaining <= 0) continue;
      // An outcome rule is not consumed once another outcome has been chosen for this request.
      if (d.outcome && hasOutcome(r)) continue;
      if (r.rate !== undefined && live.random() >= r.rate) continue;
      live.remaining--;
      this.fired++;
      live.count++;
      r.onMatch?.({ node, method, path: pathname, count: live.count });
      if (r.holdUntil) d.holds.push(r.holdUntil());
      d.latencyMs += r.latencyMs ?? 0;
      d.slowBodyMs = Math.max(d.slowBodyMs, r.slowBodyMs ?? 0);
      if (r.reset) d.outcome = { kind: "reset" };
      else if (r.html) d.outcome = { kind: "html", status: r.status ?? 502 };
      else if (r.status !== undefined || r.error !== undefined) {
        d.outcome = {
          kind: "status",
          status: r.status ?? 500,
          error: r.error ?? "Service internal error: injected fault",
        };
      }
    }
    return d;
  }
}

export function nginxPage(status: number, reason: string): string {
  const title = `${status} ${reason}`;
  return `<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<center><h1>${title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`;
}
