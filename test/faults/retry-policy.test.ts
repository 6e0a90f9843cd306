// Which failed Qdrant answers the tool sends again (QdrantError.retryable), as the fault suite relies on: transport
// errors, timeouts, 429 and 502/503/504, and a recovery the node refused with a 400 only because its own download of
// the snapshot got a transient status from the storage. Everything else is final.
import { describe, expect, it } from "vitest";
import { isTransientDownloadFailure, QdrantError } from "../../src/qdrant/errors.js";

const URL = "http://127.0.0.1:9000/bucket/snapshots/c/c-1-2026-01-01-00-00-00.snapshot?<redacted>";
const err = (status: number | undefined, detail: string, kind: "http" | "transport" | "timeout" = "http") =>
  new QdrantError(kind, "PUT", "http://q:6333", "/collections/c/snapshots/recover", status, detail);

describe("retry policy of Qdrant calls", () => {
  it.each([
    ["a transport error", err(undefined, "UND_ERR_SOCKET other side closed", "transport")],
    ["a timeout", err(undefined, "no answer within 30 s", "timeout")],
    ["429", err(429, "Too Many Requests")],
    ["502", err(502, "Bad Gateway")],
    ["503", err(503, "Service Unavailable")],
    ["504", err(504, "Gateway Timeout")],
    [
      "400 for a download the storage answered 503 (Qdrant ≥ 1.17)",
      err(400, `Wrong input: Failed to download tar from ${URL}: status - 503 Service Unavailable`),
    ],
    [
      "400 for a download the storage answered 500 (Qdrant < 1.17)",
      err(400, `Wrong input: Failed to download snapshot from ${URL}: status - 500 Internal Server Error`),
    ],
    [
      "400 for a download the storage throttled (429)",
      err(400, `Wrong input: Failed to download tar from ${URL}: status - 429 Too Many Requests`),
    ],
  ])("retries %s", (_label, e) => {
    expect(e.retryable).toBe(true);
  });

  it.each([
    [
      "400 for a download the storage refused (403: an expired or forged URL)",
      err(400, `Wrong input: Failed to download tar from ${URL}: status - 403 Forbidden`),
    ],
    [
      "400 for a download of a missing object (404)",
      err(400, `Wrong input: Failed to download tar from ${URL}: status - 404 Not Found`),
    ],
    ["400 checksum mismatch", err(400, "Wrong input: Snapshot checksum mismatch: expected aa, got bb")],
    ["500", err(500, "Service internal error: Failed to read segment state")],
    ["404", err(404, "Not found: Collection `c` doesn't exist!")],
    ["401", err(401, "Invalid API key")],
  ])("does not retry %s", (_label, e) => {
    expect(e.retryable).toBe(false);
  });

  it("recognises only the node's own download failure, not the same words elsewhere", () => {
    expect(isTransientDownloadFailure("Failed to download tar from x: status - 503 Service Unavailable")).toBe(true);
    expect(isTransientDownloadFailure("Failed to download tar from x: status - 5030")).toBe(false);
    expect(isTransientDownloadFailure("Failed to unpack tar archive: status - 503")).toBe(false);
    // As it reads once the presigned URL is redacted (the mask takes the colon after the query).
    expect(
      isTransientDownloadFailure(
        "Failed to download tar from http://s3/b/k?<redacted> status - 503 Service Unavailable",
      ),
    ).toBe(true);
  });
});
