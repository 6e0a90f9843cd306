// Starts the local S3 server (server-process.ts) as a child process and hands back its endpoint.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath, pathToFileURL } from "node:url";
import { clearS3Faults, setS3Faults } from "./fault-admin.js";
import type { S3FaultSpec } from "./fault-spec.js";

export type { S3FaultSpec } from "./fault-spec.js";

/** Where the server listens and how to sign for it. */
export interface S3ServerInfo {
  endpoint: string;
  accessKey: string;
  secretKey: string;
  region: string;
}

export interface S3Server extends S3ServerInfo {
  pid: number;
  /** Kills the child (SIGTERM, then SIGKILL after 5 s), waits for it to exit, removes its data directory. */
  stop(): Promise<void>;
  /** Installs a fault rule (see S3FaultSpec), or removes every rule with null. */
  setFaults(f: S3FaultSpec | null): Promise<void>;
  /** Settles when the child exits, with its exit code (null when a signal killed it). */
  exited: Promise<number | null>;
}

const READY_TIMEOUT_MS = 15_000;
const STOP_GRACE_MS = 5_000;
const STDERR_TAIL_CHARS = 8_000;
const SERVER_SCRIPT = fileURLToPath(new URL("./server-process.ts", import.meta.url));
// Resolved from this file, so it works whatever the cwd. Only tsx's ESM hooks: its CommonJS hooks
// mis-resolve some of s3rver's dependencies (the "module-sync" export of generator-function).
const TSX_ESM = pathToFileURL(createRequire(import.meta.url).resolve("tsx/esm")).href;

/** Spawns the S3 server on 127.0.0.1 (port 0 = a free port unless given) and waits until it listens. */
export async function startS3Server(opts: { port?: number } = {}): Promise<S3Server> {
  const dataDir = mkdtempSync(path.join(tmpdir(), "s3rig-"));
  const args = ["--openssl-legacy-provider", "--import", TSX_ESM, SERVER_SCRIPT];
  args.push("--port", String(opts.port ?? 0), "--dir", dataDir, "--watch-stdin");
  const child = spawn(process.execPath, args, { stdio: ["pipe", "pipe", "pipe"] });
  let stderrTail = "";
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    stderrTail = (stderrTail + chunk).slice(-STDERR_TAIL_CHARS);
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  void exited.then(() => rmSync(dataDir, { recursive: true, force: true }));
  const stop = (): Promise<void> => stopChild(child, exited);
  try {
    const ready = await readReadyLine(child, exited, () => stderrTail);
    return {
      ...ready,
      region: "us-east-1",
      pid: child.pid ?? -1,
      stop,
      exited,
      setFaults: (f) => (f === null ? clearS3Faults(ready.endpoint) : setS3Faults(ready.endpoint, f)),
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function readReadyLine(
  child: ChildProcess,
  exited: Promise<number | null>,
  readStderr: () => string,
): Promise<Omit<S3ServerInfo, "region">> {
  if (child.stdout === null) throw new Error("S3 server child has no stdout");
  const lines = createInterface({ input: child.stdout });
  let timer: NodeJS.Timeout | undefined;
  const failure = (reason: string): Error =>
    new Error(`S3 server did not start: ${reason}\n--- child stderr ---\n${readStderr().trim() || "(empty)"}`);
  try {
    const line = await Promise.race([
      new Promise<string>((resolve) => lines.once("line", resolve)),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(failure(`no ready line within ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS);
      }),
      exited.then(() => {
        throw failure(`it exited with code ${String(child.exitCode)} (signal ${String(child.signalCode)})`);
      }),
    ]);
    return parseReadyLine(line, failure);
  } finally {
    clearTimeout(timer);
    lines.close();
    child.stdout.resume(); // the protocol has one line; drain anything else so the child never blocks
  }
}

function parseReadyLine(line: string, failure: (reason: string) => Error): Omit<S3ServerInfo, "region"> {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw failure(`ready line is not JSON: ${line.slice(0, 200)}`);
  }
  const read = (name: string): string => {
    const field: unknown = typeof value === "object" && value !== null ? Reflect.get(value, name) : undefined;
    if (typeof field !== "string") throw failure(`ready line lacks "${name}": ${line.slice(0, 200)}`);
    return field;
  };
  return { endpoint: read("endpoint"), accessKey: read("accessKey"), secretKey: read("secretKey") };
}

async function stopChild(child: ChildProcess, exited: Promise<number | null>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) {
    await exited;
    return;
  }
  sendSignal(child.pid, "SIGTERM");
  const timer = setTimeout(() => {
    if (child.pid !== undefined) sendSignal(child.pid, "SIGKILL");
  }, STOP_GRACE_MS);
  await exited;
  clearTimeout(timer);
}

function sendSignal(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch (err) {
    // ESRCH: it already exited on its own (e.g. it got the terminal's Ctrl-C too).
    if (!(err instanceof Error && Reflect.get(err, "code") === "ESRCH")) throw err;
  }
}
