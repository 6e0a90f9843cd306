// The objects doctor writes under its probe prefix, removed on every path within a deadline.
import {
  AbortMultipartUploadCommand,
  DeleteObjectCommand,
  S3ServiceException,
  type S3Client,
} from "@aws-sdk/client-s3";
import type { Logger } from "../../log.js";
import { describeS3Error } from "../../s3/client.js";

/** How long the removal of doctor's probe objects may take in all, ms. */
export const PROBE_CLEANUP_DEADLINE_MS = 30_000;

/** The probe prefix's keys and multipart uploads, for `cleanup()` in a finally. */
export class S3Probe {
  private readonly keys = new Set<string>();
  private readonly uploads = new Map<string, string>();

  constructor(
    readonly client: S3Client,
    readonly bucket: string,
    /** `doctor-probe/{id}/`: nothing else ever lives there. */
    readonly prefix: string,
  ) {}

  /** A key under the probe prefix, remembered for the cleanup before anything is written to it. */
  key(name: string): string {
    const key = `${this.prefix}${name}`;
    this.keys.add(key);
    return key;
  }

  /** A multipart upload started under the probe prefix, aborted at cleanup unless `completed`. */
  startedUpload(key: string, uploadId: string): void {
    this.uploads.set(uploadId, key);
  }

  completed(uploadId: string): void {
    this.uploads.delete(uploadId);
  }

  /** Deletes every probe key and aborts every open upload; failures are logged (naming the key), never thrown. */
  async cleanup(log: Logger): Promise<void> {
    const abortSignal = AbortSignal.timeout(PROBE_CLEANUP_DEADLINE_MS);
    const quiet = async (what: string, fn: () => Promise<unknown>) => {
      try {
        await fn();
      } catch (err) {
        if (err instanceof S3ServiceException && (err.name === "NoSuchKey" || err.name === "NoSuchUpload")) return;
        log.warn(`doctor: could not remove ${what}: ${describeS3Error(err)}; delete it by hand`);
      }
    };
    for (const [UploadId, Key] of this.uploads)
      await quiet(`the multipart upload of s3://${this.bucket}/${Key}`, () =>
        this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key, UploadId }), { abortSignal }),
      );
    for (const Key of this.keys)
      await quiet(`s3://${this.bucket}/${Key}`, () =>
        this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key }), { abortSignal }),
      );
  }
}

/** The HTTP status of an S3 SDK error, if it has one. */
export function statusOf(err: unknown): number | undefined {
  return err instanceof S3ServiceException ? err.$metadata.httpStatusCode : undefined;
}
