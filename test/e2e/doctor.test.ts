// doctor through the built CLI: one line per check on stdout, exit 0 on a sound setup (--probe-write included) and 4
// when a check fails; --json keeps stdout one JSON document; no lock is taken; no secret is printed.
import { readdir } from "node:fs/promises";
import { describe, expect, inject, it, onTestFinished } from "vitest";
import { runCli } from "../support/cli.js";
import { startEmulator } from "../support/emulator/index.js";
import { createTestBucket } from "../support/s3/client.js";
import { makeTempDir } from "../support/tmp.js";
import { expectExit, expectLogLines, parseJsonSummary, s3Env, s3Storage } from "./harness.js";
import { randomApiKey } from "./rig.js";
import { assertNoSecrets } from "./secret-scan.js";

const s3 = inject("s3");

async function setup(label: string) {
  const apiKey = randomApiKey(label);
  const bucket = await createTestBucket(s3, label);
  const emu = await startEmulator({ nodes: 1, apiKey, storage: s3Storage(s3, bucket) });
  const cwd = await makeTempDir(label);
  onTestFinished(async () => {
    await emu.stop();
    await cwd.cleanup();
  });
  const env = { ...s3Env(s3, bucket), QDRANT_SOURCE_HOSTS: emu.urls[0]!, QDRANT_API_KEY: apiKey };
  return { apiKey, env, cwd: cwd.dir };
}

describe("doctor (built CLI)", () => {
  it("prints one line per check and exits 0 when all pass, --probe-write included, without a lock or state file", async () => {
    const { apiKey, env, cwd } = await setup("e2e-doctor-ok");

    const result = await runCli(["doctor", "--probe-write"], { env, cwd });

    expectExit(result, 0);
    const lines = result.stdout.trimEnd().split("\n");
    expect(lines.at(-1)).toBe("[doctor] 13 checks: 13 ok, 0 warn, 0 FAIL");
    for (const line of lines.slice(0, -1)) expect(line).toMatch(/^ok {4}\S.*: /);
    expect(lines.some((l) => l.startsWith("ok    probe write: "))).toBe(true);
    expectLogLines(result.stderr);
    expect(await readdir(cwd)).toEqual([]);
    await assertNoSecrets({ ...result, stateDir: cwd, secrets: { apiKey, s3: s3.secretKey } });
  });

  it("exits 4 with the failing check's line and cure, and --json keeps stdout one document", async () => {
    const { env, cwd } = await setup("e2e-doctor-fail");
    const bad = { ...env, QDRANT_API_KEY: "wrong-key-e2e-doctor" };

    const text = await runCli(["doctor"], { env: bad, cwd });
    expectExit(text, 4);
    expect(text.stdout).toMatch(
      /^FAIL {2}qdrant http:\/\/\S+ API key: QDRANT_API_KEY refused \(HTTP 401\) → set QDRANT_API_KEY/m,
    );

    const json = await runCli(["--json", "--items", "doctor"], { env: bad, cwd });
    expectExit(json, 4);
    const summary = parseJsonSummary(json.stdout);
    expect(summary.exitCode).toBe(4);
    expect(summary.tasks[0]?.items).toContainEqual(expect.objectContaining({ verdict: "FAIL" }));
    await assertNoSecrets({ ...json, secrets: ["wrong-key-e2e-doctor", s3.secretKey] });
  });
});
