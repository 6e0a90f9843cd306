/**
 * Snapshot uploads: read a `multipart/form-data` body to a temp file and pick out the `snapshot`
 * field. Qdrant receives the whole body before anything else happens, and so does this.
 */
import { randomUUID } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { readBody, type RequestCtx } from "./context.js";
import { ApiError } from "./envelope.js";

export interface UploadedFile {
  /** Temp file holding the field's bytes. */
  path: string;
  /** The client's file name with any directory part stripped; undefined when none was sent. */
  filename: string | undefined;
}

const multipartError = (msg: string): ApiError => new ApiError(400, `Multipart error: ${msg}`);

function boundaryOf(contentType: string | undefined): string {
  const m = contentType ? /^multipart\/form-data\s*;.*boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType) : null;
  const boundary = m?.[1] ?? m?.[2];
  if (!boundary) throw multipartError("Could not find Content-Type header or boundary");
  return boundary;
}

function parseDisposition(headerBlock: string): { name?: string; filename?: string } {
  const line = headerBlock.split("\r\n").find((l) => /^content-disposition:/i.test(l)) ?? "";
  const name = /\bname="([^"]*)"/i.exec(line)?.[1];
  const filename = /\bfilename="([^"]*)"/i.exec(line)?.[1];
  return { name, filename };
}

/**
 * `buf.indexOf(needle, from)` that also works past 2 GiB: Node 20's Buffer#indexOf returns a wrapped (negative)
 * 32-bit position there, so large uploads are searched in windows below that.
 */
function indexOfLarge(buf: Buffer, needle: Buffer | string, from = 0): number {
  const n = typeof needle === "string" ? Buffer.from(needle) : needle;
  const window = 1 << 30;
  for (let start = from; start < buf.length; start += window - n.length) {
    const hit = buf.subarray(start, Math.min(buf.length, start + window)).indexOf(n);
    if (hit !== -1) return start + hit;
    if (start + window >= buf.length) break;
  }
  return -1;
}

/** Read the request and return the `snapshot` field saved under `tmpDir`. */
export async function receiveSnapshotField(ctx: RequestCtx, tmpDir: string): Promise<UploadedFile> {
  const ct = ctx.headers["content-type"];
  const boundary = boundaryOf(typeof ct === "string" ? ct : undefined);
  const body = await readBody(ctx.req);
  const delimiter = Buffer.from(`--${boundary}`);
  let pos = indexOfLarge(body, delimiter);
  while (pos !== -1) {
    const afterDelimiter = pos + delimiter.length;
    if (body.subarray(afterDelimiter, afterDelimiter + 2).toString() === "--") break;
    const headerEnd = indexOfLarge(body, "\r\n\r\n", afterDelimiter);
    if (headerEnd === -1) break;
    const next = indexOfLarge(body, Buffer.concat([Buffer.from("\r\n"), delimiter]), headerEnd + 4);
    if (next === -1) throw multipartError("Incomplete body");
    const disposition = parseDisposition(body.subarray(afterDelimiter, headerEnd).toString("utf8"));
    if (disposition.name === "snapshot") {
      const path = join(tmpDir, `${randomUUID()}.upload`);
      await writeFile(path, body.subarray(headerEnd + 4, next));
      // Qdrant keeps only the last path component of the client's file name (any OS separator).
      const raw = disposition.filename?.split("\\").pop();
      const filename = raw ? basename(raw) : undefined;
      return { path, filename: filename === "" || filename === "." || filename === ".." ? undefined : filename };
    }
    pos = next + 2;
  }
  throw multipartError('Field "snapshot" is required');
}
