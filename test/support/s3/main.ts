// `npm run s3-server [-- --port N]`: runs the local S3 server until SIGINT/SIGTERM.
// stdout: one JSON line { endpoint, accessKey, secretKey }; everything else goes to stderr.
import { parseArgs } from "node:util";
import { startS3Server } from "./launcher.js";

async function runS3Server(): Promise<void> {
  const { values } = parseArgs({ options: { port: { type: "string" } } });
  const port = values.port === undefined ? 0 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid --port ${values.port ?? ""}`);
  const server = await startS3Server({ port });
  const { endpoint, accessKey, secretKey } = server;
  process.stdout.write(`${JSON.stringify({ endpoint, accessKey, secretKey })}\n`);

  let stopping = false;
  const shutdown = (): void => {
    if (stopping) return;
    stopping = true;
    server.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error("failed to stop the S3 server:", err);
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", shutdown);
  process.on("SIGTERM", shutdown);
  // Exit code 0: the child was told to stop (e.g. a terminal Ctrl-C reaches the whole process group).
  void server.exited.then((code) => {
    if (stopping) return;
    if (code !== 0) console.error(`the S3 server (pid ${server.pid}) exited unexpectedly (code ${String(code)})`);
    process.exit(code === 0 ? 0 : 1);
  });
}

runS3Server().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
