/** A test's view of its bucket through the AWS SDK: list keys, check objects, put dummy objects. */
import { HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, S3ServiceException } from "@aws-sdk/client-s3";
import { createTestS3Client } from "../../support/s3/client.js";
import type { S3ServerInfo } from "../../support/s3/launcher.js";

export interface BucketView {
  readonly name: string;
  /** Every key under `prefix`, sorted, following continuation tokens. */
  keys(prefix?: string): Promise<string[]>;
  /** True when an object with exactly this key exists. */
  has(key: string): Promise<boolean>;
  /** Puts small objects, at most `parallel` at once. */
  put(keys: readonly string[], parallel?: number): Promise<void>;
  close(): void;
}

export function createBucketView(info: S3ServerInfo, name: string): BucketView {
  const client = createTestS3Client(info, { maxAttempts: 1 });
  return {
    name,
    keys: async (prefix = "") => {
      const out: string[] = [];
      let token: string | undefined;
      do {
        const page = await client.send(
          new ListObjectsV2Command({ Bucket: name, Prefix: prefix, ContinuationToken: token }),
        );
        for (const o of page.Contents ?? []) if (o.Key !== undefined) out.push(o.Key);
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      return out.sort();
    },
    has: async (key) => {
      try {
        await client.send(new HeadObjectCommand({ Bucket: name, Key: key }));
        return true;
      } catch (err) {
        if (err instanceof S3ServiceException && err.$metadata.httpStatusCode === 404) return false;
        throw err;
      }
    },
    put: async (keys, parallel = 16) => {
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < keys.length) {
          const key = keys[next++];
          if (key !== undefined) await client.send(new PutObjectCommand({ Bucket: name, Key: key, Body: "x" }));
        }
      };
      await Promise.all(Array.from({ length: Math.min(parallel, keys.length) }, worker));
    },
    close: () => client.destroy(),
  };
}
