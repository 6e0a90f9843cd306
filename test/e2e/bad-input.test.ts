// Bad input through the built CLI, table-driven: each case ends with the documented exit code (2 usage or
// configuration, 4 upstream), a one-line message on stderr naming the culprit, no stack trace, no secret, and the
// state directory exactly as it was.
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from "vitest";
import { runCli } from "../support/cli.js";
import { startEmulator, type Emulator } from "../support/emulator/index.js";
import { seedCollection } from "../support/emulator/seed.js";
import { createTestBucket } from "../support/s3/client.js";
import { makeTempDir } from "../support/tmp.js";
import { apiKey, CASES, password, wrongKey, wrongSecret, type Ctx } from "./bad-input-cases.js";
import { closedPort, expectExit, expectNoStack, LOG_LINE, s3Storage, snapshotDir } from "./harness.js";
import { assertNoSecrets } from "./secret-scan.js";

const s3 = inject("s3");
let emu: Emulator;
let ctx: Ctx;
const temps: (() => Promise<void>)[] = [];

beforeAll(async () => {
  const bucket = await createTestBucket(s3, "bad-input");
  emu = await startEmulator({ nodes: 1, apiKey, storage: s3Storage(s3, bucket) });
  await seedCollection(emu.urls[0] ?? "", "docs", { points: 3, dim: 2, apiKey });
  ctx = { url: emu.urls[0] ?? "", bucket, s3, port: await closedPort() };
});

afterAll(async () => {
  await emu?.stop();
  for (const cleanup of temps) await cleanup();
});

beforeEach(() => {
  emu.faults.clear();
  emu.resetRequests();
});

describe("bad input", () => {
  it("covers enough cases", () => {
    expect(CASES.length).toBeGreaterThanOrEqual(25);
    expect(new Set(CASES.map((c) => c.name)).size).toBe(CASES.length);
  });

  it.each(CASES)("$name → exit $code", async (c) => {
    const t = await makeTempDir("bad-input");
    temps.push(t.cleanup);
    for (const [name, content] of Object.entries(c.files?.(ctx) ?? {})) await writeFile(path.join(t.dir, name), content);
    const before = await snapshotDir(t.dir);
    c.arrange?.(emu);

    const r = await runCli(c.args, { env: c.env?.(ctx) ?? {}, cwd: t.dir });

    expectExit(r, c.code);
    expect(r.stdout).toBe("");
    expectNoStack(r.stderr);
    const lines = r.stderr.split("\n").filter((l) => l.trim() !== "");
    const culprit = c.culprit(ctx);
    const named = lines.filter((l) => culprit.test(l));
    expect(named, `a stderr line matching ${culprit} in:\n${r.stderr}`).toHaveLength(1);
    if (!c.help) {
      // The message, plus at most commander's "(run with --help for usage)" hint.
      expect(lines.filter((l) => !/^\(run with --help for usage\)$/.test(l)), r.stderr).toHaveLength(1);
      expect(named[0]).toMatch(new RegExp(`^(${LOG_LINE.source.slice(1)}ERROR: |error: )`));
    }
    await assertNoSecrets({ stdout: r.stdout, stderr: r.stderr, stateDir: t.dir, secrets: { apiKey, wrongKey, wrongSecret, password, s3secret: s3.secretKey } });
    expect(await snapshotDir(t.dir)).toEqual(before);
    // Configuration errors are found before the first request.
    if (c.code === 2) expect(emu.requests()).toEqual([]);
  });

  it("reports every configuration problem at once, one line each", async () => {
    const t = await makeTempDir("bad-input-all");
    temps.push(t.cleanup);
    const env = { QDRANT_SOURCE_HOSTS: "ftp://a,", CURL_TIMEOUT: "soon", QDRANT_RETRIES: "-1", QDRANT_S3_BUCKET_NAME: "UPPER" };
    const r = await runCli(["get_coll"], { env, cwd: t.dir });
    expectExit(r, 2);
    const lines = r.stderr.trim().split("\n");
    for (const name of ["QDRANT_SOURCE_HOSTS: \"ftp:\"", "QDRANT_SOURCE_HOSTS: entry 2", "CURL_TIMEOUT", "QDRANT_RETRIES", "QDRANT_S3_BUCKET_NAME"]) {
      expect(lines.filter((l) => l.includes(name)), `${name} in:\n${r.stderr}`).toHaveLength(1);
    }
    expect(lines).toHaveLength(5);
    expect(await snapshotDir(t.dir)).toEqual({});
  });
});
