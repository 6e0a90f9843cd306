// Bad input through the built CLI, table-driven (bad-input-cases.ts: flags, environment values, state files;
// bad-input-upstream-cases.ts: malformed Qdrant answers, S3 errors, unaddressable names): each case ends with its
// documented exit code and a one-line message on stderr naming the culprit, no stack trace, no secret, the state
// directory exactly as it was (or, for a run that may record something, exactly what it must record) and the bucket
// untouched.
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from "vitest";
import { runCli } from "../support/cli.js";
import { startAnswerRewriter, type AnswerRewriter } from "../support/emulator/answer-rewriter.js";
import { startEmulator, type Emulator } from "../support/emulator/index.js";
import { qdrantCall, seedCollection } from "../support/emulator/seed.js";
import { createTestBucket, createTestS3Client } from "../support/s3/client.js";
import { makeTempDir } from "../support/tmp.js";
import {
  apiKey,
  CASES as LOCAL_CASES,
  password,
  wrongKey,
  wrongSecret,
  type Case,
  type Ctx,
} from "./bad-input-cases.js";
import { UPSTREAM_CASES } from "./bad-input-upstream-cases.js";
import { closedPort, expectExit, expectLogLines, expectNoStack, LOG_LINE, s3Storage, snapshotDir } from "./harness.js";
import { assertNoSecrets } from "./secret-scan.js";

const CASES: Case[] = [...LOCAL_CASES, ...UPSTREAM_CASES];
const s3 = inject("s3");
const s3client = createTestS3Client(s3);
let emu: Emulator;
let answers: AnswerRewriter;
let ctx: Ctx;
const temps: (() => Promise<void>)[] = [];

async function bucketKeys(bucket: string): Promise<string[]> {
  const out = await s3client.send(new ListObjectsV2Command({ Bucket: bucket }));
  return (out.Contents ?? []).map((o) => o.Key ?? "").sort();
}

beforeAll(async () => {
  const bucket = await createTestBucket(s3, "bad-input");
  emu = await startEmulator({ nodes: 1, apiKey, storage: s3Storage(s3, bucket) });
  const url = emu.urls[0] ?? "";
  await seedCollection(url, "docs", { points: 3, dim: 2, apiKey });
  const taken: unknown = await qdrantCall(url, "POST", "/collections/docs/snapshots?wait=true", apiKey);
  const snapshot = JSON.stringify(taken).match(/"name":"([^"]+\.snapshot)"/)?.[1];
  if (snapshot === undefined) throw new Error(`no snapshot name in ${JSON.stringify(taken)}`);
  answers = await startAnswerRewriter(url);
  ctx = { url, bucket, s3, port: await closedPort(), proxy: answers.url, snapshot };
});

afterAll(async () => {
  await answers?.stop();
  await emu?.stop();
  s3client.destroy();
  for (const cleanup of temps) await cleanup();
});

beforeEach(() => {
  emu.faults.clear();
  emu.resetRequests();
  answers.set(undefined);
});

describe("bad input", () => {
  it("covers enough cases, each category", () => {
    expect(CASES.length).toBeGreaterThanOrEqual(40);
    expect(new Set(CASES.map((c) => c.name)).size).toBe(CASES.length);
  });

  it.each(CASES)("$name → exit $code", async (c) => {
    const t = await makeTempDir("bad-input");
    temps.push(t.cleanup);
    for (const [name, content] of Object.entries(c.files?.(ctx) ?? {}))
      await writeFile(path.join(t.dir, name), content);
    const before = await snapshotDir(t.dir);
    const keysBefore = await bucketKeys(ctx.bucket);
    c.arrange?.({ emu, answers });

    const r = await runCli(c.args, { env: c.env?.(ctx) ?? {}, cwd: t.dir });

    expectExit(r, c.code);
    if (c.stdout) expect(r.stdout).toMatch(c.stdout);
    else expect(r.stdout).toBe("");
    expectNoStack(r.stderr);
    const lines = r.stderr.split("\n").filter((l) => l.trim() !== "");
    if (!c.culprit) {
      expect(c.code, "only a successful case may name no culprit").toBe(0);
      expect(r.stderr).toBe("");
    }
    const culprit = c.culprit?.(ctx) ?? /^$/;
    const named = lines.filter((l) => culprit.test(l));
    if (c.culprit) expect(named, `a stderr line matching ${culprit} in:\n${r.stderr}`).toHaveLength(1);
    if (c.code === 0 || c.code === 3) {
      // A run that did work: log lines only, and exactly one ERROR (the culprit) when it failed an item.
      expectLogLines(r.stderr);
      const errors = lines.filter((l) => / ERROR: /.test(l));
      expect(errors, r.stderr).toEqual(c.code === 3 ? named : []);
    } else if (!c.help) {
      // The message(s), plus at most commander's "(run with --help for usage)" hint.
      expect(
        lines.filter((l) => !/^\(run with --help for usage\)$/.test(l)),
        r.stderr,
      ).toHaveLength(c.lines ?? 1);
      expect(named[0]).toMatch(new RegExp(`^(${LOG_LINE.source.slice(1)}ERROR: |error: )`));
    }
    await assertNoSecrets({
      stdout: r.stdout,
      stderr: r.stderr,
      stateDir: t.dir,
      secrets: { apiKey, wrongKey, wrongSecret, password, s3secret: s3.secretKey },
    });
    if (c.after) await c.after(t.dir, ctx, { emu, answers });
    else expect(await snapshotDir(t.dir)).toEqual(before);
    if (!c.bucketMayChange) expect(await bucketKeys(ctx.bucket)).toEqual(keysBefore);
    // Configuration errors are found before the first request.
    if (c.code === 2) expect(emu.requests()).toEqual([]);
  });

  it("reports every configuration problem at once, one line each", async () => {
    const t = await makeTempDir("bad-input-all");
    temps.push(t.cleanup);
    const env = {
      QDRANT_SOURCE_HOSTS: "ftp://a,",
      CURL_TIMEOUT: "soon",
      QDRANT_RETRIES: "-1",
      QDRANT_S3_BUCKET_NAME: "UPPER",
    };
    const r = await runCli(["get_coll"], { env, cwd: t.dir });
    expectExit(r, 2);
    const lines = r.stderr.trim().split("\n");
    for (const name of [
      'QDRANT_SOURCE_HOSTS: "ftp:"',
      "QDRANT_SOURCE_HOSTS: entry 2",
      "CURL_TIMEOUT",
      "QDRANT_RETRIES",
      "QDRANT_S3_BUCKET_NAME",
    ]) {
      expect(
        lines.filter((l) => l.includes(name)),
        `${name} in:\n${r.stderr}`,
      ).toHaveLength(1);
    }
    expect(lines).toHaveLength(5);
    expect(await snapshotDir(t.dir)).toEqual({});
  });
});
