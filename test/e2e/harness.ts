/**
 * Helpers shared by the end-to-end tests: the CLI's environment, the state files as a user sees them on disk,
 * the shape of its output, and polling. The CLI itself is spawned through test/support/cli.ts.
 */
import { readdir, readFile, stat } from "node:fs/promises";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { parse } from "csv-parse/sync";
import { expect } from "vitest";
import type { CliResult } from "../support/cli.js";
import type { S3ServerInfo } from "../support/s3/launcher.js";
import { assertValidSummary } from "../support/summary-schema.js";

/** The environment handed to the CLI (runCli adds PATH and nothing else). */
export type Env = Record<string, string>;

import { STATE_FILE_NAMES, type StateFileName } from "../support/state-names.js";
import { s3Env } from "../support/s3/client.js";
export { STATE_FILE_NAMES as STATE_FILES, type StateFileName };

/** `[YYYY-MM-DD HH:MM:SS] ` at the start of every log line, like the bash tool's. */
export const LOG_LINE = /^\[\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\] /;

/** The S3 variables for the local S3 server and `bucket`. */
export { s3Env };

/** The emulator's S3 snapshot storage option for `bucket` on the local S3 server. */
export function s3Storage(info: S3ServerInfo, bucket: string) {
  return {
    kind: "s3" as const,
    endpoint: info.endpoint,
    bucket,
    accessKey: info.accessKey,
    secretKey: info.secretKey,
    region: info.region,
  };
}

/** The text of a state file, or undefined when it does not exist. */
export async function readStateText(dir: string, name: string): Promise<string | undefined> {
  try {
    return await readFile(path.join(dir, name), "utf8");
  } catch (err) {
    if (err instanceof Error && "code" in err && err.code === "ENOENT") return undefined;
    throw err;
  }
}

/** The lines of a file written as `a,b,c\n` rows (no quoting expected): each row without its `\n`. */
export function plainLines(text: string | undefined): string[] {
  if (text === undefined || text === "") return [];
  expect(text.endsWith("\n"), "a state file ends with a newline").toBe(true);
  return text.slice(0, -1).split("\n");
}

/** Parses a state file strictly as RFC 4180 CSV (an independent reader, not the CLI's), each row `columns` wide. */
export async function readStateRows(dir: string, name: StateFileName, columns: number): Promise<string[][]> {
  const text = await readStateText(dir, name);
  if (text === undefined) return [];
  const rows: unknown = parse(text, { relax_column_count: false, skip_empty_lines: false });
  if (!Array.isArray(rows)) throw new Error(`${name}: csv-parse returned no rows`);
  return rows.map((row, i) => {
    if (!Array.isArray(row) || row.length !== columns || !row.every((f): f is string => typeof f === "string")) {
      throw new Error(`${name} row ${i + 1}: expected ${columns} string fields, got ${JSON.stringify(row)}`);
    }
    return row;
  });
}

/** Contents and modification times of every entry in `dir`, to prove a failed run changed nothing. */
export async function snapshotDir(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of (await readdir(dir)).sort()) {
    const file = path.join(dir, name);
    const info = await stat(file);
    out[name] = info.isFile() ? `${info.mtimeMs}:${(await readFile(file)).toString("base64")}` : "dir";
  }
  return out;
}

/** Every non-empty stderr line is a timestamped log line, and none is a stack frame. */
export function expectLogLines(stderr: string): void {
  const lines = stderr.split("\n").filter((l) => l !== "");
  for (const line of lines) expect(line, "stderr line is timestamped").toMatch(LOG_LINE);
  expectNoStack(stderr);
}

/** No `    at …` stack frames. */
export function expectNoStack(text: string): void {
  expect(text).not.toMatch(/^\s+at\s/m);
}

/**
 * Exit code with the output attached, so a failing assertion shows what the CLI said.
 * `soft`: record a mismatch and go on, so the rest of the test still reports what it checks.
 */
export function expectExit(result: CliResult, code: number, opts: { soft?: boolean } = {}): void {
  const output = `signal ${String(result.signal)}\n--- stdout ---\n${result.stdout}--- stderr ---\n${result.stderr}`;
  (opts.soft ? expect.soft : expect)(result.code, `exit code; the CLI said:\n${output}`).toBe(code);
}

/** Polls `probe` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function waitFor<T>(
  probe: () => Promise<T | undefined> | T | undefined,
  what: string,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

export { closedPort } from "../support/net.js";

/**
 * Parses the single JSON document `--json` prints; fails unless stdout is exactly one JSON value and a newline that
 * follows schemas/summary.schema.json.
 */
export function parseJsonSummary(stdout: string): JsonSummary {
  expect(stdout.endsWith("\n")).toBe(true);
  expect(stdout.trimEnd().split("\n")).toHaveLength(1);
  const value: unknown = JSON.parse(stdout);
  assertValidSummary(value);
  if (
    !isRecord(value) ||
    typeof value["ok"] !== "boolean" ||
    typeof value["exitCode"] !== "number" ||
    !Array.isArray(value["tasks"])
  ) {
    throw new Error(`not a --json summary: ${stdout}`);
  }
  const tasks = value["tasks"].map((t): JsonTask => {
    if (!isRecord(t) || typeof t["task"] !== "string" || !(t["items"] === undefined || Array.isArray(t["items"])))
      throw new Error(`bad task entry: ${JSON.stringify(t)}`);
    const num = (k: string): number => {
      const v = t[k];
      if (typeof v !== "number") throw new Error(`task ${String(t["task"])}: ${k} is not a number`);
      return v;
    };
    return {
      task: t["task"],
      done: num("done"),
      skipped: num("skipped"),
      failed: num("failed"),
      accepted: num("accepted"),
      exitCode: num("exitCode"),
      message: typeof t["message"] === "string" ? t["message"] : "",
      items: Array.isArray(t["items"]) ? t["items"].filter(isRecord) : [],
    };
  });
  return { ok: value["ok"], exitCode: value["exitCode"], tasks };
}

export interface JsonTask {
  task: string;
  done: number;
  skipped: number;
  failed: number;
  accepted: number;
  exitCode: number;
  message: string;
  /** The task's items; empty unless the run had --items. */
  items: Record<string, unknown>[];
}

export interface JsonSummary {
  ok: boolean;
  exitCode: number;
  tasks: JsonTask[];
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
