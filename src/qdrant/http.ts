import type { Readable } from "node:stream";
import { Agent, request, type Dispatcher } from "undici";
import { InterruptedError } from "../errors.js";
import { retry } from "../lib/retry.js";
import { failFor, shorten, toOutcome, transportFailure, type Outcome } from "./answers.js";
import { retryDecision, type CallKind } from "./errors.js";
import type { CallOptions, QdrantHttpOptions } from "./http-options.js";

export type { CallOptions, QdrantHttpOptions } from "./http-options.js";

/** One undici Agent for all hosts; unwraps Qdrant's envelope; retries what is worth retrying. */
export class QdrantHttp {
  private readonly agent: Agent;

  constructor(
    private readonly opts: QdrantHttpOptions,
    agent?: Agent,
  ) {
    // Like curl's --max-time, CURL_TIMEOUT covers connecting too.
    const connectTimeout = opts.connectTimeoutMs ?? Math.min(30_000, opts.timeoutMs);
    this.agent =
      agent ??
      new Agent({
        connect: { timeout: connectTimeout },
        headersTimeout: opts.timeoutMs,
        bodyTimeout: opts.timeoutMs,
        keepAliveTimeout: 10_000,
      });
  }

  /**
   * The same transport (its connections included) under another signal: for the clean-up a task owes after the run's
   * signal fired (the drill's scratch collection), bounded by a deadline of its own. Closing it closes this one's agent.
   */
  withSignal(signal: AbortSignal): QdrantHttp {
    return new QdrantHttp({ ...this.opts, signal }, this.agent);
  }

  /** Calls `method host+path` and returns the unwrapped outcome, or throws QdrantError / InterruptedError. */
  async call(method: string, host: string, path: string, options: CallOptions = {}): Promise<Outcome> {
    const once = () => this.callOnce(method, host, path, options.body);
    try {
      return await this.withRetry(once, options.kind ?? "reads");
    } catch (err) {
      // An abort can surface from the backoff sleep as the signal's own reason; report it as the interrupt it is.
      if (this.opts.signal.aborted && !(err instanceof InterruptedError)) throw new InterruptedError();
      throw err;
    }
  }

  /** Runs `once`, an idempotent request (e.g. a GET through stream()), with the retry policy of call(). */
  retrying<T>(once: () => Promise<T>): Promise<T> {
    return this.withRetry(once, "reads");
  }

  private withRetry<T>(once: () => Promise<T>, kind: CallKind): Promise<T> {
    return retry(once, {
      retries: this.opts.retries,
      baseDelayMs: this.opts.retryBaseDelayMs ?? 500,
      signal: this.opts.signal,
      classify: (err) => retryDecision(err, kind),
      onRetry: (err, attempt, delayMs) =>
        this.opts.log.warn(
          `${(err as Error).message}; retry ${attempt + 1} of ${this.opts.retries} in ${Math.round(delayMs)} ms`,
        ),
    });
  }

  /** Waits for the requests in flight, then closes every connection. */
  async close(): Promise<void> {
    await this.agent.close();
  }

  /** Closes every connection now, failing the requests in flight (the end of a shutdown's deadline). */
  async destroy(): Promise<void> {
    await this.agent.destroy();
  }

  private async callOnce(method: string, host: string, path: string, body: unknown): Promise<Outcome> {
    const { signal, log, apiKey, timeoutMs } = this.opts;
    if (signal.aborted) throw new InterruptedError();
    // The run's signal or CURL_TIMEOUT, whichever comes first, aborts the request (body included). One controller, a
    // timer and a listener: AbortSignal.any over AbortSignal.timeout cost about twice as much per request, and their
    // weak references and finalizers kept garbage alive across collections (measured in bench/overhead.ts).
    const abort = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      abort.abort(new DOMException(`no answer within ${timeoutMs} ms`, "TimeoutError"));
    }, timeoutMs);
    const onAbort = (): void => abort.abort(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    const started = performance.now();
    const headers: Record<string, string> = { accept: "application/json" };
    if (apiKey) headers["api-key"] = apiKey;
    if (body !== undefined) headers["content-type"] = "application/json";
    const fail = failFor(method, host, path);
    let status: number;
    let text: string;
    let contentType: string;
    let retryAfter: string | undefined;
    try {
      const res = await request(host + path, {
        method: method as "GET",
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        dispatcher: this.agent,
        signal: abort.signal,
      });
      status = res.statusCode;
      contentType = String(res.headers["content-type"] ?? "");
      const ra = res.headers["retry-after"];
      retryAfter = Array.isArray(ra) ? ra[0] : ra;
      text = await res.body.text();
    } catch (err) {
      if (signal.aborted) throw new InterruptedError();
      if (timedOut)
        throw fail("timeout", undefined, `no answer within ${Math.round(timeoutMs / 1000)} s (CURL_TIMEOUT)`, {
          cause: err,
        });
      throw transportFailure(fail, err);
    } finally {
      clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
      if (log.level === "verbose")
        log.debug(`${method} ${host}${path} ${status! ?? "-"} ${Math.round(performance.now() - started)} ms`);
    }
    return toOutcome(fail, status, contentType, text, retryAfter);
  }

  /**
   * A raw byte transfer: a snapshot download (the answer's body is returned as a stream, with its headers), or an
   * upload (`body` is streamed out). A non-2xx answer is read and thrown as QdrantError, as call() does. Never
   * retried: a stream cannot be replayed; the caller decides (e.g. resume a download with `range`). The CURL_TIMEOUT
   * applies to waiting for the headers and to each pause between bytes, not to the whole transfer.
   */
  async stream(
    method: string,
    host: string,
    path: string,
    opts: { body?: Readable; headers?: Record<string, string> } = {},
  ): Promise<{
    status: number;
    headers: Record<string, string | string[] | undefined>;
    body: Dispatcher.ResponseData["body"];
  }> {
    const { signal, log, apiKey } = this.opts;
    if (signal.aborted) throw new InterruptedError();
    const headers: Record<string, string> = { ...opts.headers };
    if (apiKey) headers["api-key"] = apiKey;
    const fail = failFor(method, host, path);
    const started = performance.now();
    let res: Dispatcher.ResponseData;
    try {
      res = await request(host + path, {
        method: method as "GET",
        headers,
        body: opts.body,
        dispatcher: this.agent,
        signal,
      });
    } catch (err) {
      if (signal.aborted) throw new InterruptedError();
      const code = (err as { code?: unknown }).code;
      if (code === "UND_ERR_HEADERS_TIMEOUT")
        throw fail(
          "timeout",
          undefined,
          `no answer within ${Math.round(this.opts.timeoutMs / 1000)} s (CURL_TIMEOUT)`,
          { cause: err },
        );
      throw transportFailure(fail, err);
    }
    log.debug(`${method} ${host}${path} ${res.statusCode} ${Math.round(performance.now() - started)} ms (stream)`);
    if (res.statusCode >= 200 && res.statusCode < 300)
      return { status: res.statusCode, headers: res.headers, body: res.body };
    const text = await res.body.text().catch(() => "");
    const ra = res.headers["retry-after"];
    // toOutcome throws for every non-2xx status.
    toOutcome(fail, res.statusCode, String(res.headers["content-type"] ?? ""), text, Array.isArray(ra) ? ra[0] : ra);
    throw fail("http", res.statusCode, shorten(text));
  }
}
