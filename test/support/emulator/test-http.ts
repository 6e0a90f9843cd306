/** Raw HTTP helper for emulator tests: status, headers, text, parsed JSON (when it is JSON), bytes. */

export interface RawResponse {
  status: number;
  headers: Headers;
  bytes: Buffer;
  text: string;
  /** Parsed body, or undefined when the body is not JSON. */
  json: unknown;
}

export interface CallOptions {
  body?: unknown;
  headers?: Record<string, string>;
  apiKey?: string;
  /** Send this raw body (e.g. multipart) instead of JSON. */
  raw?: Buffer;
}

function parseMaybe(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

export async function call(base: string, method: string, path: string, o: CallOptions = {}): Promise<RawResponse> {
  const headers: Record<string, string> = { ...o.headers };
  if (o.apiKey !== undefined) headers["api-key"] = o.apiKey;
  let body: Buffer | string | undefined;
  if (o.raw) body = o.raw;
  else if (o.body !== undefined) {
    headers["content-type"] = "application/json";
    body = JSON.stringify(o.body);
  }
  const res = await fetch(`${base}${path}`, { method, headers, body });
  const bytes = Buffer.from(await res.arrayBuffer());
  const text = bytes.toString("utf8");
  return { status: res.status, headers: res.headers, bytes, text, json: parseMaybe(text) };
}

/** A multipart/form-data body with one file field. */
export function multipartBody(
  field: string,
  filename: string,
  content: Buffer,
): { raw: Buffer; headers: Record<string, string> } {
  const boundary = `----emulator-test-${Math.random().toString(16).slice(2)}`;
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="${filename}"\r\nContent-Type: application/octet-stream\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  return {
    raw: Buffer.concat([head, content, tail]),
    headers: { "content-type": `multipart/form-data; boundary=${boundary}` },
  };
}

/** Poll `check` until it returns a value (not undefined), or fail after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 20));
  }
}
