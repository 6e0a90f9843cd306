// The one retry classification of Qdrant calls (src/qdrant/errors.ts): reads are retried on every transient failure;
// calls that change Qdrant only when the failure proves the node did nothing, never after an ambiguous one.
import { describe, expect, it } from "vitest";
import { QdrantError, retryDecision, type QdrantErrorKind } from "../../src/qdrant/errors.js";

const error = (kind: QdrantErrorKind, status?: number, detail = "x", code?: string) =>
  new QdrantError(
    kind,
    "POST",
    "http://q:6333",
    "/collections/c/snapshots",
    status,
    detail,
    status === 429 ? 2_000 : undefined,
    code ? { cause: Object.assign(new Error(code), { code }) } : undefined,
  );

describe("retryDecision", () => {
  it("retries a read after any transient failure, a change only when the node provably did nothing; never a final answer", () => {
    const cases: [string, QdrantError, { reads: boolean; changes: boolean; ambiguous: boolean }][] = [
      ["timeout", error("timeout"), { reads: true, changes: false, ambiguous: true }],
      [
        "connection reset mid-request",
        error("transport", undefined, "socket hang up", "ECONNRESET"),
        { reads: true, changes: false, ambiguous: true },
      ],
      [
        "connection dropped (undici)",
        error("transport", undefined, "other side closed", "UND_ERR_SOCKET"),
        { reads: true, changes: false, ambiguous: true },
      ],
      ["502", error("http", 502), { reads: true, changes: false, ambiguous: true }],
      ["503", error("http", 503), { reads: true, changes: false, ambiguous: true }],
      ["504", error("http", 504), { reads: true, changes: false, ambiguous: true }],
      [
        "connection refused",
        error("transport", undefined, "connect ECONNREFUSED", "ECONNREFUSED"),
        { reads: true, changes: true, ambiguous: false },
      ],
      [
        "connect timeout",
        error("transport", undefined, "Connect Timeout Error", "UND_ERR_CONNECT_TIMEOUT"),
        { reads: true, changes: true, ambiguous: false },
      ],
      [
        "unknown host",
        error("transport", undefined, "getaddrinfo ENOTFOUND q", "ENOTFOUND"),
        { reads: true, changes: true, ambiguous: false },
      ],
      ["429", error("http", 429), { reads: true, changes: true, ambiguous: false }],
      [
        "the node's own download got a 503",
        error("http", 400, "Failed to download tar from https://s3/x: status - 503 Service Unavailable"),
        { reads: true, changes: true, ambiguous: false },
      ],
      ["500", error("http", 500), { reads: false, changes: false, ambiguous: false }],
      ["404", error("http", 404), { reads: false, changes: false, ambiguous: false }],
      ["tls", error("tls", undefined, "certificate has expired"), { reads: false, changes: false, ambiguous: false }],
    ];
    for (const [what, err, want] of cases) {
      expect({
        what,
        reads: retryDecision(err, "reads").retry,
        changes: retryDecision(err, "changes").retry,
        ambiguous: err.ambiguous,
      }).toEqual({ what, ...want });
    }
    expect(retryDecision(error("http", 429), "changes")).toEqual({ retry: true, afterMs: 2_000 });
    expect(retryDecision(new Error("not a Qdrant error"), "reads")).toEqual({ retry: false });
  });
});
