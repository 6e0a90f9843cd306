/**
 * Secret hygiene in one place: every log line, error message and JSON summary passes through a Redactor.
 * It hides the registered secrets (API key, S3 secret) wherever they appear, and the query string of any URL,
 * because a presigned URL's query (X-Amz-Signature, X-Amz-Credential) is a bearer credential.
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

  /** Returns `text` with secrets replaced by `***` and URL query strings by `?<redacted>`. */
  redact(text: string): string {
    let out = redactUrlQueries(text);
    for (const secret of this.secrets) out = out.split(secret).join("***");
    return out;
  }
}

// The query runs to the next space or quote; punctuation right before that (`url?q: status 500`) is the sentence's.
const URL_WITH_QUERY = /\b(https?:\/\/[^\s"'<>?#]*)\?[^\s"'<>]*?(?=[:,;.)\]]*(?:[\s"'<>]|$))/gi;
const AMZ_PARAM = /\b(X-Amz-(?:Signature|Credential|Security-Token))=[^&\s"'<>]*/gi;

/** Strips the query string of every http(s) URL in `text`, and any stray X-Amz-* credential parameter. */
export function redactUrlQueries(text: string): string {
  return text.replace(URL_WITH_QUERY, "$1?<redacted>").replace(AMZ_PARAM, "$1=<redacted>");
}
