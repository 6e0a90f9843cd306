import { describe, expect, it } from "vitest";
import { Redactor, redactUrlQueries } from "../../src/lib/redact.js";

describe("Redactor", () => {
  it("hides registered secrets and presigned query strings", () => {
    const r = new Redactor();
    r.addSecret("api-key-123456");
    r.addSecret("s3-secret-abcdef");
    const text =
      "key api-key-123456 secret s3-secret-abcdef url http://s3:9000/b/snapshots/c/x.snapshot?X-Amz-Algorithm=AWS4&X-Amz-Signature=deadbeef tail";
    const out = r.redact(text);
    expect(out).not.toMatch(/api-key-123456|s3-secret-abcdef|deadbeef|AWS4/);
    expect(out).toContain(
      "http://s3:9000/b/snapshots/c/x.snapshot?X-Amz-Algorithm=<redacted>&X-Amz-Signature=<redacted> tail",
    );
  });

  it("hides stray credential parameters outside URLs", () => {
    expect(redactUrlQueries("X-Amz-Credential=AKIA%2F2026 and X-Amz-Signature=abc")).toBe(
      "X-Amz-Credential=<redacted> and X-Amz-Signature=<redacted>",
    );
  });

  it("ignores empty and tiny secrets", () => {
    const r = new Redactor();
    r.addSecret("");
    r.addSecret("ab");
    expect(r.redact("ab cd")).toBe("ab cd");
  });
  it("keeps the punctuation that follows a URL in a sentence", () => {
    const text =
      "Failed to download tar from http://s3:9000/b/x.snapshot?X-Amz-Signature=abc&X-Amz-Credential=k%2Fd: status - 500 (see http://h/p?a=1).";
    expect(redactUrlQueries(text)).toBe(
      "Failed to download tar from http://s3:9000/b/x.snapshot?X-Amz-Signature=<redacted>&X-Amz-Credential=<redacted>: status - 500 (see http://h/p?a=1).",
    );
  });

  it("masks only the credential parameters of a query, and keeps the others readable", () => {
    expect(redactUrlQueries("PUT http://q:6333/collections/c/snapshots/recover?wait=true: 500")).toBe(
      "PUT http://q:6333/collections/c/snapshots/recover?wait=true: 500",
    );
    expect(redactUrlQueries("http://q/c/snapshots/upload?wait=false&priority=snapshot&checksum=ab12")).toBe(
      "http://q/c/snapshots/upload?wait=false&priority=snapshot&checksum=ab12",
    );
    const presigned =
      "https://s3.example.com/b/k.snapshot?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAXYZ%2F20260101%2Fus-east-1%2Fs3%2Faws4_request" +
      "&X-Amz-Date=20260101T000000Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host&X-Amz-Security-Token=tok&X-Amz-Signature=f00d&x-id=GetObject";
    const out = redactUrlQueries(presigned);
    expect(out).not.toMatch(/AKIAXYZ|f00d|tok\b|20260101T/);
    expect(out).toContain("X-Amz-Credential=<redacted>&X-Amz-Date=<redacted>");
    expect(out).toContain("&x-id=GetObject");
    for (const q of [
      "api_key=k1",
      "apikey=k1",
      "api-key=k1",
      "access_token=k1",
      "token=k1",
      "password=k1",
      "sig=k1",
      "Signature=k1",
      "AWSAccessKeyId=k1",
      "X-Goog-Signature=k1",
      "key=k1",
    ]) {
      expect(redactUrlQueries(`http://h/p?a=1&${q}&b=2`), q).toBe(`http://h/p?a=1&${q.split("=")[0]}=<redacted>&b=2`);
    }
  });

  it("masks a parameter whose value holds an encoded URL or credential, whatever its name", () => {
    const nested = "http://h/p?next=http%3A%2F%2Fs3%2Fk%3FX-Amz-Signature%3Dabc&wait=true";
    expect(redactUrlQueries(nested)).toBe("http://h/p?next=<redacted>&wait=true");
  });
});
