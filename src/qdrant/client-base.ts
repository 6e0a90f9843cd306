// The base of the typed Qdrant client: one transport, and the envelope checks every call's answer goes through.
import { QdrantError } from "./errors.js";
import type { Outcome } from "./answers.js";
import type { QdrantHttp } from "./http.js";

/** Calls through one QdrantHttp; `result`/`parse` turn an answer into a typed value or a QdrantError naming the call. */
export class QdrantCalls {
  constructor(protected readonly http: QdrantHttp) {}

  protected async result<T>(method: string, host: string, path: string, parse: (v: unknown) => T): Promise<T> {
    return this.parse(method, host, path, await this.http.call(method, host, path), parse);
  }

  protected parse<T>(method: string, host: string, path: string, out: Outcome, parse: (v: unknown) => T): T {
    if (out.status === "accepted") {
      throw new QdrantError(
        "invalid-response",
        method,
        host,
        path,
        202,
        "answered accepted where a result was expected",
      );
    }
    try {
      return parse(out.result);
    } catch (err) {
      throw new QdrantError(
        "invalid-response",
        method,
        host,
        path,
        200,
        `unexpected answer: ${(err as Error).message}`,
      );
    }
  }
}
