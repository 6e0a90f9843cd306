// Vitest global setup: one local S3 server for the whole run, handed to tests via inject("s3").
// A server that cannot start fails the run (the error propagates); nothing is ever skipped.
import type { TestProject } from "vitest/node";
import { startS3Server } from "./s3/launcher.js";

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const s3 = await startS3Server();
  const { endpoint, accessKey, secretKey, region } = s3;
  project.provide("s3", { endpoint, accessKey, secretKey, region });
  return async () => {
    await s3.stop();
  };
}
