// TLS failures as the transports classify them, in process: a certificate this process does not trust (the test
// CA is not in NODE_EXTRA_CA_CERTS here) or an https:// URL on a plain port is a `tls` QdrantError, never retried and
// fatal for the run, or an S3 UpstreamError (exit 4) naming the endpoint, after a single connection.
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { isFatal } from "../../src/backup/task/items.js";
import { EXIT, UpstreamError } from "../../src/errors.js";
import { describeTlsError, isTlsFailure } from "../../src/lib/tls.js";
import { QdrantError } from "../../src/qdrant/errors.js";
import { createTestDeps } from "../support/deps.js";
import { startEmulator, type Emulator } from "../support/emulator/index.js";
import { createTestBucket } from "../support/s3/client.js";
import { startTlsProxy, type TlsProxy } from "../support/s3/tls-proxy.js";
import { makeTempDir } from "../support/tmp.js";
import { createTestPki, type TestPki } from "../support/tls.js";

const s3 = inject("s3");
let pki: TestPki;
let secure: Emulator;
let plain: Emulator;
let proxy: TlsProxy;
let dir = "";
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  pki = await createTestPki("integration");
  cleanups.push(() => pki.cleanup());
  secure = await startEmulator({ tls: pki.server });
  cleanups.push(() => secure.stop());
  plain = await startEmulator({});
  cleanups.push(() => plain.stop());
  proxy = await startTlsProxy(s3.endpoint, pki.server);
  cleanups.push(() => proxy.stop());
  const tmp = await makeTempDir("tls-integration");
  cleanups.push(tmp.cleanup);
  dir = tmp.dir;
});

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

/** Deps as the CLI builds them, with 3 retries (each a few ms apart) that a retryable failure would use up. */
function deps(env: Record<string, string> = {}) {
  const d = createTestDeps({ QDRANT_RETRIES: "3", ...env }, { stateDir: dir });
  cleanups.push(() => d.close());
  return d;
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => expect.fail("expected a rejection"),
    (err: unknown) => err,
  );
}

describe("Qdrant over https", () => {
  it("an untrusted certificate is a tls QdrantError: one connection, not retried, fatal for the run, exit 4", async () => {
    const d = deps();
    const url = secure.urls[0] ?? "";
    const before = secure.connections();
    const err = await rejection(d.qdrant.listCollections(url));
    expect(err).toBeInstanceOf(QdrantError);
    const q = err as QdrantError;
    expect(secure.connections() - before).toBe(1);
    expect(secure.requests()).toEqual([]);
    expect({
      kind: q.kind,
      code: q.code,
      retryable: q.retryable,
      refused: q.refused,
      fatal: isFatal(q),
      exit: q.exitCode,
    }).toEqual({
      kind: "tls",
      code: "tls",
      retryable: false,
      refused: true,
      fatal: true,
      exit: EXIT.upstream,
    });
    expect(q.message).toBe(
      `GET ${url}/collections: TLS certificate is not trusted (certificate verify failed: UNABLE_TO_VERIFY_LEAF_SIGNATURE: ` +
        "unable to verify the first certificate); if a private CA signed it, set NODE_EXTRA_CA_CERTS to a PEM file with that CA's certificate",
    );
    expect(d.lines.filter((l) => l.includes("retry"))).toEqual([]);
  });

  it("a snapshot download (a stream) from an untrusted host fails the same way, after one connection", async () => {
    const d = deps();
    const url = secure.urls[0] ?? "";
    const before = secure.connections();
    const err = await rejection(
      d.qdrant.downloadSnapshot(url, { kind: "collection", collection: "c", name: "s.snapshot" }),
    );
    expect(err).toBeInstanceOf(QdrantError);
    expect((err as QdrantError).kind).toBe("tls");
    expect(secure.connections() - before).toBe(1);
  });

  it("https:// on a plain http port is a tls error that says the port does not speak TLS, not retried", async () => {
    const d = deps();
    const url = (plain.urls[0] ?? "").replace(/^http:/, "https:");
    const before = plain.connections();
    const err = await rejection(d.qdrant.listCollections(url));
    expect(err).toBeInstanceOf(QdrantError);
    expect((err as QdrantError).kind).toBe("tls");
    expect((err as QdrantError).message).toMatch(
      /TLS handshake failed \(ERR_SSL_WRONG_VERSION_NUMBER: .*\): the port does not speak TLS; use http:\/\/ or the TLS port$/,
    );
    expect(plain.connections() - before).toBe(1);
  });
});

describe("S3 over https", () => {
  it("an untrusted endpoint certificate is an UpstreamError (exit 4) naming the endpoint, after one connection (no SDK retry)", async () => {
    const bucket = await createTestBucket(s3, "tls-int");
    const d = deps({
      QDRANT_S3_ENDPOINT_URL: proxy.endpoint,
      QDRANT_S3_BUCKET_NAME: bucket,
      QDRANT_S3_ACCESS_KEY_ID: s3.accessKey,
      QDRANT_S3_SECRET_ACCESS_KEY: s3.secretKey,
      QDRANT_S3_REGION: s3.region,
    });
    const before = proxy.connections();
    const err = await rejection(d.store().listKeys("snapshots/"));
    expect(err).toBeInstanceOf(UpstreamError);
    expect((err as UpstreamError).exitCode).toBe(EXIT.upstream);
    expect(isFatal(err)).toBe(true);
    expect((err as Error).message).toBe(
      `S3 listing s3://${bucket}/snapshots/ failed: TLS certificate of ${proxy.endpoint} is not trusted (certificate verify failed: ` +
        "UNABLE_TO_VERIFY_LEAF_SIGNATURE: unable to verify the first certificate); if a private CA signed it, set NODE_EXTRA_CA_CERTS to a PEM file with that CA's certificate",
    );
    expect(proxy.connections() - before).toBe(1);
  });
});

describe("describeTlsError", () => {
  const coded = (code: string, message: string, cause?: unknown) =>
    Object.assign(new Error(message, { cause }), { code });

  it("finds the code in the cause chain and words each kind of failure with its cure", () => {
    const wrapped = new TypeError("fetch failed", {
      cause: coded("SELF_SIGNED_CERT_IN_CHAIN", "self-signed certificate in certificate chain"),
    });
    expect(describeTlsError(wrapped, "https://q:6333")).toBe(
      "TLS certificate of https://q:6333 is not trusted (certificate verify failed: SELF_SIGNED_CERT_IN_CHAIN: self-signed certificate in " +
        "certificate chain); if a private CA signed it, set NODE_EXTRA_CA_CERTS to a PEM file with that CA's certificate",
    );
    expect(describeTlsError(coded("CERT_HAS_EXPIRED", "certificate has expired"))).toBe(
      "TLS certificate is out of date (CERT_HAS_EXPIRED: certificate has expired); renew it, or check this machine's clock",
    );
    expect(
      describeTlsError(
        coded(
          "ERR_TLS_CERT_ALTNAME_INVALID",
          "Hostname/IP does not match certificate's altnames: Host: q. is not in the cert's list: a, b",
        ),
      ),
    ).toBe(
      "TLS certificate is not valid for that host name (ERR_TLS_CERT_ALTNAME_INVALID: Hostname/IP does not match certificate's altnames: " +
        "Host: q. is not in the cert's list: a, b); use a host name the certificate lists",
    );
  });

  it("words an untrusted chain the same on Node 20 and Node 24 (whose message adds a --use-system-ca hint)", () => {
    const node20 = coded("UNABLE_TO_VERIFY_LEAF_SIGNATURE", "unable to verify the first certificate");
    const node24 = coded(
      "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
      "unable to verify the first certificate; if the root CA is installed locally, try running Node.js with --use-system-ca",
    );
    expect(describeTlsError(node24, "https://q:6333")).toBe(describeTlsError(node20, "https://q:6333"));
    expect(describeTlsError(node24)).toBe(
      "TLS certificate is not trusted (certificate verify failed: UNABLE_TO_VERIFY_LEAF_SIGNATURE: unable to verify the first certificate); " +
        "if a private CA signed it, set NODE_EXTRA_CA_CERTS to a PEM file with that CA's certificate",
    );
  });

  it("leaves transient and other errors alone (they stay retryable transport errors)", () => {
    for (const code of ["ECONNRESET", "ECONNREFUSED", "ETIMEDOUT", "UND_ERR_SOCKET", "EPROTO"]) {
      const err = coded(code, "boom");
      expect(isTlsFailure(err)).toBe(false);
      expect(describeTlsError(err)).toBeUndefined();
    }
    expect(describeTlsError("not an error")).toBeUndefined();
  });
});
