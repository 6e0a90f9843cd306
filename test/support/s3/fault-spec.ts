// The fault-injection contract between tests and the S3 server process (the body of POST /__admin/faults).

/** Path of the admin route. `__admin` is not a valid bucket name, so no S3 request can reach it. */
export const FAULTS_PATH = "/__admin/faults";

/** Statuses the server can inject: 500 → InternalError, 503 → ServiceUnavailable (or SlowDown). */
export const FAULT_STATUSES: readonly number[] = [500, 503];

/** A fault rule. Matching requests fail before authentication with an S3-style XML error body. */
export interface S3FaultSpec {
  /** Probability, 0..1, that a matching request fails. */
  rate: number;
  /** Statuses to draw from (uniformly); each must be 500 or 503. */
  statuses: number[];
  /** Seed of the rule's random generator (same seed + same request order → same faults). Default: random. */
  seed?: number;
  /** HTTP methods the rule applies to (e.g. `["PUT"]`). Default: all. */
  methods?: string[];
  /** S3 operation names the rule applies to (e.g. `["UploadPart", "PutObject"]`). Default: all. */
  operations?: string[];
  /** Only requests to this bucket; a bucket rule overrides the global one. Default: every bucket (global). */
  bucket?: string;
  /** 503s use the throttling code SlowDown instead of ServiceUnavailable. Default false. */
  slowDown?: boolean;
  /** Inject at most this many faults, then let everything through. Default: unlimited. */
  limit?: number;
  /**
   * Only requests whose object key matches this regular expression (source text); for a listing (ListObjectsV2,
   * ListObjects) its `prefix` (empty when it has none). Default: any key, or none.
   */
  keyPattern?: string;
}

export type FaultCommand = { kind: "set"; spec: S3FaultSpec } | { kind: "clear"; bucket?: string };

/** Parses a POST /__admin/faults body: an S3FaultSpec, or `{ clear: true, bucket? }`. Throws listing every problem. */
export function parseFaultCommand(value: unknown): FaultCommand {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new Error("body must be a JSON object");
  const get = (name: string): unknown => Reflect.get(value, name);
  const problems: string[] = [];
  const bucket = readOptional(get("bucket"), "bucket", isString, problems);
  if (get("clear") === true) {
    if (problems.length > 0) throw new Error(problems.join("; "));
    return bucket === undefined ? { kind: "clear" } : { kind: "clear", bucket };
  }
  const rate = get("rate");
  if (typeof rate !== "number" || !(rate >= 0 && rate <= 1)) problems.push("rate must be a number in 0..1");
  const statuses = get("statuses");
  if (!Array.isArray(statuses) || statuses.length === 0 || !statuses.every((s) => FAULT_STATUSES.includes(s))) {
    problems.push(`statuses must be a non-empty array of ${FAULT_STATUSES.join(" or ")}`);
  }
  const spec: S3FaultSpec = {
    rate: typeof rate === "number" ? rate : 0,
    statuses: Array.isArray(statuses) ? statuses.filter((s): s is number => typeof s === "number") : [],
    seed: readOptional(get("seed"), "seed", isInteger, problems),
    methods: readOptional(get("methods"), "methods", isStringArray, problems)?.map((m) => m.toUpperCase()),
    operations: readOptional(get("operations"), "operations", isStringArray, problems),
    bucket,
    slowDown: readOptional(get("slowDown"), "slowDown", isBoolean, problems),
    limit: readOptional(get("limit"), "limit", isNonNegativeInteger, problems),
    keyPattern: readOptional(get("keyPattern"), "keyPattern", isRegExpSource, problems),
  };
  if (problems.length > 0) throw new Error(problems.join("; "));
  return { kind: "set", spec };
}

function readOptional<T>(
  value: unknown,
  name: string,
  check: (v: unknown) => v is T,
  problems: string[],
): T | undefined {
  if (value === undefined || check(value)) return value;
  problems.push(`${name} has the wrong type`);
  return undefined;
}

function isString(v: unknown): v is string {
  return typeof v === "string";
}

function isBoolean(v: unknown): v is boolean {
  return typeof v === "boolean";
}

function isInteger(v: unknown): v is number {
  return typeof v === "number" && Number.isInteger(v);
}

function isNonNegativeInteger(v: unknown): v is number {
  return isInteger(v) && v >= 0;
}

function isRegExpSource(v: unknown): v is string {
  if (typeof v !== "string") return false;
  try {
    new RegExp(v);
    return true;
  } catch {
    return false;
  }
}

function isStringArray(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((item) => typeof item === "string");
}
