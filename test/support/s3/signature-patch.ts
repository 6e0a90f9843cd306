// SigV4 fixes for s3rver's canonical request:
// - the AWS SDK signs path-style bucket-level requests (`PUT /bucket/`, `GET /bucket/?list-type=2`,
//   `POST /bucket/?delete`, …) with the trailing slash in the canonical URI; s3rver rebuilds the URI from the
//   route parameters and drops it, so every such call failed with SignatureDoesNotMatch;
// - s3rver encodes query values with encodeURIComponent, which leaves ' ( ) ! * as they are where SigV4 (RFC 3986)
//   escapes them, so e.g. ListObjectsV2 with Prefix "it's/" failed with SignatureDoesNotMatch.
import { loadSignatureV4, type CanonicalRequest, type GetStringToSign, type Middleware } from "./s3rver-internals.js";

interface RawTarget {
  path: string;
  query: string;
}

// The auth middleware hands getStringToSign the request's own headers object; key the raw target on it.
const rawTargets = new WeakMap<object, RawTarget>();

/** Middleware that remembers each request's path and query exactly as they arrived (before any routing). */
export const rememberRawPath: Middleware = async (ctx, next) => {
  const url = ctx.req.url ?? "/";
  const queryStart = url.indexOf("?");
  rawTargets.set(
    ctx.req.headers,
    queryStart === -1 ? { path: url, query: "" } : { path: url.slice(0, queryStart), query: url.slice(queryStart + 1) },
  );
  await next();
};

/** Wraps s3rver's SigV4 string-to-sign so the canonical URI and query follow SigV4 as the SDK computes them. */
export function installSignaturePatch(): void {
  loadSignatureV4().wrap<GetStringToSign>("getStringToSign", (original) => (canonicalRequest, signature) => {
    const raw = rawTargets.get(canonicalRequest.headers);
    return original(raw === undefined ? canonicalRequest : fixCanonicalRequest(canonicalRequest, raw), signature);
  });
}

function fixCanonicalRequest(canonicalRequest: CanonicalRequest, raw: RawTarget): CanonicalRequest {
  const needsSlash = raw.path.endsWith("/") && !canonicalRequest.uri.endsWith("/");
  return {
    ...canonicalRequest,
    uri: needsSlash ? `${canonicalRequest.uri}/` : canonicalRequest.uri,
    querystring: canonicalizeQuery(raw.query),
  };
}

/** SigV4 canonical query: names and values decoded, RFC 3986-encoded, sorted; X-Amz-Signature left out. */
function canonicalizeQuery(rawQuery: string): string {
  const pairs: Array<[string, string]> = [];
  for (const part of rawQuery.split("&")) {
    if (part === "") continue;
    const eq = part.indexOf("=");
    const name = decodeQueryComponent(eq === -1 ? part : part.slice(0, eq));
    if (name === "X-Amz-Signature") continue;
    const value = eq === -1 ? "" : decodeQueryComponent(part.slice(eq + 1));
    pairs.push([encodeRfc3986(name), encodeRfc3986(value)]);
  }
  pairs.sort(([an, av], [bn, bv]) => compare(an, bn) || compare(av, bv));
  return pairs.map(([name, value]) => `${name}=${value}`).join("&");
}

// Same decoding as Koa's ctx.query (querystring: "+" is a space), which s3rver uses for the values themselves.
function decodeQueryComponent(text: string): string {
  const spaced = text.replace(/\+/g, " ");
  try {
    return decodeURIComponent(spaced);
  } catch {
    return spaced;
  }
}

function encodeRfc3986(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
