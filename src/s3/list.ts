/** Paginated listings of a bucket. */
import { ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";

/** One listed object: its key, size in bytes and last modification time (a store's StoredObject has this shape). */
export interface ListedObject {
  readonly key: string;
  readonly size: number;
  readonly lastModified: Date;
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
): Promise<{ keys: string[]; objects: ListedObject[]; prefixes: string[] }> {
  const keys: string[] = [];
  const objects: ListedObject[] = [];
  const prefixes: string[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, Delimiter: delimiter, ContinuationToken: token }),
      signal ? { abortSignal: signal } : {},
    );
    for (const o of page.Contents ?? []) {
      if (o.Key === undefined) continue;
      keys.push(o.Key);
      objects.push({ key: o.Key, size: o.Size ?? 0, lastModified: o.LastModified ?? new Date(0) });
    }
    for (const p of page.CommonPrefixes ?? []) if (p.Prefix !== undefined) prefixes.push(p.Prefix);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return { keys, objects, prefixes };
}
