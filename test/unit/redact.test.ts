import { describe, expect, it } from "vitest";
import { Redactor, redactUrlQueries } from "../../src/lib/redact.js";

describe("Redactor", () => {
  it("hides registered secrets and presigned query strings", () => {
    const r = new Redactor();
    r.addSecret("api-key-123456");
    r.addSecret("s3-secret-abcdef");
    const text = "key api-key-123456 secret s3-secret-abcdef url http://s3:9000/b/snapshots/c/x.snapshot?X-Amz-Algorithm=AWS4&X-Amz-Signature=deadbeef tail";
    const out = r.redact(text);
    expect(out).not.toMatch(/api-key-123456|s3-secret-abcdef|deadbeef|X-Amz-Algorithm/);
    expect(out).toContain("http://s3:9000/b/snapshots/c/x.snapshot?<redacted>");
  });

  it("hides stray credential parameters outside URLs", () => {
    expect(redactUrlQueries("X-Amz-Credential=AKIA%2F2026 and X-Amz-Signature=abc")).toBe("X-Amz-Credential=<redacted> and X-Amz-Signature=<redacted>");
  });

  it("ignores empty and tiny secrets", () => {
    const r = new Redactor();
    r.addSecret("");
    r.addSecret("ab");
    expect(r.redact("ab cd")).toBe("ab cd");
  });
  it("keeps the punctuation that follows a URL in a sentence", () => {
    const text = "Failed to download tar from http://s3:9000/b/x.snapshot?X-Amz-Signature=abc&X-Amz-Credential=k%2Fd: status - 500 (see http://h/p?a=1).";
    expect(redactUrlQueries(text)).toBe("Failed to download tar from http://s3:9000/b/x.snapshot?<redacted>: status - 500 (see http://h/p?<redacted>).");
  });
});
