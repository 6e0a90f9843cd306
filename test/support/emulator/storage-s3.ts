/**
 * S3 snapshot storage as Qdrant's `object_store` client uses it: keys are the local path
 * normalised (`snapshots/{c}/{name}` …), uploads are always multipart, there are no checksum
 * objects, listings are recursive under the directory prefix, and deletes HEAD first.
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  S3Client,
  S3ServiceException,
  UploadPartCommand,
  type CompletedPart,
} from "@aws-sdk/client-s3";
import { open, rm } from "node:fs/promises";
import { Agent as HttpsAgent } from "node:https";
import { rootCertificates } from "node:tls";
import { Readable } from "node:stream";
import { isPlainFileName, naiveUtc } from "./names.js";
import {
  scopeSegments,
  type SnapshotDescription,
  type SnapshotScope,
  type SnapshotStore,
  type StoredSnapshot,
} from "./storage.js";

export interface S3StorageOptions {
  endpoint: string;
  bucket: string;
  accessKey: string;
  secretKey: string;
  region?: string;
  /** Qdrant's `storage.snapshots_path`; it determines the key prefix. Default `./snapshots`. */
  snapshotsPath?: string;
  /** A CA certificate (PEM) to trust besides Node's roots, for an https `endpoint` with a private CA. */
  ca?: string;
}

/** Qdrant uses 50 MiB parts (bigger only for files near the 10 000-part limit). */
const PART_SIZE = 50 * 1024 * 1024;

/** object_store percent-encodes these in a path segment, plus ASCII controls and every non-ASCII byte. */
const RESERVED = new Set(["\\", "{", "}", "^", "%", "`", "]", "[", '"', ">", "<", "~", "#", "|", "*", "?"]);

export function encodeSegment(s: string): string {
  if (s === ".") return "%2E";
  if (s === "..") return "%2E%2E";
  let out = "";
  // Byte-wise over UTF-8, like Rust's percent_encode: "é" becomes "%C3%A9".
  for (const byte of Buffer.from(s, "utf8")) {
    const ch = String.fromCharCode(byte);
    out +=
      RESERVED.has(ch) || byte < 0x20 || byte >= 0x7f ? `%${byte.toString(16).toUpperCase().padStart(2, "0")}` : ch;
  }
  return out;
}

/** `./snapshots` → `snapshots`, `/qdrant/snapshots` → `qdrant/snapshots`. */
export function normalisePrefix(snapshotsPath: string): string[] {
  return snapshotsPath
    .replace(/^(\.\/)+/, "")
    .split("/")
    .filter((s) => s !== "")
    .map(encodeSegment);
}

export function createS3Client(o: S3StorageOptions): S3Client {
  return new S3Client({
    endpoint: o.endpoint,
    region: o.region ?? "us-east-1",
    credentials: { accessKeyId: o.accessKey, secretAccessKey: o.secretKey },
    forcePathStyle: true,
    ...(o.ca === undefined
      ? {}
      : { requestHandler: { httpsAgent: new HttpsAgent({ ca: [...rootCertificates, o.ca] }) } }),
    // Plain signed payloads: some S3-compatible servers reject streaming-trailer checksums.
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  });
}

function isMissing(e: unknown): boolean {
  return (
    e instanceof S3ServiceException &&
    (e.name === "NotFound" || e.name === "NoSuchKey" || e.$metadata.httpStatusCode === 404)
  );
}

export class S3Store implements SnapshotStore {
  readonly kind = "s3";
  private readonly prefix: string[];

  constructor(
    readonly client: S3Client,
    readonly bucket: string,
    snapshotsPath = "./snapshots",
  ) {
    this.prefix = normalisePrefix(snapshotsPath);
  }

  dirKey(scope: SnapshotScope): string {
    return [...this.prefix, ...scopeSegments(scope).map(encodeSegment)].join("/");
  }

  key(scope: SnapshotScope, name: string): string {
    const dir = this.dirKey(scope);
    return dir === "" ? encodeSegment(name) : `${dir}/${encodeSegment(name)}`;
  }

  async save(scope: SnapshotScope, name: string, tmpFile: string): Promise<SnapshotDescription> {
    const Key = this.key(scope, name);
    const { UploadId } = await this.client.send(new CreateMultipartUploadCommand({ Bucket: this.bucket, Key }));
    try {
      const parts: CompletedPart[] = [];
      const fh = await open(tmpFile, "r");
      try {
        // Each part's buffer is sized to what is left of the file (never over PART_SIZE): the same parts as a full
        // 50 MiB buffer, without zero-filling 50 MiB per tiny snapshot (which dominated the bench's own CPU).
        let left = (await fh.stat()).size;
        for (let partNumber = 1; ; partNumber++) {
          const buf = Buffer.alloc(Math.min(PART_SIZE, left));
          const { bytesRead } = buf.length === 0 ? { bytesRead: 0 } : await fh.read(buf, 0, buf.length, null);
          left -= bytesRead;
          // An empty archive still needs one (empty) part to complete the upload.
          if (bytesRead === 0 && parts.length > 0) break;
          const Body = buf.subarray(0, bytesRead);
          const { ETag } = await this.client.send(
            new UploadPartCommand({ Bucket: this.bucket, Key, UploadId, PartNumber: partNumber, Body }),
          );
          parts.push({ ETag, PartNumber: partNumber });
          if (bytesRead < PART_SIZE || left <= 0) break;
        }
      } finally {
        await fh.close();
      }
      await this.client.send(
        new CompleteMultipartUploadCommand({ Bucket: this.bucket, Key, UploadId, MultipartUpload: { Parts: parts } }),
      );
    } catch (e) {
      await this.client
        .send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key, UploadId }))
        .catch(() => undefined);
      throw e;
    } finally {
      await rm(tmpFile, { force: true });
    }
    const head = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key }));
    return describe(name, head.ContentLength, head.LastModified);
  }

  async list(scope: SnapshotScope): Promise<SnapshotDescription[]> {
    const dir = this.dirKey(scope);
    const Prefix = dir === "" ? "" : `${dir}/`;
    const out: SnapshotDescription[] = [];
    let ContinuationToken: string | undefined;
    do {
      const page = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix, ContinuationToken }));
      for (const o of page.Contents ?? []) {
        if (o.Key === undefined) continue;
        // Recursive and unfiltered: shard snapshots below `{c}/shards/` show up too, by last segment.
        out.push(describe(o.Key.split("/").pop() ?? o.Key, o.Size, o.LastModified));
      }
      ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (ContinuationToken);
    return out;
  }

  async get(scope: SnapshotScope, name: string): Promise<StoredSnapshot | undefined> {
    if (!isPlainFileName(name)) return undefined;
    const Key = this.key(scope, name);
    // Like Qdrant: one streamed GetObject (no HEAD first); a missing key is the 404.
    let res;
    try {
      res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key }));
    } catch (e) {
      if (isMissing(e)) return undefined;
      throw e;
    }
    const body = res.Body;
    if (!(body instanceof Readable)) throw new Error("S3 GetObject returned no Node.js stream");
    return {
      size: res.ContentLength,
      lastModified: res.LastModified,
      path: undefined,
      // Callers always open the snapshot they asked for, which consumes this response.
      open: async (): Promise<Readable> => body,
    };
  }

  async delete(scope: SnapshotScope, name: string): Promise<boolean> {
    if (!isPlainFileName(name)) return false;
    const Key = this.key(scope, name);
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key }));
    } catch (e) {
      if (isMissing(e)) return false;
      throw e;
    }
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key }));
    return true;
  }
}

function describe(name: string, size: number | undefined, lastModified: Date | undefined): SnapshotDescription {
  // No checksum key at all: Qdrant never stores checksums next to S3 snapshots.
  return { name, creation_time: lastModified ? naiveUtc(lastModified) : null, size: size ?? 0 };
}
