// Decides, request by request, whether to inject a fault. Lives in the server process.
import type { S3FaultSpec } from "./fault-spec.js";
import { createSeededRandom } from "../seeded-random.js";

/** The S3 error codes the injector produces. */
export type FaultCode = "InternalError" | "ServiceUnavailable" | "SlowDown";

/** What a rule matches on. */
export interface FaultTarget {
  method: string;
  operation: string;
  bucket: string | undefined;
  /** The object key (decoded), if the request names one. */
  key?: string | undefined;
}

interface Rule {
  spec: S3FaultSpec;
  random: () => number;
  injected: number;
}

const GLOBAL = "\u0000global";

/** Holds one global rule and one rule per bucket; a bucket rule wins over the global one. */
export class FaultInjector {
  private readonly rules = new Map<string, Rule>();

  /** Installs (or replaces) the rule for spec.bucket, or the global rule when spec.bucket is unset. */
  setRule(spec: S3FaultSpec): void {
    const seed = spec.seed ?? Math.floor(Math.random() * 2 ** 32);
    this.rules.set(spec.bucket ?? GLOBAL, { spec, random: createSeededRandom(seed), injected: 0 });
  }

  /** Removes the rule of one bucket, or every rule when bucket is undefined. */
  clear(bucket?: string): void {
    if (bucket === undefined) this.rules.clear();
    else this.rules.delete(bucket);
  }

  /** The fault to inject for this request, or undefined to let it through. */
  pickFault(target: FaultTarget): FaultCode | undefined {
    const rule = (target.bucket === undefined ? undefined : this.rules.get(target.bucket)) ?? this.rules.get(GLOBAL);
    if (rule === undefined || !matches(rule.spec, target)) return undefined;
    if (rule.spec.limit !== undefined && rule.injected >= rule.spec.limit) return undefined;
    if (rule.random() >= rule.spec.rate) return undefined;
    rule.injected += 1;
    const status = rule.spec.statuses[Math.floor(rule.random() * rule.spec.statuses.length)];
    if (status === 500) return "InternalError";
    return rule.spec.slowDown === true ? "SlowDown" : "ServiceUnavailable";
  }
}

function matches(spec: S3FaultSpec, target: FaultTarget): boolean {
  if (spec.methods !== undefined && !spec.methods.includes(target.method.toUpperCase())) return false;
  if (spec.keyPattern !== undefined && (target.key === undefined || !new RegExp(spec.keyPattern).test(target.key)))
    return false;
  return spec.operations === undefined || spec.operations.includes(target.operation);
}
