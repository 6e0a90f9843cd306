// The variable table of src/variables.ts is the one source of names and defaults: config.ts parses an unset
// variable's default from it, README.md's table and .env.sample must show the same, and every variable in it must
// actually reach the parsed config (a variable the code forgot to read would otherwise look documented and work).
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parse as parseDotenv } from "dotenv";
import { describe, expect, it } from "vitest";
import { buildConfig, type Config } from "../../src/config.js";
import { VARIABLES, type VariableName } from "../../src/variables.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const readme = readFileSync(path.join(root, "README.md"), "utf8");
const cwd = "/nonexistent-qbr-variables-test";

/** S3 settings that need each other, so each of them can be changed alone below. */
const BASE = {
  QDRANT_S3_BUCKET_NAME: "bucket-a",
  QDRANT_S3_ACCESS_KEY_ID: "AKIA-A",
  QDRANT_S3_SECRET_ACCESS_KEY: "secret-a",
};

/**
 * For every variable, a valid value different from BASE's and from its default; null = read by nobody on purpose
 * (MC_CONFIG_DIR is accepted so old .env files keep working). A new variable fails type-checking until it is here.
 */
const DISTINCT = {
  QDRANT_API_KEY: "api-key-b",
  QDRANT_SOURCE_HOSTS: "http://source-b:6333",
  QDRANT_RESTORE_HOSTS: "http://restore-b:6333",
  QDRANT_S3_ENDPOINT_URL: "http://s3-b:9000",
  QDRANT_S3_ACCESS_KEY_ID: "AKIA-B",
  QDRANT_S3_SECRET_ACCESS_KEY: "secret-b",
  QDRANT_S3_BUCKET_NAME: "bucket-b",
  QDRANT_S3_REGION: "eu-west-3",
  GET_PEERS_FROM_CLUSTER_INFO: "true",
  CURL_TIMEOUT: "17",
  QDRANT_WAIT_ON_TASK: "false",
  QDRANT_S3_LINK_EXPIRY_DURATION: "17m",
  QDRANT_SNAPSHOT_DATETIME_FILTER: "2026-01-29",
  QDRANT_HTTP_PORT: "7333",
  QDRANT_STATE_DIR: "state-b",
  QDRANT_STATE_S3_PREFIX: "state/b/",
  QDRANT_BACKUP_DIR: "backups-b",
  QDRANT_SNAPSHOT_TRANSFER: "true",
  QDRANT_DELETE_AFTER_TRANSFER: "true",
  QDRANT_RECOVER_VIA: "upload",
  QDRANT_VERIFY_AFTER_RECOVER: "false",
  QDRANT_VERIFY_TIMEOUT: "17",
  QDRANT_VERIFY_TOLERANCE_PCT: "1.7",
  QDRANT_KEEP_LAST: "17",
  QDRANT_KEEP_DAILY: "17",
  QDRANT_KEEP_WEEKLY: "17",
  QDRANT_KEEP_MONTHLY: "17",
  QDRANT_KEEP_YEARLY: "17",
  QDRANT_PRUNE_MAX_DELETE_PCT: "17",
  QDRANT_BACKUP_RETENTION_SETS: "17",
  QDRANT_SWEEP_GRACE_SECONDS: "17",
  QDRANT_SWEEP_DELETE_CAP_PCT: "17",
  QDRANT_LEGACY_KEEP_RUNS: "17",
  QDRANT_RESTORE_FORCE: "true",
  QDRANT_SKIP_VERSION_CHECK: "true",
  QDRANT_VERIFY_GREEN_TIMEOUT_SECONDS: "17",
  QDRANT_VERIFY_POLL_INTERVAL_SECONDS: "17",
  QDRANT_VERIFY_SAMPLE_POINTS: "17",
  GIT_REF: "abc1234",
  QDRANT_CONCURRENCY: "17",
  QDRANT_PER_HOST_CONCURRENCY: "17",
  QDRANT_RETRIES: "17",
  QDRANT_LOCK_TTL: "17m",
  QDRANT_STATUS_MAX_AGE_HOURS: "17",
  QDRANT_PUSHGATEWAY_URL: "http://pushgateway-b:9091",
  QDRANT_PROGRESS_INTERVAL: "17",
  QDRANT_LOG_FORMAT: "json",
  MC_CONFIG_DIR: null,
} satisfies Record<VariableName, string | null>;

const parse = (env: Record<string, string>): Config => buildConfig(env, { cwd });
const defaultOf = (v: (typeof VARIABLES)[number]): string | undefined => ("default" in v ? v.default : undefined);

/** README.md's variable table: name → the Default cell, in the order written. */
function readmeTable(): Map<string, string> {
  const rows = new Map<string, string>();
  for (const line of readme.split("\n")) {
    const m = /^\| `([A-Z][A-Z0-9_]*)` \| ([^|]*) \|/.exec(line);
    if (m) rows.set(m[1]!, m[2]!.trim());
  }
  return rows;
}

describe("the variable table (src/variables.ts)", () => {
  it("README.md's table lists exactly its variables, each with its default cell: the value, (empty), (none) or (ignored)", () => {
    const table = readmeTable();
    expect([...table.keys()].sort()).toEqual(VARIABLES.map((v) => v.name).sort());
    for (const v of VARIABLES) {
      const d = defaultOf(v);
      const cell =
        v.name === "MC_CONFIG_DIR" ? "(ignored)" : d === undefined ? "(none)" : d === "" ? "(empty)" : `\`${d}\``;
      expect(table.get(v.name), v.name).toBe(cell);
    }
  });

  it("an unset variable parses exactly as its default set explicitly (config.ts holds no second copy)", () => {
    const unset = parse(BASE);
    for (const v of VARIABLES) {
      const d = defaultOf(v);
      if (d === undefined) continue;
      expect(parse({ ...BASE, [v.name]: d }), v.name).toEqual(unset);
    }
  });

  it("every variable is read: a distinctive valid value changes the parsed config (MC_CONFIG_DIR is ignored by design)", () => {
    expect(Object.keys(DISTINCT).sort()).toEqual(VARIABLES.map((v) => v.name).sort());
    const base = parse(BASE);
    for (const [name, value] of Object.entries(DISTINCT)) {
      if (value === null) {
        expect(parse({ ...BASE, [name]: "/anything" }), name).toEqual(base);
        continue;
      }
      expect(value, `${name}: the test's value must differ from the default`).not.toBe(
        defaultOf(VARIABLES.find((v) => v.name === name)!),
      );
      expect(parse({ ...BASE, [name]: value }), name).not.toEqual(base);
    }
  });

  it(".env.sample sets each defaulted variable to its default (empty ones included) and parses into a valid config", () => {
    const values = parseDotenv(readFileSync(path.join(root, ".env.sample"), "utf8"));
    for (const v of VARIABLES) {
      const d = defaultOf(v);
      if (d !== undefined) expect(values[v.name], v.name).toBe(d);
    }
    expect(() => parse(values)).not.toThrow();
  });
});
