/**
 * Running the built CLI from a scenario under /usr/bin/time, which reports what the process itself used: wall time,
 * CPU time (user + system) and peak RSS. The bench process (emulator, S3 server) is not counted.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import type { ScenarioContext } from "./report.js";

const TIME = "/usr/bin/time";
const MARK = "__bench_time__";

export interface CliRun {
  /** Wall time from spawn to exit. */
  seconds: number;
  /** User plus system CPU time of the CLI process. */
  cpuSeconds: number;
  peakRssMiB: number;
  stdout: string;
  stderr: string;
}

/** Fails early, with the cure, when /usr/bin/time is missing. */
export function assertTimeAvailable(): void {
  if (!existsSync(TIME))
    throw new Error(`${TIME} is missing (Debian package "time"); it measures the CLI's CPU time and peak RSS`);
}

/**
 * Runs `node dist/cli.js …args` in `cwd` with only PATH and `env` in its environment.
 * @throws Error with the last lines of its output when it exits non-zero
 */
export function runCli(
  ctx: Pick<ScenarioContext, "cli">,
  args: readonly string[],
  env: Record<string, string>,
  cwd: string,
): Promise<CliRun> {
  assertTimeAvailable();
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(TIME, ["-f", `${MARK} %U %S %M`, process.execPath, "--", ctx.cli, ...args], {
      cwd,
      // BENCH_NODE_OPTIONS: Node flags for the CLI under test only (e.g. to try a V8 setting), never the caller's NODE_OPTIONS.
      env: {
        PATH: process.env["PATH"] ?? "",
        ...(process.env["BENCH_NODE_OPTIONS"] ? { NODE_OPTIONS: process.env["BENCH_NODE_OPTIONS"] } : {}),
        ...env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const m = new RegExp(`${MARK} ([\\d.]+) ([\\d.]+) (\\d+)`).exec(stderr);
      const own = stderr.replace(new RegExp(`.*${MARK}.*\\n?`), "");
      if (code !== 0 || !m) {
        const tail = [...stdout.trim().split("\n").slice(-4), ...own.trim().split("\n").slice(-6)].join("\n");
        reject(new Error(`qdrant-backup-restore ${args.join(" ")} exited ${code}:\n${tail}`));
        return;
      }
      resolve({
        seconds,
        cpuSeconds: Number(m[1]) + Number(m[2]),
        peakRssMiB: Number(m[3]) / 1024,
        stdout,
        stderr: own,
      });
    });
  });
}

/** Reads `label: N` counts out of a task's summary line; a missing line is a crash of the bench, not a figure. */
export function summaryCounts(task: string, stdout: string, pattern: RegExp): number[] {
  const line = stdout.split("\n").find((l) => l.startsWith(`[${task}]`) && pattern.test(l));
  const m = line === undefined ? null : pattern.exec(line);
  if (!m)
    throw new Error(
      `${task}: no summary line matching ${pattern} in its output:\n${stdout.trim().split("\n").slice(-5).join("\n")}`,
    );
  return m.slice(1).map(Number);
}

/** Fails the bench when a task did not do every item: a bench over a failing run must not print figures. */
export function expectCounts(task: string, got: number[], want: number[], line: string): void {
  if (got.some((v, i) => v !== want[i]))
    throw new Error(
      `${task} did not succeed for every item (expected ${want.join("/")}, got ${got.join("/")}): ${line}`,
    );
}

/** Wall time of `fn`, in seconds, with its value. */
export async function timed<T>(fn: () => Promise<T>): Promise<{ seconds: number; value: T }> {
  const started = process.hrtime.bigint();
  const value = await fn();
  return { seconds: Number(process.hrtime.bigint() - started) / 1e9, value };
}
