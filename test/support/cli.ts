import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { onTestFinished } from "vitest";
import { EXIT } from "../../src/errors.js";

/** The codes the CLI may exit with (src/errors.ts). */
const EXIT_CODES: ReadonlySet<number> = new Set(Object.values(EXIT));

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
/** The built CLI, as a user runs it. `npm run build` must have run (CI and `npm test` users build first). */
export const CLI_PATH = path.join(root, "dist", "cli.js");

/**
 * The node binary that runs the built CLI: `QBR_TEST_NODE` (an absolute path, e.g. the Node 24 of the Docker image
 * that `npm run test:node24` installs), else the node running the tests. A bad value fails every CLI test rather
 * than silently testing another runtime.
 */
export const CLI_NODE = selectNode(process.env["QBR_TEST_NODE"]);

export function selectNode(given: string | undefined): string {
  if (given === undefined || given === "") return process.execPath;
  if (!path.isAbsolute(given)) throw new Error(`QBR_TEST_NODE=${given}: give the absolute path of a node binary`);
  if (!existsSync(given))
    throw new Error(`QBR_TEST_NODE=${given}: no such file (run npm run test:node24, which installs it)`);
  return given;
}

/** A PATH that finds CLI_NODE first (the bundle's shebang is `/usr/bin/env -S node --`), then `rest`. */
export function cliPath(rest: string | undefined = process.env["PATH"]): string {
  return rest ? `${path.dirname(CLI_NODE)}${path.delimiter}${rest}` : path.dirname(CLI_NODE);
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliRun {
  /** Resolves when the process exits. */
  done: Promise<CliResult>;
  /** Sends a signal to the process. */
  kill(signal: NodeJS.Signals): void;
  pid: number;
}

/**
 * Runs `dist/cli.js ...args` through its shebang, as an installed bin runs, with exactly `env` (plus a PATH that
 * finds CLI_NODE), in `cwd`. A missing build is a failure, not a skip.
 */
export function startCli(args: readonly string[], opts: { env: Record<string, string>; cwd: string }): CliRun {
  if (!existsSync(CLI_PATH)) throw new Error(`${CLI_PATH} is missing: run npm run build before the e2e tests`);
  const child = spawn(CLI_PATH, [...args], {
    cwd: opts.cwd,
    env: { PATH: cliPath(), ...opts.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
  child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  const done = new Promise<CliResult>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => {
      // Every run of every test: an exit code outside the table (e.g. Node's 13 for a run left waiting) is a failure.
      if (code !== null && !EXIT_CODES.has(code)) {
        reject(
          new Error(
            `the CLI exited with ${code}, outside the exit-code table (${[...EXIT_CODES].join(", ")})\n--- stderr ---\n${stderr}`,
          ),
        );
        return;
      }
      resolve({ code, signal, stdout, stderr });
    });
  });
  killWhenTestEnds(child);
  return { done, kill: (s) => child.kill(s), pid: child.pid ?? -1 };
}

/**
 * A CLI started by a test that failed or timed out must not outlive it: it would hold the state lock and fail the
 * next test with exit 5. Started outside a test (a hook), it is the hook's to end.
 */
function killWhenTestEnds(child: ReturnType<typeof spawn>): void {
  try {
    onTestFinished(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    });
  } catch {
    // not inside a running test
  }
}

/** Runs the CLI to completion. */
export function runCli(
  args: readonly string[],
  opts: { env: Record<string, string>; cwd: string },
): Promise<CliResult> {
  return startCli(args, opts).done;
}
