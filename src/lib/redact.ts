/**
 * Secret hygiene in one place: every log line, error message and JSON summary passes through a Redactor.
 * It hides the registered secrets (API key, S3 secret) wherever they appear, and the credential parameters of any
 * URL's query (a presigned URL's X-Amz-Signature, X-Amz-Credential… are a bearer credential), keeping the others
 * (`?wait=true`, `?checksum=…`) readable.
 */
export class Redactor {
  private readonly secrets: string[] = [];

  /** Registers a value that must never be printed. Empty and very short values are ignored (they would mask noise). */
  addSecret(value: string | undefined): void {
    if (value && value.length >= 4 && !this.secrets.includes(value)) {
      this.secrets.push(value);
      // Longest first, so a secret that contains another is masked whole.
      this.secrets.sort((a, b) => b.length - a.length);
    }
  }

  /** Returns `text` with secrets replaced by `***` and credential query parameters' values by `<redacted>`. */
  redact(text: string): string {
    let out = redactUrlQueries(text);
    for (const secret of this.secrets) out = out.split(secret).join("***");
    return out;
  }
}

// The query runs to the next space or quote; punctuation right before that (`url?q: status 500`) is the sentence's.
const URL_WITH_QUERY = /\b(https?:\/\/[^\s"'<>?#]*)\?([^\s"'<>]*?)(?=[:,;.)\]]*(?:[\s"'<>]|$))/gi;
const AMZ_PARAM = /\b(X-Amz-(?:Signature|Credential|Security-Token))=(?!<redacted>)[^&\s"'<>]*/gi;
/**
 * Query parameters that carry a credential: every AWS SigV4 (`X-Amz-*`) and Google (`X-Goog-*`) presign parameter,
 * SigV2's `AWSAccessKeyId`/`Signature`, Azure SAS `sig`, and the usual key, token and password names.
 */
const CREDENTIAL_PARAM =
  /^(x-amz-.*|x-goog-.*|awsaccesskeyid|signature|sig|api[-_]?key|access[-_]?token|id[-_]?token|refresh[-_]?token|token|auth|authorization|password|passwd|pwd|secret|client[-_]?secret|credential|security[-_]?token|key)$/i;
/** A value that holds another URL or an encoded credential parameter is masked whole, whatever its name. */
const NESTED = /%3f|%3d|x-amz-|signature/i;

/**
 * Masks the value of every credential parameter (CREDENTIAL_PARAM) in the query of every http(s) URL in `text`, and
 * any stray X-Amz-* credential parameter outside one; other parameters are kept.
 */
export function redactUrlQueries(text: string): string {
  return text
    .replace(URL_WITH_QUERY, (_match, base: string, query: string) => `${base}?${redactQuery(query)}`)
    .replace(AMZ_PARAM, "$1=<redacted>");
}

function redactQuery(query: string): string {
  return query
    .split("&")
    .map((part) => {
      const eq = part.indexOf("=");
      if (eq < 0) return part;
      const name = part.slice(0, eq);
      return CREDENTIAL_PARAM.test(decodeName(name)) || NESTED.test(part.slice(eq + 1)) ? `${name}=<redacted>` : part;
    })
    .join("&");
}

/** A parameter name, percent-decoded when it is valid percent-encoding. */
function decodeName(name: string): string {
  try {
    return decodeURIComponent(name.replace(/\+/g, " "));
  } catch {
    return name;
  }
}
