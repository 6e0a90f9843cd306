// Back-dated objects (fake S3 only): a test sets an object's LastModified to a past date, so a retention sweep's
// grace period can be tested without waiting. s3rver reports the object file's mtime as LastModified (HeadObject,
// GetObject, ListObjectsV2), so the server side is one utimes. Ceph's gateway keeps LastModified itself and has no
// such route: there the helper throws, and tests that need it are declared with `itWithS3Backdating` (impl.ts).
import { utimes } from "node:fs/promises";
import type { FilesystemStore } from "./s3rver-internals.js";

/** Admin path; `__admin` is not a valid bucket name, so no S3 request can reach it. */
export const BACKDATE_PATH = "/__admin/backdate";

export interface BackdateCommand {
  bucket: string;
  key: string;
  /** ISO 8601; whole seconds count (LastModified has second precision in HTTP dates). */
  lastModified: string;
}

/** Checks a POST /__admin/backdate body. */
export function parseBackdate(body: unknown): { bucket: string; key: string; at: Date } {
  const o = (typeof body === "object" && body !== null ? body : {}) as Record<string, unknown>;
  const [bucket, key, lastModified] = [o["bucket"], o["key"], o["lastModified"]];
  if (typeof bucket !== "string" || typeof key !== "string" || typeof lastModified !== "string")
    throw new Error("body must be {bucket, key, lastModified} (strings, lastModified ISO 8601)");
  const at = new Date(lastModified);
  if (Number.isNaN(at.getTime())) throw new Error(`lastModified ${JSON.stringify(lastModified)} is not a date`);
  return { bucket, key, at };
}

/** Server side: sets the object's mtime; false when there is no such object. */
export async function applyBackdate(
  store: FilesystemStore,
  cmd: { bucket: string; key: string; at: Date },
): Promise<boolean> {
  try {
    await utimes(store.getResourcePath(cmd.bucket, cmd.key, "object"), cmd.at, cmd.at);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw e;
  }
}

/**
 * Test side: makes `bucket/key` report `lastModified` as its LastModified from now on (until it is written again).
 * Throws when the object does not exist, and, naming the cure, when the server cannot back-date (Ceph's gateway).
 */
export async function backdateS3Object(
  endpoint: string,
  bucket: string,
  key: string,
  lastModified: Date,
): Promise<void> {
  const command: BackdateCommand = { bucket, key, lastModified: lastModified.toISOString() };
  const response = await fetch(new URL(BACKDATE_PATH, endpoint), {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(command),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  if (response.ok) return;
  if (!(response.headers.get("content-type") ?? "").includes("application/json")) {
    throw new Error(
      `backdateS3Object: the S3 server at ${endpoint} cannot back-date objects (only the fake S3 of test/support/s3 ` +
        `can; Ceph's gateway sets LastModified itself): declare the test with itWithS3Backdating (impl.ts)`,
    );
  }
  throw new Error(`backdateS3Object: POST ${BACKDATE_PATH} answered ${response.status}: ${text}`);
}
