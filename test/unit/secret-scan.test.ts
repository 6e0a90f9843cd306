// The shared secret assertion of the e2e and fault tests (test/e2e/secret-scan.ts): it must catch every kind of leak
// it is trusted with, say where without echoing the value, and pass clean text, or every scan that passes proves nothing.
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { assertNoSecrets } from "../e2e/secret-scan.js";
import { makeTempDir } from "../support/tmp.js";

const API_KEY = "unit-api-key-0123456789abcdef";
const S3_SECRET = "s3/secret+key=with/special";
const secrets = { QDRANT_API_KEY: API_KEY, QDRANT_S3_SECRET_ACCESS_KEY: S3_SECRET };
const PRESIGNED =
  "http://127.0.0.1:9000/b/snapshots/c/s.snapshot?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAEXAMPLE%2F20260129%2Fus-east-1%2Fs3%2Faws4_request" +
  "&X-Amz-Date=20260129T000000Z&X-Amz-Expires=3600&X-Amz-Security-Token=FQoGZXIvYXdzEXAMPLE&X-Amz-Signature=0123456789abcdef&X-Amz-SignedHeaders=host";
const temps: (() => Promise<void>)[] = [];

afterAll(async () => {
  for (const cleanup of temps) await cleanup();
});

async function scanError(input: Parameters<typeof assertNoSecrets>[0]): Promise<string> {
  try {
    await assertNoSecrets(input);
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
  return "";
}

describe("assertNoSecrets", () => {
  it("passes clean output, redacted presigned URLs and X-Amz parameters that carry no credential", async () => {
    const clean = [
      "[2026-01-29 00:00:00] Recovered c from s.snapshot on http://127.0.0.1:6333 (by URL)",
      "Failed to download tar from http://127.0.0.1:9000/b/snapshots/c/s.snapshot?<redacted>: status - 403 Forbidden",
      "x?X-Amz-Signature=<redacted>&X-Amz-Credential=<redacted>",
      "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20260129T000000Z&X-Amz-Expires=3600",
      "the variable QDRANT_API_KEY is set; X-Amz-Signature is a query parameter",
    ].join("\n");
    await expect(assertNoSecrets({ stdout: clean, stderr: clean, secrets })).resolves.toBeUndefined();
  });

  it.each([
    ["the API key", `api-key: ${API_KEY}`, /stdout line 1 contains QDRANT_API_KEY/],
    ["the S3 secret", `secret ${S3_SECRET}`, /stdout line 1 contains QDRANT_S3_SECRET_ACCESS_KEY/],
    [
      "the S3 secret percent-encoded",
      `?s=${encodeURIComponent(S3_SECRET)}`,
      /stdout line 1 contains QDRANT_S3_SECRET_ACCESS_KEY/,
    ],
    ["an X-Amz-Signature value", "url?X-Amz-Signature=0123456789abcdef", /presigned X-Amz-Signature value/],
    [
      "an X-Amz-Credential value",
      "url?X-Amz-Credential=AKIAEXAMPLE%2F20260129%2Fus-east-1",
      /presigned X-Amz-Credential value/,
    ],
    [
      "an X-Amz-Security-Token value",
      "url?X-Amz-Security-Token=FQoGZXIvYXdzEXAMPLE",
      /presigned X-Amz-Security-Token value/,
    ],
    [
      "a presigned URL percent-encoded inside another",
      `recover?location=${encodeURIComponent(PRESIGNED)}`,
      /presigned X-Amz-Signature value/,
    ],
    ["lower-case parameter names", "url?x-amz-signature=0123456789abcdef", /presigned X-Amz-signature value/i],
  ])("catches %s, naming where without echoing it", async (_kind, text, where) => {
    const message = await scanError({ stdout: `${text}\n`, stderr: "", secrets });
    expect(message).toMatch(where);
    for (const value of [API_KEY, S3_SECRET, "0123456789abcdef", "AKIAEXAMPLE", "FQoGZXIvYXdzEXAMPLE"])
      expect(message).not.toContain(value);
  });

  it("catches every parameter of one presigned URL, on the right line of stderr", async () => {
    const message = await scanError({ stdout: "", stderr: `first line\n${PRESIGNED}\n`, secrets });
    for (const p of ["Signature", "Credential", "Security-Token"])
      expect(message).toContain(`stderr line 2 contains a presigned X-Amz-${p} value`);
  });

  it("scans every state file, nested ones too, but not the env files the test wrote", async () => {
    const t = await makeTempDir("secret-scan");
    temps.push(t.cleanup);
    await mkdir(path.join(t.dir, "conf"));
    await writeFile(path.join(t.dir, "snapshots"), "http://h,c,s.snapshot\n");
    await writeFile(path.join(t.dir, "failed_snapshot_recovery"), `http://h,s.snapshot,${PRESIGNED}\n`);
    await writeFile(path.join(t.dir, "conf", "history"), `ok\n${API_KEY}\n`);
    await writeFile(path.join(t.dir, ".env"), `QDRANT_API_KEY=${API_KEY}\n`);
    await writeFile(path.join(t.dir, "conf", "backup.env"), `QDRANT_S3_SECRET_ACCESS_KEY=${S3_SECRET}\n`);
    const message = await scanError({ stdout: "", stderr: "", stateDir: t.dir, secrets });
    expect(message).toContain("state file failed_snapshot_recovery line 1 contains a presigned X-Amz-Signature value");
    expect(message).toContain(`state file ${path.join("conf", "history")} line 2 contains QDRANT_API_KEY`);
    expect(message).not.toContain(".env");
    expect(message).not.toContain("QDRANT_S3_SECRET_ACCESS_KEY");
  });

  it("scans extra texts (the state mirror's copies in the bucket) and ignores empty secrets", async () => {
    const extra = [{ where: "s3 state/prod/snapshots", text: `a\n${S3_SECRET}\n` }];
    await expect(assertNoSecrets({ stdout: "", stderr: "", secrets: [API_KEY, S3_SECRET], extra })).rejects.toThrow(
      /s3 state\/prod\/snapshots line 2 contains secret #2/,
    );
    await expect(
      assertNoSecrets({ stdout: "anything", stderr: "", secrets: ["", undefined] }),
    ).resolves.toBeUndefined();
  });
});
