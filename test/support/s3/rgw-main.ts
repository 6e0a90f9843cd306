// `npm run s3-real`: runs Ceph's RADOS Gateway on loopback until SIGINT/SIGTERM (see rgw-launcher.ts).
// stdout: one JSON line { endpoint, accessKey, secretKey, region }; everything else goes to stderr.
import { startRgw } from "./rgw-launcher.js";

async function runRgw(): Promise<void> {
  process.env["AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED"] ??= "true"; // the SDK is pinned; its notice is noise
  const started = Date.now();
  const rgw = await startRgw();
  const { endpoint, accessKey, secretKey, region } = rgw;
  process.stdout.write(`${JSON.stringify({ endpoint, accessKey, secretKey, region })}\n`);
  console.error(`RADOS Gateway ready in ${Date.now() - started} ms (pids ${rgw.pids.join(", ")}); Ctrl-C stops it`);
  let stopping = false;
  const shutdown = (): void => {
    if (stopping) return;
    stopping = true;
    rgw.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error("failed to stop the gateway:", err);
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", shutdown);
  process.on("SIGTERM", shutdown);
}

runRgw().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
