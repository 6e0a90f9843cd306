import { statSync } from "node:fs";
import path from "node:path";
import { ConfigError } from "./errors.js";
import { parseDuration } from "./lib/duration.js";
import {
  checkUrl,
  oneOf,
  parseBool,
  parseHostList,
  parseInteger,
  parsePercentage,
  parsePushgatewayUrl,
  parseStatePrefix,
} from "./core/env-values.js";
import { defaultOf, type DefaultedVariable } from "./variables.js";
import { parseSetsConfig } from "./core/sets-config.js";
import { parseRestoreConfig } from "./core/restore-config.js";
import type { Config } from "./core/config-type.js";

export type { Config } from "./core/config-type.js";

export type Env = Readonly<Record<string, string | undefined>>;

/** What a task needs configured; checked right before the task runs. */
export type Need = "source" | "restore" | "s3" | "destination";

const MAX_PRESIGN_SECONDS = 7 * 24 * 3600; // SigV4 presigned URLs cannot live longer.

/**
 * Builds the config from the environment (already merged with .env files) and flags. An unset (or blank) variable
 * takes its default from VARIABLES (variables.ts), parsed like a value the user set: there is no second copy here.
 * Reports every invalid value at once, each naming its variable; never echoes a secret.
 */
export function buildConfig(env: Env, flags: { stateDir?: string; cwd: string }): Config {
  const problems: string[] = [];
  const get = (name: string): string | undefined => {
    const v = env[name];
    return v === undefined || v.trim() === "" ? undefined : v.trim();
  };
  /** The value set, else the table's default. */
  const value = (name: DefaultedVariable): string => get(name) ?? defaultOf(name);
  const hosts = (name: string) => parseHostList(name, get(name), problems);
  const bool = (name: DefaultedVariable) => parseBool(name, value(name), problems);
  const int = (name: DefaultedVariable, min: number, max = Number.MAX_SAFE_INTEGER) =>
    parseInteger(name, value(name), min, max, problems);
  const seconds = (name: DefaultedVariable) => {
    try {
      return parseDuration(value(name));
    } catch (e) {
      problems.push(`${name}: ${(e as Error).message}`);
      return 0;
    }
  };

  const endpoint = get("QDRANT_S3_ENDPOINT_URL");
  if (endpoint !== undefined) checkUrl("QDRANT_S3_ENDPOINT_URL", endpoint, problems);
  const accessKeyId = get("QDRANT_S3_ACCESS_KEY_ID");
  const secretAccessKey = env["QDRANT_S3_SECRET_ACCESS_KEY"] || undefined;
  if ((accessKeyId === undefined) !== (secretAccessKey === undefined)) {
    problems.push(
      "QDRANT_S3_ACCESS_KEY_ID and QDRANT_S3_SECRET_ACCESS_KEY: set both, or neither to use the AWS default credential chain",
    );
  }
  const bucket = get("QDRANT_S3_BUCKET_NAME");
  if (bucket !== undefined && !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
    problems.push(`QDRANT_S3_BUCKET_NAME: "${bucket}" is not a valid bucket name (3-63 of a-z 0-9 . -)`);
  }
  const linkExpirySeconds = seconds("QDRANT_S3_LINK_EXPIRY_DURATION");
  if (linkExpirySeconds > MAX_PRESIGN_SECONDS) {
    problems.push(
      `QDRANT_S3_LINK_EXPIRY_DURATION: at most 7 days (604800 s) for a presigned URL; got ${linkExpirySeconds} s`,
    );
  }
  const stateDirRaw = flags.stateDir ?? get("QDRANT_STATE_DIR");
  if (flags.stateDir !== undefined && flags.stateDir.trim() === "") problems.push("--state-dir: must not be empty");

  const backupDirRaw = get("QDRANT_BACKUP_DIR");
  const backupDir = backupDirRaw === undefined ? undefined : path.resolve(flags.cwd, backupDirRaw);
  // Created on first write when missing; but a file there would fail every write after the snapshots were taken.
  if (backupDir !== undefined && statSync(backupDir, { throwIfNoEntry: false })?.isDirectory() === false) {
    problems.push(`QDRANT_BACKUP_DIR: ${JSON.stringify(backupDirRaw)} is not a directory`);
  }
  // A restore host cannot download from the tool's directory: with QDRANT_BACKUP_DIR the default is upload.
  const recoverVia = oneOf(
    "QDRANT_RECOVER_VIA",
    get("QDRANT_RECOVER_VIA") ?? (backupDirRaw ? "upload" : defaultOf("QDRANT_RECOVER_VIA")),
    ["url", "upload"] as const,
    problems,
  );
  if (backupDirRaw !== undefined && get("QDRANT_RECOVER_VIA")?.toLowerCase() === "url") {
    problems.push(
      "QDRANT_RECOVER_VIA: url needs the S3 destination (a restore host cannot download from QDRANT_BACKUP_DIR); use upload",
    );
  }
  const stateS3Prefix = parseStatePrefix(get("QDRANT_STATE_S3_PREFIX"), problems);
  if (stateS3Prefix !== undefined && bucket === undefined) {
    problems.push("QDRANT_STATE_S3_PREFIX: the state is mirrored to QDRANT_S3_BUCKET_NAME, which is not set");
  }

  const config: Config = {
    // The API key is used verbatim (surrounding spaces would be a different key); empty = none.
    apiKey: env["QDRANT_API_KEY"] || undefined,
    sourceHosts: hosts("QDRANT_SOURCE_HOSTS"),
    restoreHosts: hosts("QDRANT_RESTORE_HOSTS"),
    s3: {
      endpoint: endpoint?.replace(/\/+$/, ""),
      accessKeyId,
      secretAccessKey,
      bucket,
      region: value("QDRANT_S3_REGION"),
    },
    discoverPeers: bool("GET_PEERS_FROM_CLUSTER_INFO"),
    requestTimeoutMs: seconds("CURL_TIMEOUT") * 1000,
    waitOnTask: bool("QDRANT_WAIT_ON_TASK"),
    linkExpirySeconds,
    // Used verbatim, not trimmed: the filter is a substring of snapshot names.
    snapshotFilter: env["QDRANT_SNAPSHOT_DATETIME_FILTER"] ?? defaultOf("QDRANT_SNAPSHOT_DATETIME_FILTER"),
    httpPort: int("QDRANT_HTTP_PORT", 1, 65535),
    stateDir: path.resolve(flags.cwd, stateDirRaw ?? defaultOf("QDRANT_STATE_DIR")),
    cwd: path.resolve(flags.cwd),
    stateS3Prefix,
    backupDir,
    transfer: bool("QDRANT_SNAPSHOT_TRANSFER"),
    deleteAfterTransfer: bool("QDRANT_DELETE_AFTER_TRANSFER"),
    recoverVia,
    verifyAfterRecover: bool("QDRANT_VERIFY_AFTER_RECOVER"),
    verifyTimeoutMs: seconds("QDRANT_VERIFY_TIMEOUT") * 1000,
    verifyTolerancePct: parsePercentage("QDRANT_VERIFY_TOLERANCE_PCT", value("QDRANT_VERIFY_TOLERANCE_PCT"), problems),
    keep: {
      last: int("QDRANT_KEEP_LAST", 0, 100_000),
      daily: int("QDRANT_KEEP_DAILY", 0, 100_000),
      weekly: int("QDRANT_KEEP_WEEKLY", 0, 100_000),
      monthly: int("QDRANT_KEEP_MONTHLY", 0, 100_000),
      yearly: int("QDRANT_KEEP_YEARLY", 0, 100_000),
    },
    pruneMaxDeletePct: int("QDRANT_PRUNE_MAX_DELETE_PCT", 0, 100),
    sets: parseSetsConfig(get, value, problems),
    restore: parseRestoreConfig(value, problems),
    concurrency: int("QDRANT_CONCURRENCY", 1, 1024),
    perHostConcurrency: int("QDRANT_PER_HOST_CONCURRENCY", 1, 1024),
    retries: int("QDRANT_RETRIES", 0, 100),
    lockTtlSeconds: seconds("QDRANT_LOCK_TTL"),
    statusMaxAgeHours: int("QDRANT_STATUS_MAX_AGE_HOURS", 1, 100_000),
    pushgatewayUrl: parsePushgatewayUrl(get("QDRANT_PUSHGATEWAY_URL"), problems),
    progressIntervalSeconds: value("QDRANT_PROGRESS_INTERVAL") === "0" ? 0 : seconds("QDRANT_PROGRESS_INTERVAL"),
    logFormat: oneOf("QDRANT_LOG_FORMAT", value("QDRANT_LOG_FORMAT"), ["text", "json"] as const, problems),
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze(config);
}

const NEED_TEXT: Record<Need, (c: Config) => string[]> = {
  source: (c) =>
    c.sourceHosts.length ? [] : ["QDRANT_SOURCE_HOSTS is not set (comma-separated URLs, e.g. http://qdrant:6333)"],
  restore: (c) =>
    c.restoreHosts.length
      ? []
      : ["QDRANT_RESTORE_HOSTS is not set (comma-separated URLs, e.g. http://qdrant-new:6333)"],
  s3: (c) => (c.s3.bucket ? [] : ["QDRANT_S3_BUCKET_NAME is not set (the bucket Qdrant stores snapshots in)"]),
  destination: (c) =>
    c.s3.bucket && c.backupDir
      ? ["QDRANT_S3_BUCKET_NAME and QDRANT_BACKUP_DIR are both set; choose one backup destination"]
      : c.s3.bucket || c.backupDir
        ? []
        : ["no backup destination: set QDRANT_S3_BUCKET_NAME (S3) or QDRANT_BACKUP_DIR (a directory)"],
};

/** A backup destination is configured: the bucket (QDRANT_S3_BUCKET_NAME) or a directory (QDRANT_BACKUP_DIR). */
export function hasDestination(config: Config): boolean {
  return config.s3.bucket !== undefined || config.backupDir !== undefined;
}

/** Throws a ConfigError (exit 2) naming every missing variable that `task` needs. */
export function assertConfigured(config: Config, task: string, needs: readonly Need[]): void {
  const missing = needs.flatMap((n) => NEED_TEXT[n](config));
  if (missing.length) throw new ConfigError(missing.map((m) => `${task}: ${m}`));
}
