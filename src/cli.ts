#!/usr/bin/env -S node --
import { InterruptedError } from "./errors.js";
import { main } from "./main.js";

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
let signals = 0;
for (const sig of ["SIGINT", "SIGTERM"] as const) {
  process.on(sig, () => {
    signals += 1;
    if (signals > 1) process.exit(130); // a second signal means "now"
    controller.abort(new InterruptedError(`interrupted by ${sig}`));
  });
}
const code = await main({
  argv: process.argv.slice(2),
  env: process.env,
  cwd: process.cwd(),
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
  signal: controller.signal,
});
process.exitCode = code;
