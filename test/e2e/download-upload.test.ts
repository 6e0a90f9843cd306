// download_snap and upload_snap through the built CLI, as an operator replaces the policy document's curl commands:
// the file lands in the working directory, relative --file paths, resume from a .partial file, checksum failures,
// an existing file, option errors, the upload's recovery history; nodes with local snapshot storage, and a node
// with S3 storage that streams without Range. Every run goes through the secret scan.
import { createHash } from "node:crypto";
import { readFile, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { CliResult } from "../support/cli.js";
import { runCli, startCli } from "../support/cli.js";
import { startEmulator, type Emulator } from "../support/emulator/index.js";
import { qdrantCall, readAllPoints, seedCollection } from "../support/emulator/seed.js";
import { makeTempDir } from "../support/tmp.js";
import {
  expectExit,
  expectLogLines,
  parseJsonSummary,
  plainLines,
  readStateText,
  waitFor,
  type Env,
} from "./harness.js";
import { randomApiKey, startRig, type Rig } from "./rig.js";
import { assertNoSecrets } from "./secret-scan.js";

const s3 = inject("s3");
const DOWNLOAD = /\/snapshots\/[^/]+\.snapshot$/;
const apiKey = randomApiKey("download-upload");
let emu: Emulator;
let src = "";
let dst = "";
/** The snapshot of c1 on the local-storage source node. */
let name = "";
let bytes = Buffer.alloc(0);
let checksum = "";
const temps: (() => Promise<void>)[] = [];

const sha256 = (b: Buffer): string => createHash("sha256").update(b).digest("hex");
const exists = (file: string): Promise<boolean> =>
  stat(file).then(
    () => true,
    () => false,
  );

async function tempDir(label: string): Promise<string> {
  const t = await makeTempDir(label);
  temps.push(t.cleanup);
  return t.dir;
}

const env = (extra: Env = {}): Env => ({
  QDRANT_API_KEY: apiKey,
  QDRANT_SOURCE_HOSTS: src,
  QDRANT_RESTORE_HOSTS: dst,
  ...extra,
});

/** Runs the CLI in `cwd` and scans its output and every file in `cwd` for the API key and the S3 secret. */
async function cli(args: readonly string[], cwd: string, e: Env = env()): Promise<CliResult> {
  const result = await runCli(args, { env: e, cwd });
  await assertNoSecrets({
    stdout: result.stdout,
    stderr: result.stderr,
    stateDir: cwd,
    secrets: { QDRANT_API_KEY: apiKey, QDRANT_S3_SECRET_ACCESS_KEY: s3.secretKey },
  });
  return result;
}

/** Statuses of the snapshot downloads the emulator answered, once `count` are logged. */
async function downloads(e: Emulator, count: number): Promise<number[]> {
  const match = () => e.requests().filter((r) => r.method === "GET" && DOWNLOAD.test(r.path));
  return waitFor(
    () => (match().length >= count ? match().map((r) => r.status) : undefined),
    `${count} downloads logged`,
  );
}

beforeAll(async () => {
  emu = await startEmulator({ nodes: 2, apiKey });
  [src = "", dst = ""] = emu.urls;
  await seedCollection(src, "c1", { points: 40, dim: 4, apiKey });
  const created = await qdrantCall(src, "POST", "/collections/c1/snapshots?wait=true", apiKey);
  if (
    typeof created !== "object" ||
    created === null ||
    Array.isArray(created) ||
    typeof created["name"] !== "string" ||
    typeof created["checksum"] !== "string"
  ) {
    throw new Error(`unexpected snapshot ${JSON.stringify(created)}`);
  }
  name = created["name"];
  checksum = created["checksum"];
  bytes = await readFile(path.join(emu.nodes[0]?.snapshotsDir ?? "", "c1", name));
  expect(sha256(bytes)).toBe(checksum);
});

afterAll(async () => {
  await emu?.stop();
  for (const cleanup of temps) await cleanup();
});

describe("download_snap and upload_snap, local snapshot storage", () => {
  it("download_snap writes ./<snapshot> in the working directory, verified; upload_snap --file recovers it", async () => {
    const cwd = await tempDir("dl-e2e");
    const down = await cli(["download_snap", "--collection", "c1", "--snapshot", name], cwd);
    expectExit(down, 0);
    expect(down.stdout).toBe(
      `[download_snap] Downloaded ${name} to ${path.join(cwd, name)}: ${bytes.length} bytes, SHA-256 ${checksum} (verified against the node's checksum)\n`,
    );
    expectLogLines(down.stderr);
    expect(await readFile(path.join(cwd, name))).toEqual(bytes);
    expect(await exists(path.join(cwd, `${name}.partial`))).toBe(false);

    const up = await cli(["upload_snap", "--collection", "c1", "--file", name, "--priority", "snapshot"], cwd);
    expectExit(up, 0);
    expect(up.stdout).toMatch(
      /^\[upload_snap\] Snapshot file .* uploaded: recovered 1, accepted: 0, already recovered: 0, failed: 0\n$/,
    );
    expect(up.stderr).toContain(`SHA-256 of ${path.join(cwd, name)}: ${checksum}`);
    // Keyed by file name, collection, shard (* = the whole collection) and SHA-256; checked after the upload.
    expect(plainLines(await readStateText(cwd, "snapshot_recovery_history"))).toEqual([
      `${dst},${name}@c1/*/${checksum},ok`,
      `${dst},${name}@c1/*/${checksum},verified`,
    ]);
    expect(await readAllPoints(dst, "c1", apiKey)).toEqual(await readAllPoints(src, "c1", apiKey));

    // Run again: the same file is already there (skipped, exit 0) and the host already recovered it (skipped).
    const again = await cli(["download_snap", "upload_snap", "--collection", "c1", "--snapshot", name, "--json"], cwd);
    expectExit(again, 0);
    const summary = parseJsonSummary(again.stdout);
    expect(summary.tasks.map((t) => [t.task, t.done, t.skipped, t.failed])).toEqual([
      ["download_snap", 0, 1, 0],
      ["upload_snap", 0, 1, 0],
    ]);
  });

  it("resumes from <file>.partial with a Range request (206) and checks the whole file's SHA-256", async () => {
    const cwd = await tempDir("dl-e2e-resume");
    await writeFile(path.join(cwd, "out.snapshot.partial"), bytes.subarray(0, Math.floor(bytes.length / 2)));
    emu.resetRequests();

    const r = await cli(
      ["download_snap", "--collection", "c1", "--snapshot", name, "--file", "out.snapshot", "--json", "--items"],
      cwd,
    );

    expectExit(r, 0);
    expect(parseJsonSummary(r.stdout).tasks[0]?.items[0]).toMatchObject({
      resumedFrom: String(Math.floor(bytes.length / 2)),
      sha256: checksum,
    });
    expect(await downloads(emu, 1)).toEqual([206]);
    expect(await readFile(path.join(cwd, "out.snapshot"))).toEqual(bytes);
    expect(await exists(path.join(cwd, "out.snapshot.partial"))).toBe(false);
  });

  it("a download stopped by SIGTERM keeps its .partial file (exit 130); the next run resumes it", async () => {
    const cwd = await tempDir("dl-e2e-sigterm");
    const partial = path.join(cwd, `${name}.partial`);
    // The answer trickles out in 20 pieces over 20 s, so the run is surely mid-transfer when stopped.
    const removeFault = emu.faults.add({ method: "GET", path: DOWNLOAD, slowBodyMs: 20_000, times: 1 });
    try {
      const child = startCli(["download_snap", "--collection", "c1", "--snapshot", name], { env: env(), cwd });
      const kept = await waitFor(
        async () => ((await stat(partial).catch(() => undefined))?.size ?? 0) || undefined,
        "bytes in the partial file",
      );
      child.kill("SIGTERM");
      const stopped = await child.done;
      await assertNoSecrets({
        stdout: stopped.stdout,
        stderr: stopped.stderr,
        stateDir: cwd,
        secrets: { QDRANT_API_KEY: apiKey },
      });
      expectExit(stopped, 130);
      expect(await exists(path.join(cwd, name))).toBe(false);
      expect((await stat(partial)).size).toBeGreaterThanOrEqual(kept);
      expect((await stat(partial)).size).toBeLessThan(bytes.length);
    } finally {
      removeFault();
    }
    emu.resetRequests();

    const resumed = await cli(["download_snap", "--collection", "c1", "--snapshot", name], cwd);

    expectExit(resumed, 0);
    expect(resumed.stderr).toMatch(/holds \d+ bytes of an earlier download; resuming/);
    expect(await downloads(emu, 1)).toEqual([206]);
    expect(await readFile(path.join(cwd, name))).toEqual(bytes);
    expect(await exists(partial)).toBe(false);
  });

  it("a wrong --checksum: exit 3 naming expected and actual digests; neither the file nor a partial remains", async () => {
    const cwd = await tempDir("dl-e2e-mismatch");
    const wrong = "0f".repeat(32);
    const r = await cli(["download_snap", "--collection", "c1", "--snapshot", name, "--checksum", wrong], cwd);
    expectExit(r, 3);
    expect(r.stderr).toContain(`expected ${wrong}, got ${checksum}`);
    expectLogLines(r.stderr);
    expect(await exists(path.join(cwd, name))).toBe(false);
    expect(await exists(path.join(cwd, `${name}.partial`))).toBe(false);
  });

  it("refuses to overwrite a different existing file (exit 2) and leaves it as it was", async () => {
    const cwd = await tempDir("dl-e2e-exists");
    await writeFile(path.join(cwd, name), "someone else's file");
    const r = await cli(["download_snap", "--collection", "c1", "--snapshot", name], cwd);
    expectExit(r, 2);
    expect(r.stderr).toMatch(/exists already .*it is not overwritten: remove it or choose another --file/);
    expect(await readFile(path.join(cwd, name), "utf8")).toBe("someone else's file");
  });

  it("contradicting or missing flags: exit 2 naming them, before any request", async () => {
    const cwd = await tempDir("dl-e2e-flags");
    emu.resetRequests();
    const r = await cli(["download_snap", "--full", "--collection", "c1", "--snapshot", name], cwd);
    expectExit(r, 2);
    expect(r.stderr).toContain("download_snap: --full and --collection contradict each other");
    const u = await cli(["upload_snap", "--file", "x.snapshot"], cwd);
    expectExit(u, 2);
    expect(u.stderr).toContain("upload_snap: --collection <name> is required");
    expect(emu.requests()).toEqual([]);
  });

  it("upload_snap with a wrong --checksum: Qdrant refuses (400), exit 3, recorded in failed_snapshot_recovery", async () => {
    const cwd = await tempDir("up-e2e-mismatch");
    await writeFile(path.join(cwd, name), bytes);
    const r = await cli(["upload_snap", "--collection", "c1-copy", "--file", name, "--checksum", "1e".repeat(32)], cwd);
    expectExit(r, 3);
    expect(r.stderr).toMatch(/Upload of .* failed: .*400 .*Checksum mismatch/);
    expect(plainLines(await readStateText(cwd, "failed_snapshot_recovery"))).toEqual([
      `${dst},${name}@c1-copy/*/${"1e".repeat(32)},http-400`,
    ]);
    expect(await readStateText(cwd, "snapshot_recovery_history")).toBeUndefined();
  });
});

describe("download_snap from a node with S3 snapshot storage", () => {
  let rig: Rig;
  beforeAll(async () => {
    rig = await startRig(s3, { label: "dl-e2e-s3", sourceNodes: 1, targetNodes: 1, apiKey });
  });
  afterAll(async () => {
    await rig?.stop();
  });

  it("starts over when the node ignores the range, and finishes unverified with a warning", async () => {
    const node = rig.source.urls[0] ?? "";
    await seedCollection(node, "c3", { points: 25, dim: 4, apiKey });
    const created = await qdrantCall(node, "POST", "/collections/c3/snapshots?wait=true", apiKey);
    const snap =
      typeof created === "object" && created !== null && !Array.isArray(created) ? created["name"] : undefined;
    if (typeof snap !== "string") throw new Error("no snapshot name");
    const cwd = await tempDir("dl-e2e-s3");
    await writeFile(path.join(cwd, `${snap}.partial`), "stale bytes from an earlier try");
    rig.source.resetRequests();

    const r = await rig.run(
      ["download_snap", "--collection", "c3", "--snapshot", snap],
      cwd,
      rig.env({ QDRANT_SOURCE_HOSTS: node }),
    );

    expectExit(r, 0);
    expect(r.stdout).toContain("(unverified: no checksum known)");
    expect(r.stderr).toMatch(/WARN.*is unverified: no checksum is known/);
    expect(r.stderr).toContain("does not resume at byte 31; starting the download over");
    expect(await downloads(rig.source, 1)).toEqual([200]);
    const got = await readFile(path.join(cwd, snap));
    const res = await fetch(`${node}/collections/c3/snapshots/${snap}`, { headers: { "api-key": apiKey } });
    expect(got).toEqual(Buffer.from(await res.arrayBuffer()));
  });
});
