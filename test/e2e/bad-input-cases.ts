// The bad-input cases of bad-input.test.ts: the command line, the environment and the state files of each, the exit
// code it must end with, and the stderr line that must name the culprit.
import type { AnswerRewriter } from "../support/emulator/answer-rewriter.js";
import type { Emulator } from "../support/emulator/index.js";
import type { S3ServerInfo } from "../support/s3/launcher.js";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { expect } from "vitest";
import { readStateRows, readStateText, s3Env, type Env } from "./harness.js";
import { randomApiKey } from "./rig.js";

export const apiKey = randomApiKey("bad-input");
export const wrongKey = randomApiKey("wrong");
export const wrongSecret = "not-the-s3-secret-0123456789";
export const password = "hunter2-password";

export interface Ctx {
  url: string;
  bucket: string;
  s3: S3ServerInfo;
  /** A loopback port nothing listens on. */
  port: number;
  /** The answer-rewriting proxy in front of the emulator (a Qdrant host whose answers `arrange` can mangle). */
  proxy: string;
  /** A snapshot of `docs` in the bucket (taken by the emulator, no backup metadata). */
  snapshot: string;
}

/** What `arrange` can set up; everything is undone before the next case. */
export interface Tools {
  emu: Emulator;
  answers: AnswerRewriter;
}

export interface Case {
  name: string;
  args: string[];
  env?: (c: Ctx) => Env;
  /** Files present in the state directory before the run (they must be untouched after it, unless `after` is set). */
  files?: (c: Ctx) => Record<string, string | Buffer>;
  code: 0 | 2 | 3 | 4;
  /**
   * Exactly one stderr line must match this (it names the variable, host, file and line, or flag). For exit 2 and 4
   * it is the only line; for exit 3 the only ERROR line. Required but for exit 0 (then stderr must be empty).
   */
  culprit?: (c: Ctx) => RegExp;
  /** Non-blank stderr lines expected for exit 2 and 4 (default 1): a value with two problems names both. */
  lines?: number;
  /** Usage shown instead of a one-line error (no task at all). */
  help?: boolean;
  /** Before the run (e.g. a fault); undone by beforeEach. */
  arrange?: (t: Tools) => void;
  /** stdout must match this (default: empty, as for every run that ends before a task's summary). */
  stdout?: RegExp;
  /** The run may write state (exit 0 or 3): this checks what it wrote instead of "nothing changed". */
  after?: (dir: string, c: Ctx, t: Tools) => Promise<void>;
  /** The emulator may have written to the bucket (the tool never does in these cases). */
  bucketMayChange?: boolean;
}

export const hosts = (c: Ctx): Env => ({
  QDRANT_API_KEY: apiKey,
  QDRANT_SOURCE_HOSTS: c.url,
  QDRANT_RESTORE_HOSTS: c.url,
});
export const full = (c: Ctx): Env => ({ ...hosts(c), ...s3Env(c.s3, c.bucket) });
export const snapshotsFile = (c: Ctx): string => `${c.url},docs,docs-1-2026-01-29-11-44-00.snapshot\n`;
export const re = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

export const CASES: Case[] = [
  { name: "no task", args: [], code: 2, help: true, culprit: () => /^Usage: qdrant-backup-restore .*<task>/ },
  { name: "unknown task", args: ["frobnicate"], code: 2, culprit: () => /unknown command 'frobnicate'/ },
  {
    name: "unknown second task",
    args: ["get_coll", "frobnicate"],
    env: hosts,
    code: 2,
    culprit: () => /unknown task "frobnicate"/,
  },
  { name: "unknown flag", args: ["get_coll", "--nope"], env: hosts, code: 2, culprit: () => /unknown option '--nope'/ },
  {
    name: "reset --bkp maybe",
    args: ["reset", "--bkp", "maybe"],
    code: 2,
    culprit: () => /--bkp.*'maybe'.*true or false/,
  },
  { name: "reset --bkp without a value", args: ["reset", "--bkp"], code: 2, culprit: () => /--bkp/ },
  {
    name: "create_snap without QDRANT_SOURCE_HOSTS",
    args: ["create_snap"],
    env: () => ({ QDRANT_API_KEY: apiKey }),
    code: 2,
    culprit: () => /create_snap: QDRANT_SOURCE_HOSTS is not set/,
  },
  {
    name: "a source host that is not a URL",
    args: ["get_coll"],
    env: () => ({ QDRANT_SOURCE_HOSTS: "qdrant host" }),
    code: 2,
    culprit: () => /QDRANT_SOURCE_HOSTS: "qdrant host" is not a URL/,
  },
  {
    name: "a trailing comma in the host list",
    args: ["get_coll"],
    env: (c) => ({ QDRANT_SOURCE_HOSTS: `${c.url},` }),
    code: 2,
    culprit: () => /QDRANT_SOURCE_HOSTS: entry 2 is empty/,
  },
  {
    name: "an ftp:// host",
    args: ["get_coll"],
    env: () => ({ QDRANT_SOURCE_HOSTS: "ftp://qdrant:6333" }),
    code: 2,
    culprit: () => /QDRANT_SOURCE_HOSTS: "ftp:" URLs are not supported/,
  },
  {
    name: "a host URL with credentials (the password is not echoed)",
    args: ["get_coll"],
    env: () => ({ QDRANT_SOURCE_HOSTS: `http://admin:${password}@qdrant:6333` }),
    code: 2,
    culprit: () => /QDRANT_SOURCE_HOSTS: .*qdrant:6333.* must not carry credentials/,
  },
  {
    name: "a restore host with a query",
    args: ["recover_colla"],
    env: (c) => ({ ...hosts(c), QDRANT_RESTORE_HOSTS: "http://qdrant:6333/?x=1" }),
    code: 2,
    culprit: () => /QDRANT_RESTORE_HOSTS: .*must not carry credentials, a query or a fragment/,
  },
  {
    name: "GET_PEERS_FROM_CLUSTER_INFO=yes",
    args: ["create_snap"],
    env: (c) => ({ ...hosts(c), GET_PEERS_FROM_CLUSTER_INFO: "yes" }),
    code: 2,
    culprit: () => /GET_PEERS_FROM_CLUSTER_INFO: expected true or false, got "yes"/,
  },
  {
    name: "QDRANT_WAIT_ON_TASK=1",
    args: ["create_snap"],
    env: (c) => ({ ...hosts(c), QDRANT_WAIT_ON_TASK: "1" }),
    code: 2,
    culprit: () => /QDRANT_WAIT_ON_TASK: expected true or false, got "1"/,
  },
  {
    name: "CURL_TIMEOUT=10x",
    args: ["get_coll"],
    env: (c) => ({ ...hosts(c), CURL_TIMEOUT: "10x" }),
    code: 2,
    culprit: () => /CURL_TIMEOUT: .*"10x"/,
  },
  {
    name: "CURL_TIMEOUT=-5",
    args: ["get_coll"],
    env: (c) => ({ ...hosts(c), CURL_TIMEOUT: "-5" }),
    code: 2,
    culprit: () => /CURL_TIMEOUT: .*"-5"/,
  },
  {
    name: "QDRANT_HTTP_PORT=70000",
    args: ["create_snap"],
    env: (c) => ({ ...hosts(c), QDRANT_HTTP_PORT: "70000" }),
    code: 2,
    culprit: () => /QDRANT_HTTP_PORT: expected a whole number from 1 to 65535, got "70000"/,
  },
  {
    name: "QDRANT_CONCURRENCY=0",
    args: ["create_snap"],
    env: (c) => ({ ...hosts(c), QDRANT_CONCURRENCY: "0" }),
    code: 2,
    culprit: () => /QDRANT_CONCURRENCY: expected a whole number from 1 to \d+, got "0"/,
  },
  {
    name: "QDRANT_RETRIES=NaN",
    args: ["get_coll"],
    env: (c) => ({ ...hosts(c), QDRANT_RETRIES: "NaN" }),
    code: 2,
    culprit: () => /QDRANT_RETRIES: expected a whole number from 0 to \d+, got "NaN"/,
  },
  {
    name: "QDRANT_S3_LINK_EXPIRY_DURATION=8d",
    args: ["recover_snap"],
    env: (c) => ({ ...full(c), QDRANT_S3_LINK_EXPIRY_DURATION: "8d" }),
    files: (c) => ({ snapshots: snapshotsFile(c) }),
    code: 2,
    culprit: () => /QDRANT_S3_LINK_EXPIRY_DURATION: at most 7 days/,
  },
  {
    name: "recover_snap without a bucket",
    args: ["recover_snap"],
    env: (c) => ({ ...full(c), QDRANT_S3_BUCKET_NAME: "" }),
    files: (c) => ({ snapshots: snapshotsFile(c) }),
    code: 2,
    culprit: () => /recover_snap: no backup destination: set QDRANT_S3_BUCKET_NAME \(S3\) or QDRANT_BACKUP_DIR/,
  },
  {
    name: "recover_snap with both destinations",
    args: ["recover_snap"],
    env: (c) => ({ ...full(c), QDRANT_BACKUP_DIR: "/tmp/never-used" }),
    files: (c) => ({ snapshots: snapshotsFile(c) }),
    code: 2,
    culprit: () =>
      /recover_snap: QDRANT_S3_BUCKET_NAME and QDRANT_BACKUP_DIR are both set; choose one backup destination/,
  },
  {
    name: "QDRANT_RECOVER_VIA not url or upload",
    args: ["recover_snap"],
    env: (c) => ({ ...full(c), QDRANT_RECOVER_VIA: "ftp" }),
    code: 2,
    culprit: () => /QDRANT_RECOVER_VIA: expected url or upload, got "ftp"/,
  },
  {
    name: "recover_snap without restore hosts",
    args: ["recover_snap"],
    env: (c) => ({ ...full(c), QDRANT_RESTORE_HOSTS: "" }),
    files: (c) => ({ snapshots: snapshotsFile(c) }),
    code: 2,
    culprit: () => /recover_snap: QDRANT_RESTORE_HOSTS is not set/,
  },
  {
    name: "an S3 access key without its secret",
    args: ["get_snap_s3"],
    env: (c) => ({ ...full(c), QDRANT_S3_SECRET_ACCESS_KEY: "" }),
    code: 2,
    culprit: () => /QDRANT_S3_ACCESS_KEY_ID and QDRANT_S3_SECRET_ACCESS_KEY: set both/,
  },
  {
    name: "an invalid bucket name",
    args: ["get_snap_s3"],
    env: (c) => ({ ...full(c), QDRANT_S3_BUCKET_NAME: "My_Bucket" }),
    code: 2,
    culprit: () => /QDRANT_S3_BUCKET_NAME: "My_Bucket" is not a valid bucket name/,
  },
  {
    name: "an S3 endpoint that is not a URL",
    args: ["get_snap_s3"],
    env: (c) => ({ ...full(c), QDRANT_S3_ENDPOINT_URL: "minio 9000" }),
    code: 2,
    culprit: () => /QDRANT_S3_ENDPOINT_URL: "minio 9000" is not a URL/,
  },
  {
    name: "an empty --state-dir",
    args: ["get_coll", "--state-dir", ""],
    env: hosts,
    code: 2,
    culprit: () => /--state-dir: must not be empty/,
  },
  {
    name: "a missing --env-file",
    args: ["get_coll", "--env-file", "missing.env"],
    env: hosts,
    code: 2,
    culprit: () => /--env-file.*missing\.env/,
  },
  {
    name: "a snapshots row with the wrong column count",
    args: ["recover_snap"],
    env: full,
    files: (c) => ({
      snapshots: `${snapshotsFile(c)}${snapshotsFile(c).replace(".snapshot", "-2.snapshot")}docs,only-two-fields\n`,
    }),
    code: 2,
    culprit: () => /state file .*\/snapshots line 3: expected 3 fields, got 2/,
  },
  {
    name: "an unterminated quote in collections",
    args: ["create_snap"],
    env: hosts,
    files: (c) => ({ collections: `${c.url},docs\n${c.url},"broken\n${c.url},other\n` }),
    code: 2,
    culprit: () => /state file .*\/collections line 2: unterminated quoted field/,
  },
  {
    name: "invalid UTF-8 in snapshot_recovery_history",
    args: ["recover_snap"],
    env: full,
    files: (c) => ({
      snapshots: snapshotsFile(c),
      snapshot_recovery_history: Buffer.concat([
        Buffer.from(`${c.url},a.snapshot,ok\n${c.url},`),
        Buffer.from([0xff, 0xfe]),
        Buffer.from(",ok\n"),
      ]),
    }),
    code: 2,
    culprit: () => /state file .*\/snapshot_recovery_history line 2: invalid UTF-8/,
  },
  {
    name: "an unreachable Qdrant (port closed)",
    args: ["get_coll"],
    env: (c) => ({ ...hosts(c), QDRANT_SOURCE_HOSTS: `http://127.0.0.1:${c.port}`, QDRANT_RETRIES: "0" }),
    code: 4,
    culprit: (c) => new RegExp(`127\\.0\\.0\\.1:${c.port}.*connection refused`),
  },
  {
    name: "a wrong API key (the key is not echoed)",
    args: ["get_coll"],
    env: (c) => ({ ...hosts(c), QDRANT_API_KEY: wrongKey }),
    code: 4,
    culprit: (c) => new RegExp(`GET ${re(c.url)}/collections: 401 Invalid API key`),
  },
  {
    name: "no API key for a Qdrant that needs one",
    args: ["get_colla"],
    env: (c) => ({ ...hosts(c), QDRANT_API_KEY: "" }),
    code: 4,
    culprit: (c) => new RegExp(`${re(c.url)}/aliases: 401 Must provide an API key`),
  },
  {
    name: "an ingress answering an HTML 502",
    args: ["get_coll"],
    env: (c) => ({ ...hosts(c), QDRANT_RETRIES: "0" }),
    code: 4,
    arrange: (t) => void t.emu.faults.add({ method: "GET", path: "/collections", html: true }),
    culprit: (c) => new RegExp(`${re(c.url)}/collections: 502 .*non-JSON body \\(text/html\\).*Bad Gateway`),
  },
  {
    name: "a bucket that does not exist",
    args: ["get_snap_s3"],
    env: (c) => ({ ...full(c), QDRANT_S3_BUCKET_NAME: "no-such-bucket-e2e" }),
    code: 4,
    culprit: () => /s3:\/\/no-such-bucket-e2e\/.*NoSuchBucket/,
  },
  {
    name: "a wrong S3 secret (the secret is not echoed)",
    args: ["get_snap_s3"],
    env: (c) => ({ ...full(c), QDRANT_S3_SECRET_ACCESS_KEY: wrongSecret }),
    code: 4,
    culprit: (c) => new RegExp(`S3 listing s3://${c.bucket}/.*SignatureDoesNotMatch`),
  },
  {
    name: "an unreachable S3 endpoint",
    args: ["get_snap_s3"],
    env: (c) => ({ ...full(c), QDRANT_S3_ENDPOINT_URL: `http://127.0.0.1:${c.port}`, QDRANT_RETRIES: "0" }),
    code: 4,
    culprit: (c) => new RegExp(`S3 listing s3://${c.bucket}/.*ECONNREFUSED`),
  },
  // Environment values: the variables of the snapshot policy, retention and state mirror.
  {
    name: "QDRANT_SOURCE_HOSTS=, (no host at all)",
    args: ["get_coll"],
    env: () => ({ QDRANT_SOURCE_HOSTS: "," }),
    code: 2,
    lines: 2,
    culprit: () => /QDRANT_SOURCE_HOSTS: entry 1 is empty \(stray comma\?\)/,
  },
  {
    name: "a host port out of range",
    args: ["get_coll"],
    env: () => ({ QDRANT_SOURCE_HOSTS: "http://qdrant:99999" }),
    code: 2,
    culprit: () => /QDRANT_SOURCE_HOSTS: "http:\/\/qdrant:99999" is not a URL/,
  },
  {
    name: "QDRANT_VERIFY_AFTER_RECOVER=yes",
    args: ["recover_snap"],
    env: (c) => ({ ...full(c), QDRANT_VERIFY_AFTER_RECOVER: "yes" }),
    code: 2,
    culprit: () => /QDRANT_VERIFY_AFTER_RECOVER: expected true or false, got "yes"/,
  },
  {
    name: "QDRANT_SNAPSHOT_TRANSFER=1",
    args: ["create_snap"],
    env: (c) => ({ ...full(c), QDRANT_SNAPSHOT_TRANSFER: "1" }),
    code: 2,
    culprit: () => /QDRANT_SNAPSHOT_TRANSFER: expected true or false, got "1"/,
  },
  {
    name: "QDRANT_VERIFY_TIMEOUT=10x",
    args: ["recover_snap"],
    env: (c) => ({ ...full(c), QDRANT_VERIFY_TIMEOUT: "10x" }),
    code: 2,
    culprit: () => /QDRANT_VERIFY_TIMEOUT: expected a positive whole number of seconds or a duration.*got "10x"/,
  },
  {
    name: "CURL_TIMEOUT=1.5",
    args: ["get_coll"],
    env: (c) => ({ ...hosts(c), CURL_TIMEOUT: "1.5" }),
    code: 2,
    culprit: () => /CURL_TIMEOUT: .*got "1\.5"/,
  },
  {
    name: "QDRANT_S3_LINK_EXPIRY_DURATION=0",
    args: ["recover_snap"],
    env: (c) => ({ ...full(c), QDRANT_S3_LINK_EXPIRY_DURATION: "0" }),
    code: 2,
    culprit: () => /QDRANT_S3_LINK_EXPIRY_DURATION: .*got "0"/,
  },
  {
    name: "QDRANT_KEEP_DAILY=-1",
    args: ["prune_snap"],
    env: (c) => ({ ...full(c), QDRANT_KEEP_DAILY: "-1" }),
    code: 2,
    culprit: () => /QDRANT_KEEP_DAILY: expected a whole number from 0 to 100000, got "-1"/,
  },
  {
    name: "QDRANT_KEEP_LAST=NaN",
    args: ["prune_snap"],
    env: (c) => ({ ...full(c), QDRANT_KEEP_LAST: "NaN" }),
    code: 2,
    culprit: () => /QDRANT_KEEP_LAST: expected a whole number from 0 to 100000, got "NaN"/,
  },
  {
    name: "QDRANT_PRUNE_MAX_DELETE_PCT=150",
    args: ["prune_snap", "--confirm"],
    env: (c) => ({ ...full(c), QDRANT_PRUNE_MAX_DELETE_PCT: "150" }),
    code: 2,
    culprit: () => /QDRANT_PRUNE_MAX_DELETE_PCT: expected a whole number from 0 to 100, got "150"/,
  },
  {
    name: "QDRANT_PER_HOST_CONCURRENCY=-1",
    args: ["create_snap"],
    env: (c) => ({ ...hosts(c), QDRANT_PER_HOST_CONCURRENCY: "-1" }),
    code: 2,
    culprit: () => /QDRANT_PER_HOST_CONCURRENCY: expected a whole number from 1 to 1024, got "-1"/,
  },
  {
    name: "QDRANT_RECOVER_VIA=url with QDRANT_BACKUP_DIR",
    args: ["recover_snap"],
    env: (c) => ({ ...hosts(c), QDRANT_BACKUP_DIR: "backups", QDRANT_RECOVER_VIA: "url" }),
    code: 2,
    culprit: () => /QDRANT_RECOVER_VIA: url needs the S3 destination/,
  },
  {
    name: "QDRANT_BACKUP_DIR pointing at a file",
    args: ["create_snap"],
    env: (c) => ({ ...hosts(c), QDRANT_BACKUP_DIR: "not-a-dir" }),
    files: () => ({ "not-a-dir": "a file\n" }),
    code: 2,
    culprit: () => /QDRANT_BACKUP_DIR: "not-a-dir" is not a directory/,
  },
  {
    name: "QDRANT_STATE_S3_PREFIX=../state",
    args: ["get_colla"],
    env: (c) => ({ ...full(c), QDRANT_STATE_S3_PREFIX: "../state" }),
    code: 2,
    culprit: () => /QDRANT_STATE_S3_PREFIX: "..\/state" must not have empty, . or .. path segments/,
  },
  {
    name: "QDRANT_STATE_S3_PREFIX inside snapshots/",
    args: ["get_colla"],
    env: (c) => ({ ...full(c), QDRANT_STATE_S3_PREFIX: "snapshots/state" }),
    code: 2,
    culprit: () => /QDRANT_STATE_S3_PREFIX: "snapshots\/state" must not be inside snapshots\//,
  },
  {
    name: "QDRANT_STATE_S3_PREFIX without a bucket",
    args: ["get_colla"],
    env: (c) => ({ ...hosts(c), QDRANT_STATE_S3_PREFIX: "state/prod" }),
    code: 2,
    culprit: () => /QDRANT_STATE_S3_PREFIX: the state is mirrored to QDRANT_S3_BUCKET_NAME, which is not set/,
  },

  // State files: what is read fine, and what stops the run naming the file and line.
  {
    name: "collections with a UTF-8 BOM and CRLF line ends (read fine)",
    args: ["create_snap"],
    env: full,
    files: (c) => ({ collections: `\uFEFF${c.url},docs\r\n` }),
    code: 0,
    bucketMayChange: true,
    stdout: /^\[create_snap\] Snapshots created: 1, accepted: 0, failed: 0\n$/,
    culprit: () => /Created snapshot docs-\d+-[\d-]+\.snapshot of docs on /,
    after: async (dir, c) => {
      // The host has no BOM and the collection no \r: the snapshot was taken, and recorded as such.
      const rows = await readStateRows(dir, "snapshots", 3);
      expect(rows).toHaveLength(1);
      expect(rows[0]?.slice(0, 2)).toEqual([c.url, "docs"]);
      expect(rows[0]?.[2]).toMatch(/^docs-\d+-[\d-]+\.snapshot$/);
      expect(await readStateText(dir, "collections")).toBe(`\uFEFF${c.url},docs\r\n`);
    },
  },
  {
    name: "a recovery history with a BOM and CRLF (read fine: nothing to redo)",
    args: ["recover_snap"],
    env: full,
    code: 0,
    files: (c) => ({
      snapshots: `\uFEFF${c.url},docs,${c.snapshot}\r\n`,
      snapshot_recovery_history: `\uFEFF${c.url},${c.snapshot},ok\r\n`,
    }),
    // Nothing recovered again; the recovery, recorded ok but never checked (as the bash tool records it), is checked once.
    stdout:
      /^\[recover_snap\] Snapshots recovered: 0, accepted: 0, already recovered: 0, failed: 0 \(1 verified again\)\n$/,
    culprit: (c) =>
      new RegExp(`Verified docs on ${re(c.url)} \\(recovered by an earlier run that stopped before its check\\)`),
    after: async (dir, c) =>
      expect(await readStateText(dir, "snapshot_recovery_history")).toBe(
        `\uFEFF${c.url},${c.snapshot},ok\r\n${c.url},${c.snapshot},verified\n`,
      ),
  },
  {
    // A torn last row (a crash of an older version, a full disk) is set aside, never read as data; the rest is used.
    name: "a truncated last line in collections",
    args: ["create_snap"],
    env: hosts,
    files: (c) => ({ collections: `${c.url},docs\n${c.url}` }),
    code: 0,
    bucketMayChange: true,
    stdout: /^\[create_snap\] Snapshots created: 1, accepted: 0, failed: 0\n$/,
    after: async (dir, c) => {
      expect(await readStateText(dir, "collections")).toBe(`${c.url},docs\n`);
      const torn = (await readdir(dir)).filter((n) => /^collections\.torn-[\d_-]+$/.test(n));
      expect(torn).toHaveLength(1);
      expect(await readFile(path.join(dir, torn[0]!), "utf8")).toBe(`${c.url},docs\n${c.url}`);
    },
    culprit: () =>
      /WARNING: state file .*\/collections: its last line "[^"]+" is not a whole row \(it is not a row of 2 fields\); set aside in .*\/collections\.torn-[\d_-]+ and not used/,
  },
  {
    // Set aside as torn, not read as data; the whole rows before it are used (nothing left to do).
    name: "a last line cut inside a quoted field",
    args: ["recover_snap"],
    env: full,
    files: (c) => ({
      snapshots: `${c.url},docs,a.snapshot\n`,
      snapshot_recovery_history: `${c.url},a.snapshot,ok\n${c.url},a.snapshot,verified\n${c.url},"docs-1-2026`,
    }),
    stdout: /^\[recover_snap\] Snapshots recovered: 0, accepted: 0, already recovered: 1, failed: 0\n$/,
    after: async (dir, c) =>
      expect(await readStateText(dir, "snapshot_recovery_history")).toBe(
        `${c.url},a.snapshot,ok\n${c.url},a.snapshot,verified\n`,
      ),
    code: 0,
    culprit: () =>
      /WARNING: state file .*\/snapshot_recovery_history: its last line .* is not a whole row .*; set aside in .*\/snapshot_recovery_history\.torn-[\d_-]+ and not used/,
  },
  {
    name: "a collections row with too many columns",
    args: ["create_snap"],
    env: hosts,
    files: (c) => ({ collections: `${c.url},docs\n${c.url},docs,extra\n` }),
    code: 2,
    culprit: () => /state file .*\/collections line 2: expected 2 fields, got 3/,
  },
  {
    name: "a NUL byte in snapshots",
    args: ["recover_snap"],
    env: full,
    files: (c) => ({ snapshots: `${snapshotsFile(c)}${c.url},do\0cs,x.snapshot\n` }),
    code: 2,
    culprit: () => /state file .*\/snapshots line 2: NUL byte/,
  },
  {
    name: "a 10 MB single line without commas",
    args: ["create_snap"],
    env: hosts,
    files: (c) => ({ collections: `${c.url},docs\n${"x".repeat(10 * 1024 * 1024)}\n` }),
    code: 2,
    culprit: () => /state file .*\/collections line 2: record longer than 65536 characters/,
  },
  {
    name: "a 10 MB single line with the right columns",
    args: ["create_snap"],
    env: hosts,
    files: (c) => ({ collections: `${c.url},docs\n${c.url},${"x".repeat(10 * 1024 * 1024)}\n` }),
    code: 2,
    culprit: () => /state file .*\/collections line 2: record longer than 65536 characters/,
  },
];
