// `npm run emulator`: prints one JSON line with the node URLs and stops cleanly on SIGTERM.
import { HeadBucketCommand } from "@aws-sdk/client-s3";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createRequire } from "node:module";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { describe, expect, inject, it } from "vitest";
import { call } from "../support/emulator/test-http.js";
import { expectOk } from "../support/emulator/validators.js";
import { createTestS3Client } from "../support/s3/client.js";

const main = fileURLToPath(new URL("../support/emulator/main.ts", import.meta.url));
const tsx = createRequire(import.meta.url).resolve("tsx/cli");

/** Run main.ts, hand its first stdout line to `use`, then SIGTERM it and return its exit code. */
async function withEmulator(args: string[], use: (nodes: string[]) => Promise<void>): Promise<number | null> {
  const child = spawn(process.execPath, [tsx, main, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  try {
    const line = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout }).once("line", resolve);
      child.once("exit", (code) => reject(new Error(`emulator exited early (${code})`)));
    });
    const parsed: unknown = JSON.parse(line);
    expect(parsed).toEqual({ nodes: expect.any(Array) });
    const nodes =
      typeof parsed === "object" && parsed !== null && "nodes" in parsed && Array.isArray(parsed.nodes)
        ? parsed.nodes.map(String)
        : [];
    await use(nodes);
  } finally {
    if (child.pid !== undefined && child.exitCode === null) process.kill(child.pid, "SIGTERM");
  }
  return exited;
}

describe("main.ts", () => {
  it("starts N standalone nodes and prints their URLs", async () => {
    const code = await withEmulator(["--nodes", "2", "--api-key", "k"], async (nodes) => {
      expect(nodes).toHaveLength(2);
      for (const url of nodes) {
        expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
        expect((await call(url, "GET", "/collections", { apiKey: "k" })).status).toBe(200);
      }
    });
    expect(code).toBe(0);
  }, 30_000);

  it("gives the peers ids above 2^53 with --peer-id-base, printed exactly", async () => {
    const code = await withEmulator(
      ["--nodes", "2", "--cluster", "--peer-id-base", "1152921504606846976"],
      async (nodes) => {
        const { text } = await call(nodes[1]!, "GET", "/cluster");
        expect(text).toContain('"peer_id":1152921504606846978,');
        expect(text).toContain('"leader":1152921504606846977,');
      },
    );
    expect(code).toBe(0);
  }, 30_000);

  it("starts a cluster with --cluster, creating a missing S3 bucket", async () => {
    const info = inject("s3");
    const bucket = `t-main-${randomBytes(4).toString("hex")}`;
    const args = [
      "--nodes",
      "3",
      "--cluster",
      "--shards",
      "2",
      "--rf",
      "2",
      "--s3-endpoint",
      info.endpoint,
      "--s3-bucket",
      bucket,
      "--s3-access-key",
      info.accessKey,
      "--s3-secret-key",
      info.secretKey,
      "--s3-region",
      info.region,
    ];
    const code = await withEmulator(args, async (nodes) => {
      expect(nodes.map((u) => new URL(u).hostname)).toEqual(["127.0.0.2", "127.0.0.3", "127.0.0.4"]);
      expect(expectOk((await call(nodes[0] ?? "", "GET", "/cluster")).json)).toMatchObject({ status: "enabled" });
      const s3 = createTestS3Client(info);
      try {
        await s3.send(new HeadBucketCommand({ Bucket: bucket }));
      } finally {
        s3.destroy();
      }
    });
    expect(code).toBe(0);
  }, 30_000);
});
