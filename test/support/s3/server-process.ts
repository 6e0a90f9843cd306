// The S3 server child process: @20minutes/s3rver with the test rig's patches, on 127.0.0.1.
// Run: node --openssl-legacy-provider --import <tsx/esm> server-process.ts [--port N] [--dir PATH] [--watch-stdin]
// stdout carries exactly one JSON line ({ endpoint, accessKey, secretKey }) once listening; logs go to stderr.
// It exits on SIGINT/SIGTERM, when stdin closes, or when its parent dies, and removes its data directory.
import { createCipheriv } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { installControllerPatches, installHeadBucketPatch } from "./controller-patches.js";
import { FaultInjector } from "./fault-injector.js";
import { createAbortMultipartUpload } from "./multipart-patches.js";
import { createAdminRoute, createCredentialsRequired, createFaultMiddleware } from "./request-guards.js";
import { type S3rverApp, createS3rverApp, loadS3Error } from "./s3rver-internals.js";
import { installSignaturePatch, rememberRawPath } from "./signature-patch.js";
import { installStoreAtomicity } from "./store-atomicity.js";
import { installXmlPatch } from "./xml-patch.js";

/** s3rver's only account (models/account.js). */
const CREDENTIALS = { accessKey: "S3RVER", secretKey: "S3RVER" } as const;
const PARENT_POLL_MS = 1_000;

// Keep stdout for the single JSON line: anything the package would log goes to stderr.
console.log = console.error;
console.info = console.error;
console.debug = console.error;

function assertDesAvailable(): void {
  try {
    // s3rver encrypts ListObjectsV2 continuation tokens with DES, which OpenSSL 3 only has in its legacy provider.
    createCipheriv("des", Buffer.alloc(8), Buffer.alloc(8));
  } catch {
    throw new Error(
      "DES is unavailable: start this script with `node --openssl-legacy-provider` (pagination needs it)",
    );
  }
}

/** Removed on exit, including a failed start. */
let dataDir: string | undefined;

function parseOptions(): { port: number; directory: string; watchStdin: boolean } {
  const options = { port: { type: "string" }, dir: { type: "string" }, "watch-stdin": { type: "boolean" } } as const;
  const { values } = parseArgs({ options });
  const port = Number(values.port ?? "0");
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid --port ${values.port ?? ""}`);
  const directory = values.dir ?? mkdtempSync(path.join(tmpdir(), "s3rig-"));
  return { port, directory, watchStdin: values["watch-stdin"] === true };
}

function createPatchedApp(port: number, directory: string): S3rverApp {
  const S3Error = loadS3Error();
  installSignaturePatch();
  installControllerPatches(S3Error);
  installHeadBucketPatch();
  const app = createS3rverApp({ address: "127.0.0.1", port, directory, silent: true, vhostBuckets: false });
  installXmlPatch(app, S3Error);
  installStoreAtomicity(app.store);
  const injector = new FaultInjector();
  // Outermost first: admin route, faults (before auth), anonymous → 403, then s3rver's own chain.
  app.middleware.unshift(
    createAdminRoute(injector, app.store),
    createFaultMiddleware(injector, S3Error),
    createCredentialsRequired(S3Error),
    rememberRawPath,
    createAbortMultipartUpload(S3Error),
  );
  return app;
}

async function startServer(): Promise<void> {
  assertDesAvailable();
  const { port, directory, watchStdin } = parseOptions();
  dataDir = directory;
  mkdirSync(directory, { recursive: true });
  const app = createPatchedApp(port, directory);

  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    const finish = (): void => exitCleanly(0);
    setTimeout(finish, 2_000).unref(); // never hang on a stuck connection
    app.close().then(finish, finish);
    app.httpServer?.closeAllConnections();
  };
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(signal, stop);
  watchParent(watchStdin, stop);

  const address = await app.run();
  const endpoint = `http://127.0.0.1:${address.port}`;
  process.stdout.write(`${JSON.stringify({ endpoint, ...CREDENTIALS })}\n`);
}

function exitCleanly(code: number): never {
  if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true });
  process.exit(code);
}

/** Calls onGone when the parent dies (we get re-parented) or, with watchStdin, closes our stdin pipe. */
function watchParent(watchStdin: boolean, onGone: () => void): void {
  if (watchStdin) {
    process.stdin.on("end", onGone);
    process.stdin.on("error", onGone);
    process.stdin.resume();
  }
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) onGone();
  }, PARENT_POLL_MS).unref();
}

startServer().catch((err: unknown) => {
  process.stderr.write(
    `s3 server failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  exitCleanly(1);
});
