// Nothing hangs: an S3 endpoint or a Qdrant host that accepts connections and never answers, or answers the headers
// and part of the body and then stalls, ends the built CLI's run within CURL_TIMEOUT × (QDRANT_RETRIES + 1) plus a
// margin, with exit 4, one log line naming the endpoint, and no lock file left behind.
import { existsSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { LOCK_FILE_NAME } from "../../src/state/lock.js";
import { startBlackHole, type BlackHole } from "../support/black-hole.js";
import { runCli } from "../support/cli.js";
import { makeTempDir } from "../support/tmp.js";
import { expectExit, expectLogLines } from "./harness.js";

const TIMEOUT_S = 2;
const RETRIES = 1;
/** Process start, backoff between attempts (the SDK's and ours stay under a second or two here) and a loaded machine. */
const MARGIN_MS = 8_000;
const BOUND_MS = TIMEOUT_S * 1000 * (RETRIES + 1) + MARGIN_MS;
const holes: BlackHole[] = [];
const temps: (() => Promise<void>)[] = [];

afterAll(async () => {
  for (const hole of holes) await hole.close();
  for (const cleanup of temps) await cleanup();
});

async function hole(mode: "silent" | "stall", contentType?: string): Promise<BlackHole> {
  const h = await startBlackHole(mode, contentType);
  holes.push(h);
  return h;
}

/** Runs the CLI in a fresh state directory; returns the result, the elapsed time and whether the lock file is left. */
async function timed(
  args: string[],
  env: Record<string, string>,
): Promise<{
  code: number | null;
  stderr: string;
  stdout: string;
  signal: NodeJS.Signals | null;
  ms: number;
  lockLeft: boolean;
}> {
  const t = await makeTempDir("black-hole");
  temps.push(t.cleanup);
  const started = Date.now();
  const result = await runCli(args, {
    env: { CURL_TIMEOUT: String(TIMEOUT_S), QDRANT_RETRIES: String(RETRIES), ...env },
    cwd: t.dir,
  });
  return { ...result, ms: Date.now() - started, lockLeft: existsSync(path.join(t.dir, LOCK_FILE_NAME)) };
}

const s3Env = (url: string): Record<string, string> => ({
  QDRANT_S3_ENDPOINT_URL: url,
  QDRANT_S3_BUCKET_NAME: "black-hole",
  QDRANT_S3_ACCESS_KEY_ID: "AKIDBLACKHOLE",
  QDRANT_S3_SECRET_ACCESS_KEY: "black-hole-secret",
});

describe("a black-hole endpoint ends the run in bounded time with exit 4, naming it, the lock released", () => {
  it.each([
    ["accepts and never answers", "silent"],
    ["sends the headers and part of the body, then stalls", "stall"],
  ] as const)("S3 endpoint that %s: get_snap_s3 with CURL_TIMEOUT=2", async (_label, mode) => {
    const h = await hole(mode, "application/xml");
    const r = await timed(["get_snap_s3"], s3Env(h.url));
    expectExit(r, 4);
    expect(r.ms, "elapsed ms").toBeLessThan(BOUND_MS);
    expectLogLines(r.stderr);
    const errors = r.stderr.split("\n").filter((l) => l.includes("ERROR"));
    expect(errors, "one error line").toHaveLength(1);
    expect(errors[0]).toContain(`127.0.0.1:${h.port}`);
    expect(errors[0]).toMatch(/CURL_TIMEOUT/);
    expect(r.stderr).not.toContain("black-hole-secret");
    expect(r.lockLeft, "lock file left behind").toBe(false);
    expect(h.connections()).toBeGreaterThanOrEqual(RETRIES + 1);
  });

  it.each([
    ["accepts and never answers", "silent"],
    ["sends the headers and part of the body, then stalls", "stall"],
  ] as const)("Qdrant host that %s: get_coll with CURL_TIMEOUT=2", async (_label, mode) => {
    const h = await hole(mode);
    const r = await timed(["get_coll"], { QDRANT_SOURCE_HOSTS: h.url });
    expectExit(r, 4);
    expect(r.ms, "elapsed ms").toBeLessThan(BOUND_MS);
    expectLogLines(r.stderr);
    const errors = r.stderr.split("\n").filter((l) => l.includes("ERROR"));
    expect(errors, "one error line").toHaveLength(1);
    expect(errors[0]).toContain(`127.0.0.1:${h.port}`);
    expect(errors[0]).toMatch(/CURL_TIMEOUT/);
    expect(r.lockLeft, "lock file left behind").toBe(false);
    expect(h.connections()).toBeGreaterThanOrEqual(RETRIES + 1);
  });
});
