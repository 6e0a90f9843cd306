/** Presigned GET URLs for the objects Qdrant's restore hosts download. */
import { GetObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";

/** A presigned GET URL for `key`, valid `expiresIn` seconds from `signingDate`. A bearer credential: never log it. */
export type PresignGet = (key: string, expiresIn: number, signingDate: Date) => Promise<string>;

/**
 * Presigned GETs for one bucket, by the SDK's getSignedUrl. It costs about 0.4 ms of CPU per URL (BENCHMARKS.md,
 * "S3 calls"), a few seconds over tens of thousands of recoveries: not worth a presigner of our own.
 */
export function createGetPresigner(client: S3Client, bucket: string): PresignGet {
  return (key, expiresIn, signingDate) =>
    getSignedUrl(client, new GetObjectCommand({ Bucket: bucket, Key: key }), { expiresIn, signingDate });
}
