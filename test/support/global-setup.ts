// Vitest global setup: one S3 server for the whole run, handed to tests via inject("s3"), and what it can do via
// inject("s3Impl"). Which server is the config's choice: `provide: { s3Impl: "rgw" }` (vitest.rgw.config.ts) starts
// Ceph's RADOS Gateway, otherwise the fake (@20minutes/s3rver with our patches). A server that cannot start fails the
// run (the error propagates, naming the apt-get line when Ceph is missing); nothing is ever skipped.
import type { TestProject } from "vitest/node";
import { startS3Server } from "./s3/launcher.js";
import { startRgw } from "./s3/rgw-launcher.js";

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const impl = project.getProvidedContext().s3Impl ?? "fake";
  if (impl !== "fake" && impl !== "rgw") throw new Error(`unknown s3Impl ${JSON.stringify(impl)}: "fake" or "rgw"`);
  const s3 = impl === "rgw" ? await startRgw() : await startS3Server();
  const { endpoint, accessKey, secretKey, region } = s3;
  project.provide("s3", { endpoint, accessKey, secretKey, region });
  project.provide("s3Impl", impl);
  return async () => {
    await s3.stop();
  };
}
