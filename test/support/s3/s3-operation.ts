// Names a path-style S3 request after its API operation, so fault rules can target e.g. "UploadPart".

/** What the classifier needs from a request. */
export interface RequestShape {
  method: string;
  /** Raw path, e.g. `/bucket/some/key` or `/bucket/`. */
  path: string;
  /** Query parameter names present on the request. */
  query: ReadonlySet<string>;
  /** True when the x-amz-copy-source header is present. */
  copySource: boolean;
}

/** The bucket of a path-style request, or undefined for service-level calls (`GET /`). */
export function readBucket(path: string): string | undefined {
  const bucket = path.split("/")[1];
  return bucket === undefined || bucket === "" ? undefined : bucket;
}

/** The S3 API operation name of a request (e.g. `PutObject`), or `Unknown`. */
export function classifyOperation(req: RequestShape): string {
  const segments = req.path.split("/").filter((s) => s !== "");
  const method = req.method.toUpperCase();
  const has = (name: string): boolean => req.query.has(name);
  if (segments.length === 0) return method === "GET" ? "ListBuckets" : "Unknown";
  if (segments.length === 1) return classifyBucketOperation(method, has);
  switch (method) {
    case "GET":
      return has("uploadId") ? "ListParts" : has("tagging") ? "GetObjectTagging" : "GetObject";
    case "HEAD":
      return "HeadObject";
    case "PUT":
      if (has("uploadId")) return req.copySource ? "UploadPartCopy" : "UploadPart";
      if (has("tagging")) return "PutObjectTagging";
      return req.copySource ? "CopyObject" : "PutObject";
    case "POST":
      if (has("uploads")) return "CreateMultipartUpload";
      return has("uploadId") ? "CompleteMultipartUpload" : "Unknown";
    case "DELETE":
      return has("uploadId") ? "AbortMultipartUpload" : "DeleteObject";
    default:
      return "Unknown";
  }
}

function classifyBucketOperation(method: string, has: (name: string) => boolean): string {
  switch (method) {
    case "PUT":
      return "CreateBucket";
    case "DELETE":
      return "DeleteBucket";
    case "HEAD":
      return "HeadBucket";
    case "POST":
      return has("delete") ? "DeleteObjects" : "PostObject";
    case "GET":
      if (has("uploads")) return "ListMultipartUploads";
      if (has("location")) return "GetBucketLocation";
      return has("list-type") ? "ListObjectsV2" : "ListObjects";
    default:
      return "Unknown";
  }
}
