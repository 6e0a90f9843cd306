// Multipart fixes: S3's ETag for completed uploads (`<md5 of the binary part md5s>-<parts>`, where s3rver
// stores a plain md5 of the whole object), NoSuchUpload for unknown upload ids, and AbortMultipartUpload
// (s3rver routes `DELETE /bucket/key?uploadId=…` to MethodNotAllowed, which breaks lib-storage's cleanup).
import { createHash } from "node:crypto";
import { readdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { type KoaContext, type Middleware, type S3ErrorClass, isS3Error, readFirst } from "./s3rver-internals.js";

/** The md5 (hex) of every stored part of an upload, by part number; throws NoSuchUpload when it is unknown. */
export async function readPartMd5s(ctx: KoaContext, S3Error: S3ErrorClass): Promise<Map<number, string>> {
  const dir = resolveUploadDir(ctx, S3Error);
  const names = await readdir(dir).catch(() => {
    throw new S3Error("NoSuchUpload", "The specified upload does not exist.", {
      UploadId: readFirst(ctx.query.uploadId) ?? "",
    });
  });
  const md5s = new Map<number, string>();
  for (const name of names) {
    const match = /^(\d+)\.md5$/.exec(name);
    if (match?.[1] !== undefined) md5s.set(Number(match[1]), (await readFile(path.join(dir, name), "utf8")).trim());
  }
  return md5s;
}

/** After s3rver completed the upload: store and answer the multipart ETag instead of the whole-object md5. */
export async function applyMultipartEtag(
  ctx: KoaContext,
  partMd5s: Map<number, string>,
  S3Error: S3ErrorClass,
): Promise<void> {
  const { bucket, key } = ctx.params;
  if (bucket === undefined || key === undefined) return;
  const numbers = readRequestedPartNumbers(ctx.request.body).sort((a, b) => a - b);
  const binary = numbers.map((n) => {
    const md5 = partMd5s.get(n);
    if (md5 === undefined) throw new S3Error("InvalidPart", "One or more of the specified parts could not be found.");
    return Buffer.from(md5, "hex");
  });
  const etag = `${createHash("md5").update(Buffer.concat(binary)).digest("hex")}-${numbers.length}`;
  // s3rver reads an object's ETag from this sidecar file (HeadObject, GetObject, ListObjects, CopyObject).
  await writeFile(ctx.store.getResourcePath(bucket, key, "object.md5"), etag);
  const result = Reflect.get(Object(ctx.body), "CompleteMultipartUploadResult");
  if (typeof result === "object" && result !== null) Reflect.set(result, "ETag", JSON.stringify(etag));
}

/** Implements AbortMultipartUpload once s3rver has authenticated the request and refused the method. */
export function createAbortMultipartUpload(S3Error: S3ErrorClass): Middleware {
  return async (ctx, next) => {
    const isAbort = ctx.method === "DELETE" && ctx.query.uploadId !== undefined && /^\/[^/]+\/./.test(ctx.path);
    if (!isAbort) return next();
    try {
      await next();
    } catch (err) {
      // MethodNotAllowed is thrown after authentication and the bucket check passed.
      if (!isS3Error(err, "MethodNotAllowed")) throw err;
      await readPartMd5s(ctx, S3Error); // NoSuchUpload when unknown
      await rm(resolveUploadDir(ctx, S3Error), { recursive: true, force: true });
      ctx.status = 204;
      ctx.body = null;
    }
  };
}

function resolveUploadDir(ctx: KoaContext, S3Error: S3ErrorClass): string {
  const uploadId = readFirst(ctx.query.uploadId) ?? "";
  const bucket = ctx.params.bucket;
  // s3rver's upload ids are hex; anything else cannot exist (and must not become a path).
  if (bucket === undefined || !/^[0-9a-f]+$/i.test(uploadId)) {
    throw new S3Error("NoSuchUpload", "The specified upload does not exist.", { UploadId: uploadId });
  }
  return path.join(ctx.store.getResourcePath(bucket, undefined, "uploads"), uploadId);
}

/** Part numbers listed in the parsed CompleteMultipartUpload XML (s3rver leaves it on ctx.request.body). */
function readRequestedPartNumbers(body: unknown): number[] {
  const root = Reflect.get(Object(body), "CompleteMultipartUpload");
  const parts: unknown = Reflect.get(Object(root), "Part");
  const list: unknown[] = Array.isArray(parts) ? parts : [parts];
  return list.map((part) => Number(Reflect.get(Object(part), "PartNumber"))).filter((n) => Number.isInteger(n));
}
