// The built CLI against Qdrant and S3 over https with a private CA made at test time: trusted through
// NODE_EXTRA_CA_CERTS, a full backup and restore works; without it, or with a certificate for another name, the run
// stops at the first call with exit 4 and one line that says what is wrong, and nothing is retried.
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { CliResult } from "../support/cli.js";
import { runCli } from "../support/cli.js";
import { startEmulator, type Emulator } from "../support/emulator/index.js";
import { createAlias, listAliases, readAllPoints, seedCollection } from "../support/emulator/seed.js";
import { createTestBucket } from "../support/s3/client.js";
import { startTlsProxy, type TlsProxy } from "../support/s3/tls-proxy.js";
import { makeTempDir } from "../support/tmp.js";
import { createTestPki, withTrustedCa, type TestPki } from "../support/tls.js";
import { expectExit, expectNoStack, parseJsonSummary, s3Env, s3Storage, type Env } from "./harness.js";
import { randomApiKey } from "./rig.js";
import { assertNoSecrets } from "./secret-scan.js";

const s3 = inject("s3");
const apiKey = randomApiKey("tls");
const COLLECTIONS = ["articles", "users"] as const;
let pki: TestPki;
let proxy: TlsProxy;
let bucket = "";
let source: Emulator;
let target: Emulator;
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  pki = await createTestPki("e2e");
  cleanups.push(() => pki.cleanup());
  bucket = await createTestBucket(s3, "tls");
  proxy = await startTlsProxy(s3.endpoint, pki.server);
  cleanups.push(() => proxy.stop());
  // The emulator runs in this process: it is given the CA for its own S3 client and recover-by-URL downloads.
  const storage = s3Storage({ ...s3, endpoint: proxy.endpoint }, bucket);
  source = await startEmulator({ apiKey, storage, tls: pki.server, ca: pki.ca });
  cleanups.push(() => source.stop());
  target = await startEmulator({ apiKey, storage, tls: pki.server, ca: pki.ca });
  cleanups.push(() => target.stop());
  await withTrustedCa(pki.ca, async () => {
    await seedCollection(sourceUrl(), "articles", { points: 40, dim: 4, apiKey });
    await seedCollection(sourceUrl(), "users", { points: 25, dim: 3, distance: "Dot", apiKey });
    await createAlias(sourceUrl(), "articles", "articles-live", apiKey);
  });
});

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

function sourceUrl(): string {
  return source.urls[0] ?? "";
}

/** The CLI's environment: https hosts and endpoint; NODE_EXTRA_CA_CERTS only when `caFile` is given. */
function env(caFile: string | undefined, extra: Env = {}): Env {
  return {
    QDRANT_API_KEY: apiKey,
    QDRANT_SOURCE_HOSTS: sourceUrl(),
    QDRANT_RESTORE_HOSTS: target.urls.join(","),
    ...s3Env({ ...s3, endpoint: proxy.endpoint }, bucket),
    QDRANT_RETRIES: "3",
    ...(caFile === undefined ? {} : { NODE_EXTRA_CA_CERTS: caFile }),
    ...extra,
  };
}

async function tempDir(label: string): Promise<string> {
  const tmp = await makeTempDir(`tls-${label}`);
  cleanups.push(tmp.cleanup);
  return tmp.dir;
}

/** Runs the CLI in `dir` with exactly `e` (plus PATH) and checks its output and state files for secrets. */
async function run(args: readonly string[], e: Env, dir: string): Promise<CliResult> {
  const r = await runCli(args, { env: e, cwd: dir });
  await assertNoSecrets({
    stdout: r.stdout,
    stderr: r.stderr,
    stateDir: dir,
    secrets: { QDRANT_API_KEY: apiKey, S3_SECRET: s3.secretKey },
  });
  return r;
}

/** The line of `stderr` that mentions `needle`; there must be exactly one. */
function lineWith(stderr: string, needle: string): string {
  const lines = stderr.split("\n").filter((l) => l.includes(needle));
  expect(lines, `stderr lines naming ${needle}:\n${stderr}`).toHaveLength(1);
  return lines[0] ?? "";
}

describe("Qdrant and S3 over https with a private CA", () => {
  it("trusted through NODE_EXTRA_CA_CERTS: create_snap get_colla, recover_snap recover_colla exit 0, targets equal the source", async () => {
    const dir = await tempDir("roundtrip");
    const e = env(pki.caFile);
    const backup = await run(["create_snap", "get_colla", "--json"], e, dir);
    expectExit(backup, 0);
    expect(parseJsonSummary(backup.stdout).tasks.map((t) => [t.task, t.done, t.failed])).toEqual([
      ["create_snap", 2, 0],
      ["get_colla", 1, 0],
    ]);
    const restore = await run(["recover_snap", "recover_colla", "--json"], e, dir);
    expectExit(restore, 0);
    expect(parseJsonSummary(restore.stdout).tasks.map((t) => [t.task, t.done, t.failed])).toEqual([
      ["recover_snap", 2, 0],
      ["recover_colla", 1, 0],
    ]);
    const targetUrl = target.urls[0] ?? "";
    await withTrustedCa(pki.ca, async () => {
      for (const c of COLLECTIONS) {
        const want = await readAllPoints(sourceUrl(), c, apiKey);
        expect(want.length).toBeGreaterThan(0);
        expect(await readAllPoints(targetUrl, c, apiKey)).toEqual(want);
      }
      expect(await listAliases(targetUrl, apiKey)).toEqual(await listAliases(sourceUrl(), apiKey));
    });
  });

  it("Qdrant's certificate untrusted (no NODE_EXTRA_CA_CERTS): exit 4 without a retry or a next item, one line naming the host and the cure", async () => {
    const dir = await tempDir("untrusted");
    // Two items for the same host, one at a time: a retried call, or a failure counted per item (exit 3) and the
    // next item tried, would connect again. The first item's first call is the snapshot listing taken before its
    // create (what a lost answer would be judged by): one connection, and nothing after it.
    await writeFile(path.join(dir, "collections"), COLLECTIONS.map((c) => `${sourceUrl()},${c}\n`).join(""));
    const before = source.connections();
    const r = await run(["create_snap"], env(undefined, { QDRANT_CONCURRENCY: "1" }), dir);
    expectExit(r, 4);
    expect(source.connections() - before).toBe(1);
    const line = lineWith(r.stderr, sourceUrl());
    expect(line).toMatch(
      /TLS certificate is not trusted \(certificate verify failed: UNABLE_TO_VERIFY_LEAF_SIGNATURE: unable to verify the first certificate\)/,
    );
    expect(line).toContain("set NODE_EXTRA_CA_CERTS");
    expect(r.stderr).not.toMatch(/retry \d/);
    expectNoStack(r.stderr);
  });

  it("Qdrant's certificate made out for another name: exit 4 after one connection, 'not valid for that host name'", async () => {
    const misnamed = await startEmulator({ apiKey, tls: pki.wrongName });
    cleanups.push(() => misnamed.stop());
    const url = misnamed.urls[0] ?? "";
    const r = await run(["get_coll"], env(pki.caFile, { QDRANT_SOURCE_HOSTS: url }), await tempDir("misnamed"));
    expectExit(r, 4);
    expect(misnamed.connections()).toBe(1);
    const line = lineWith(r.stderr, url);
    expect(line).toMatch(
      /TLS certificate is not valid for that host name \(ERR_TLS_CERT_ALTNAME_INVALID: Hostname\/IP does not match certificate's altnames: IP: 127\.0\.0\.1 is not in the cert's list\)/,
    );
    expectNoStack(r.stderr);
  });

  it("S3's certificate untrusted (no NODE_EXTRA_CA_CERTS): get_snap_s3 exits 4 after one connection, naming the endpoint and the cure", async () => {
    const before = proxy.connections();
    const r = await run(["get_snap_s3"], env(undefined), await tempDir("s3-untrusted"));
    expectExit(r, 4);
    expect(proxy.connections() - before).toBe(1);
    const line = lineWith(r.stderr, proxy.endpoint);
    expect(line).toMatch(
      /S3 .* failed: TLS certificate of https:\/\/127\.0\.0\.1:\d+ is not trusted \(certificate verify failed: UNABLE_TO_VERIFY_LEAF_SIGNATURE/,
    );
    expect(line).toContain("set NODE_EXTRA_CA_CERTS");
    expectNoStack(r.stderr);
  });

  it("S3's certificate made out for another name: get_snap_s3 exits 4 after one connection, 'not valid for that host name'", async () => {
    const misnamed = await startTlsProxy(s3.endpoint, pki.wrongName);
    cleanups.push(() => misnamed.stop());
    const r = await run(
      ["get_snap_s3"],
      env(pki.caFile, { QDRANT_S3_ENDPOINT_URL: misnamed.endpoint }),
      await tempDir("s3-misnamed"),
    );
    expectExit(r, 4);
    expect(misnamed.connections()).toBe(1);
    const line = lineWith(r.stderr, misnamed.endpoint);
    expect(line).toMatch(
      /TLS certificate of https:\/\/127\.0\.0\.1:\d+ is not valid for that host name \(ERR_TLS_CERT_ALTNAME_INVALID/,
    );
    expectNoStack(r.stderr);
  });
});
