import { GetObjectCommand, ListObjectsV2Command, S3Client, S3ServiceException } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import type { Config } from "../config.js";
import { InterruptedError, UpstreamError } from "../errors.js";

/** What the tasks need from S3: listings and presigned GETs of Qdrant's snapshot objects. */
export interface SnapshotStore {
  /** Every key under `prefix` (recursive), following continuation tokens past 1,000 keys. */
  listKeys(prefix: string): Promise<string[]>;
  /** The common prefixes one level under `prefix` (delimiter `/`). */
  listPrefixes(prefix: string): Promise<string[]>;
  /** A presigned GET URL for `key`, valid for `expirySeconds`. A bearer credential: never log it. */
  presignGet(key: string, expirySeconds: number): Promise<string>;
  readonly bucket: string;
}

/** Creates the S3 client: path-style for custom endpoints, the configured region, bounded SDK retries. */
export function createS3Client(config: Config): S3Client {
  const { endpoint, accessKeyId, secretAccessKey, region } = config.s3;
  return new S3Client({
    region,
    ...(endpoint ? { endpoint, forcePathStyle: true } : {}),
    ...(accessKeyId && secretAccessKey ? { credentials: { accessKeyId, secretAccessKey } } : {}),
    maxAttempts: config.retries + 1,
  });
}

/** A SnapshotStore over one bucket. Errors become UpstreamError (exit 4) naming the bucket and operation. */
export function createSnapshotStore(client: S3Client, bucket: string, signal: AbortSignal): SnapshotStore {
  const wrap = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      if (signal.aborted) throw new InterruptedError();
      throw new UpstreamError(`S3 ${what} failed: ${describeS3Error(err)}`, { cause: err });
    }
  };
  const list = (prefix: string, delimiter: string | undefined) => listObjects(client, bucket, prefix, delimiter, signal);
  return {
    bucket,
    listKeys: (prefix) => wrap(`listing s3://${bucket}/${prefix}`, async () => (await list(prefix, undefined)).keys),
    listPrefixes: (prefix) => wrap(`listing s3://${bucket}/${prefix}`, async () => (await list(prefix, "/")).prefixes),
    presignGet: (key, expirySeconds) =>
      wrap(`presigning s3://${bucket}/${key}`, () =>
        getSignedUrl(client, new GetObjectCommand({ Bucket: bucket, Key: key }), { expiresIn: expirySeconds }),
      ),
  };
}

/**
 * Every key and common prefix under `prefix`, following continuation tokens past 1,000 keys.
 * @param delimiter `/` for one level (common prefixes), undefined for a recursive listing
 */
export async function listObjects(
  client: S3Client,
  bucket: string,
  prefix: string,
  delimiter: string | undefined,
  signal?: AbortSignal,
): Promise<{ keys: string[]; prefixes: string[] }> {
  const keys: string[] = [];
  const prefixes: string[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, Delimiter: delimiter, ContinuationToken: token }),
      signal ? { abortSignal: signal } : {},
    );
    for (const o of page.Contents ?? []) if (o.Key !== undefined) keys.push(o.Key);
    for (const p of page.CommonPrefixes ?? []) if (p.Prefix !== undefined) prefixes.push(p.Prefix);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return { keys, prefixes };
}

/** A short, secret-free description of an S3 SDK error: its code, HTTP status and message. */
export function describeS3Error(err: unknown): string {
  if (err instanceof S3ServiceException) {
    const status = err.$metadata.httpStatusCode;
    return `${err.name}${status ? ` (HTTP ${status})` : ""}: ${err.message}`;
  }
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return `${typeof code === "string" ? `${code}: ` : ""}${err.message}`;
  }
  return String(err);
}
