// Wraps s3rver's object controller: per-key serialised writes, conditional writes, multipart ETags.
import { checkWritePreconditions, runWithKeyLock } from "./conditional-writes.js";
import { applyMultipartEtag, readPartMd5s } from "./multipart-patches.js";
import { type Controller, type S3ErrorClass, loadBucketController, loadObjectController } from "./s3rver-internals.js";

/**
 * HeadBucket reaches s3rver's ListObjects handler, which reads the metadata of up to 1,000 objects only
 * for the body to be dropped; answer it once the router has checked that the bucket exists.
 */
export function installHeadBucketPatch(): void {
  loadBucketController().wrap<Controller>("getBucket", (original) => async (ctx) => {
    if (ctx.method !== "HEAD") return original(ctx);
    ctx.body = ""; // (null would turn the status into 204)
    ctx.status = 200;
  });
}

/** Replaces putObject, completeMultipartUpload and deleteObject with patched versions (the router looks them up per call). */
export function installControllerPatches(S3Error: S3ErrorClass): void {
  const controller = loadObjectController();

  controller.wrap<Controller>(
    "putObject",
    (original) => (ctx) =>
      runWithKeyLock(ctx, async () => {
        await checkWritePreconditions(ctx, S3Error);
        await original(ctx);
      }),
  );

  controller.wrap<Controller>(
    "completeMultipartUpload",
    (original) => (ctx) =>
      runWithKeyLock(ctx, async () => {
        await checkWritePreconditions(ctx, S3Error);
        // The part files are deleted by the original; read their md5s first.
        const partMd5s = await readPartMd5s(ctx, S3Error);
        await original(ctx);
        await applyMultipartEtag(ctx, partMd5s, S3Error);
      }),
  );

  // Deletes take the same lock so a conditional write never observes a half-deleted object.
  controller.wrap<Controller>("deleteObject", (original) => (ctx) => runWithKeyLock(ctx, () => original(ctx)));
}
