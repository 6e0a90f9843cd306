// `qdrant-backup-restore --help | head -1`: the reader closing the pipe early is not a crash (no stack, exit 0).
import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import { CLI_PATH, cliPath } from "../support/cli.js";
import { expectNoStack } from "./harness.js";
import { assertNoSecrets } from "./secret-scan.js";

function runWithStdoutClosed(args: string[]): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(CLI_PATH, args, {
    env: { PATH: cliPath() },
    stdio: ["ignore", "pipe", "pipe"],
  });
  // Closed before the CLI has started, so its first write to stdout meets a pipe with no reader (EPIPE).
  child.stdout.destroy();
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stderr }));
  });
}

describe("stdout closed by the reader", () => {
  for (const args of [["--help"], ["--version"], ["recover_snap", "--help"]]) {
    it(`${args.join(" ")}: exit 0, nothing on stderr`, async () => {
      const r = await runWithStdoutClosed(args);
      expectNoStack(r.stderr);
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      await assertNoSecrets({ stdout: "", stderr: r.stderr, secrets: [] });
    });
  }
});
