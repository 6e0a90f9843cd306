#!/usr/bin/env -S node --
import { EXIT, InterruptedError } from "./errors.js";
import { formatLogTime } from "./log.js";
import { main, type ExitCleanup } from "./main.js";

// The shebang passes `--` so that Node 20 does not take our --env-file flag for its own (nodejs/node#54232).
// The only place that touches process.exit, signals and process.env.
// The SDK version is pinned by this package; its "upgrade Node" notice would only confuse an operator's logs.
process.env["AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED"] ??= "true";
// `qdrant-backup-restore --help | head -1` closes the pipe early; that is the reader's choice, not a crash to report.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code !== "EPIPE") throw err;
    process.exit(process.exitCode ?? 0);
  });
}
const controller = new AbortController();
/** What main still holds (the lock, the lease) while it runs: released here if the process must exit first. */
let cleanup: ExitCleanup | undefined;
/** A second signal means "now": the lock file goes at once, the lease within this many ms, then exit 130. */
const EXIT_NOW_LEASE_MS = 3_000;
let signals = 0;
for (const sig of ["SIGINT", "SIGTERM"] as const) {
  process.on(sig, () => {
    signals += 1;
    if (signals === 1) {
      controller.abort(new InterruptedError(`interrupted by ${sig}`));
      return;
    }
    const held = cleanup;
    cleanup = undefined;
    held?.releaseLockNow();
    if (signals > 2 || held === undefined) process.exit(EXIT.interrupted);
    process.stderr.write(
      `${timestamp()} WARNING: second ${sig}: exiting now; the lock is released, the state lease within ${EXIT_NOW_LEASE_MS / 1000} s\n`,
    );
    // A hard stop in case even the bounded release hangs; unref'd so it never delays an exit that is ready.
    setTimeout(() => process.exit(EXIT.interrupted), EXIT_NOW_LEASE_MS + 1_000).unref();
    void held.releaseLease(EXIT_NOW_LEASE_MS).finally(() => process.exit(EXIT.interrupted));
  });
}
// Should main's await ever be left pending with nothing more to run (Node would exit 13, outside the table), the
// lock and the lease are still released and the exit code is 1 (internal error: a bug).
let settled = false;
let stuck = false;
process.on("beforeExit", () => {
  if (settled || stuck) return;
  stuck = true;
  const held = cleanup;
  cleanup = undefined;
  held?.releaseLockNow();
  process.stderr.write(
    `${timestamp()} ERROR: internal error: the run stopped waiting on something that can never finish; the lock is released\n`,
  );
  if (held) void held.releaseLease(EXIT_NOW_LEASE_MS);
});
process.on("exit", () => {
  if (stuck || process.exitCode === 13) process.exitCode = EXIT.internal;
});
const code = await main({
  argv: process.argv.slice(2),
  env: process.env,
  cwd: process.cwd(),
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
  ...(process.stderr.isTTY ? { terminal: process.stderr } : {}),
  signal: controller.signal,
  setExitCleanup: (c) => (cleanup = c),
});
settled = true;
process.exitCode = code;

/** `[YYYY-MM-DD HH:MM:SS]` in local time, as the logger writes it. */
function timestamp(): string {
  return `[${formatLogTime(new Date())}]`;
}
