// A snapshot upload's multipart/form-data body, streamed in constant memory.
import { randomBytes } from "node:crypto";
import { Readable } from "node:stream";

/**
 * A multipart/form-data body with one file field `snapshot`, streamed: the part header, the file's bytes, the
 * closing boundary. With `size` known the Content-Length is exact, so no chunked encoding is needed.
 */
export function multipartBody(
  file: Readable,
  filename: string,
  size: number | undefined,
): { body: Readable; headers: Record<string, string> } {
  const boundary = `----qdrant-backup-restore-${randomBytes(12).toString("hex")}`;
  const safeName = filename.replace(/["\r\n\\]/g, "_");
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="snapshot"; filename="${safeName}"\r\n` +
      "Content-Type: application/octet-stream\r\n\r\n",
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  async function* parts(): AsyncGenerator<Buffer> {
    yield head;
    for await (const chunk of file) yield Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
    yield tail;
  }
  const headers: Record<string, string> = {
    "content-type": `multipart/form-data; boundary=${boundary}`,
    accept: "application/json",
  };
  if (size !== undefined) headers["content-length"] = String(head.length + size + tail.length);
  return { body: Readable.from(parts()), headers };
}
