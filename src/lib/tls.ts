/**
 * TLS failures that no retry can fix: the server's certificate is not trusted, expired or made out for another
 * name, or the port does not speak TLS at all. Both transports (undici for Qdrant, the AWS SDK for S3) surface them
 * as Node's socket errors with an OpenSSL or Node code.
 */

/** Codes OpenSSL gives a chain it cannot verify up to a trusted root (node's `tls` passes them through). */
const UNTRUSTED = new Set([
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "CERT_UNTRUSTED",
  "CERT_REJECTED",
  "CERT_SIGNATURE_FAILURE",
  "CERT_CHAIN_TOO_LONG",
  "INVALID_CA",
  "INVALID_PURPOSE",
  "PATH_LENGTH_EXCEEDED",
  "CERT_REVOKED",
]);
const OUT_OF_DATE = new Set(["CERT_HAS_EXPIRED", "CERT_NOT_YET_VALID"]);
const WRONG_NAME = new Set(["ERR_TLS_CERT_ALTNAME_INVALID", "HOSTNAME_MISMATCH"]);
const NOT_TLS = new Set(["ERR_SSL_WRONG_VERSION_NUMBER"]);
/** Node 24 appends this advice to an untrusted chain's message; the line below gives the cure for every Node. */
const NODE_HINT = /;\s*if the root CA is installed locally, try running Node\.js with --use-system-ca\.?$/i;

/** The first error in `err`'s cause chain that carries one of the codes above, with its code. */
function findTlsFailure(err: unknown): { code: string; message: string } | undefined {
  let current: unknown = err;
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    const code = (current as { code?: unknown }).code;
    if (
      typeof code === "string" &&
      (UNTRUSTED.has(code) || OUT_OF_DATE.has(code) || WRONG_NAME.has(code) || NOT_TLS.has(code))
    ) {
      return {
        code,
        message: current.message
          .replace(/\s+/g, " ")
          .replace(NODE_HINT, "")
          .replace(/[\s:]+$/, ""),
      };
    }
    current = current.cause;
  }
  return undefined;
}

/** True when `err` is a TLS failure that will fail the same way on every try (see describeTlsError). */
export function isTlsFailure(err: unknown): boolean {
  return findTlsFailure(err) !== undefined;
}

/**
 * One line that says what is wrong with the TLS connection and what to do about it, or undefined when `err` is
 * not such a failure. `server` (e.g. `https://s3.example:443`) is named when given.
 */
export function describeTlsError(err: unknown, server?: string): string | undefined {
  const found = findTlsFailure(err);
  if (!found) return undefined;
  const { code } = found;
  const of = server ? ` of ${server}` : "";
  const why = `${code}: ${found.message}`;
  if (UNTRUSTED.has(code)) {
    return `TLS certificate${of} is not trusted (certificate verify failed: ${why}); if a private CA signed it, set NODE_EXTRA_CA_CERTS to a PEM file with that CA's certificate`;
  }
  if (OUT_OF_DATE.has(code))
    return `TLS certificate${of} is out of date (${why}); renew it, or check this machine's clock`;
  if (WRONG_NAME.has(code))
    return `TLS certificate${of} is not valid for that host name (${why}); use a host name the certificate lists`;
  return `TLS handshake${server ? ` with ${server}` : ""} failed (${why}): the port does not speak TLS; use http:// or the TLS port`;
}
