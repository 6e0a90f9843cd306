// Conditional writes (If-None-Match: * / If-Match: <etag>) for PutObject and CompleteMultipartUpload, which
// s3rver ignores. Writes to one key are serialised, so two racing conditional PUTs cannot both win.
import { type KoaContext, type S3ErrorClass, readFirst } from "./s3rver-internals.js";

const keyQueues = new Map<string, Promise<void>>();

/** Runs task after every earlier task of the same key has settled (a per-key FIFO mutex). */
export async function runWithKeyLock(ctx: KoaContext, task: () => Promise<void>): Promise<void> {
  const id = `${ctx.params.bucket ?? ""}/${ctx.params.key ?? ""}`;
  const previous = keyQueues.get(id) ?? Promise.resolve();
  const current = previous.then(task, task);
  const tail = current.catch(() => undefined);
  keyQueues.set(id, tail);
  try {
    await current;
  } finally {
    if (keyQueues.get(id) === tail) keyQueues.delete(id);
  }
}

/**
 * Throws 412 PreconditionFailed when the request's If-None-Match / If-Match does not hold for the current object.
 * If-None-Match accepts only `*` (as on S3; other values answer 501). If-Match on an absent key answers 404
 * NoSuchKey, as real S3 does.
 * Call it while holding the key's lock.
 */
export async function checkWritePreconditions(ctx: KoaContext, S3Error: S3ErrorClass): Promise<void> {
  const ifNoneMatch = readFirst(ctx.headers["if-none-match"])?.trim();
  const ifMatch = readFirst(ctx.headers["if-match"])?.trim();
  if (ifNoneMatch === undefined && ifMatch === undefined) return;
  const reject = (error: InstanceType<S3ErrorClass>): never => {
    ctx.req.resume(); // discard the unread body so the connection can be reused
    throw error;
  };
  if (ifNoneMatch !== undefined && ifNoneMatch !== "*") {
    reject(
      new S3Error("NotImplemented", "A header you provided implies functionality that is not implemented", {
        Header: "If-None-Match",
      }),
    );
  }
  const current = await readCurrentEtag(ctx);
  if (ifNoneMatch !== undefined && current !== undefined) {
    reject(
      new S3Error("PreconditionFailed", "At least one of the pre-conditions you specified did not hold", {
        Condition: "If-None-Match",
      }),
    );
  }
  if (ifMatch !== undefined && current === undefined) {
    reject(new S3Error("NoSuchKey", "The specified key does not exist.", { Key: ctx.params.key ?? "" }));
  }
  if (ifMatch !== undefined && current !== undefined && !matchesEtagList(ifMatch, current)) {
    reject(
      new S3Error("PreconditionFailed", "At least one of the pre-conditions you specified did not hold", {
        Condition: "If-Match",
      }),
    );
  }
}

/** The current object's ETag without quotes, or undefined when the key does not exist. */
async function readCurrentEtag(ctx: KoaContext): Promise<string | undefined> {
  const { bucket, key } = ctx.params;
  if (bucket === undefined || key === undefined) return undefined;
  try {
    const metadata = await ctx.store.getMetadata(bucket, key);
    return stripEtag(metadata.etag);
  } catch (err) {
    if (err instanceof Error && Reflect.get(err, "code") === "ENOENT") return undefined;
    throw err;
  }
}

function matchesEtagList(header: string, current: string): boolean {
  return header.split(",").some((candidate) => {
    const trimmed = candidate.trim();
    return trimmed === "*" || stripEtag(trimmed) === current;
  });
}

function stripEtag(etag: string): string {
  return etag.replace(/^W\//, "").replace(/"/g, "");
}
