// Which S3 server the run uses (global setup provides it) and what follows from it for the tests.
import { inject, it } from "vitest";

/** "fake" (@20minutes/s3rver with our patches) in `npm test`, "rgw" (Ceph's RADOS Gateway) in `npm run test:rgw`. */
export const s3Impl = inject("s3Impl");

/** Only the fake has fault injection (POST /__admin/faults); the gateway answers that route 404 NoSuchBucket. */
export const canInjectS3Faults = s3Impl === "fake";

/**
 * `it` for a test that injects S3 faults: it runs in the fake pass. The gateway pass has no fault injection, so there
 * it is reported as skipped (by this declaration, never by a server that went missing).
 */
export const itWithS3Faults = it.runIf(canInjectS3Faults);

/** Only the fake can back-date an object's LastModified (backdate.ts); Ceph's gateway sets it itself. */
export const canBackdateS3Objects = s3Impl === "fake";

/** `it` for a test that back-dates S3 objects (`backdateS3Object`): it runs in the fake pass only, like itWithS3Faults. */
export const itWithS3Backdating = it.runIf(canBackdateS3Objects);
