import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3ServiceException,
  type S3Client,
} from "@aws-sdk/client-s3";
import { InterruptedError, UpstreamError } from "../errors.js";
import { describeS3Error } from "./client.js";
import { listObjects } from "./list.js";

/**
 * Whole small objects in one bucket (the mirrored state files, the state lease). Errors are UpstreamError (exit 4)
 * naming the key.
 */
export interface ObjectStore {
  readonly bucket: string;
  /** The object's bytes, or undefined when there is no such key. */
  get(key: string): Promise<Uint8Array | undefined>;
  /** The object's bytes and ETag (without quotes), or undefined when there is no such key. */
  getTagged(key: string, call?: CallOptions): Promise<{ body: Uint8Array; etag: string } | undefined>;
  /**
   * Writes only if the condition holds; returns the new ETag (without quotes), or "conflict" (412, 409, or If-Match
   * on a missing key, which some stores answer 412 and others 404). `ifMatch` is compared without quotes: see
   * {@link createObjectStore} for the stores that match only one form.
   */
  putIf(
    key: string,
    body: Uint8Array,
    condition: { ifNoneMatch: "*" } | { ifMatch: string },
    call?: CallOptions,
  ): Promise<string | "conflict">;
  put(key: string, body: Uint8Array, contentType: string): Promise<void>;
  /** Server-side copy of `from` to `to` in the same bucket; false when `from` does not exist. */
  copy(from: string, to: string): Promise<boolean>;
  delete(key: string, call?: CallOptions): Promise<void>;
  /** The keys directly under `prefix` (delimiter `/`). */
  list(prefix: string): Promise<string[]>;
}

/** Per call: `signal` cancels this request (and its SDK retries), e.g. at a deadline; an abort is an UpstreamError. */
export interface CallOptions {
  signal?: AbortSignal;
}

/** An ETag without its quotes and weak prefix (`W/"abc"` → `abc`): the form ETags are kept and compared in. */
export function unquoteEtag(etag: string): string {
  return etag
    .trim()
    .replace(/^W\//, "")
    .replace(/^"(.*)"$/, "$1");
}

/**
 * An ObjectStore over `bucket`. `signal`, when given, cancels requests in flight; the state mirror passes none,
 * so what an interrupted run recorded still reaches the bucket.
 *
 * If-Match: S3 matches the quoted ETag (`"abc"`, as HTTP writes it); Ceph's RADOS Gateway compares the header byte
 * for byte with its stored, unquoted ETag and answers 412 to the quoted form. The store sends the quoted form first;
 * a 412 is then checked by looking (HEAD): when the object still has that very ETag, the store did not understand
 * the form, and the same conditional PUT is sent once with the bare ETag. The form that worked is kept for later
 * writes. Each attempt is itself conditional, so a write by another run in between still makes it fail.
 */
export function createObjectStore(client: S3Client, bucket: string, signal?: AbortSignal): ObjectStore {
  const send = async <T>(what: string, key: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      if (signal?.aborted) throw new InterruptedError();
      throw new UpstreamError(`S3 ${what} s3://${bucket}/${key} failed: ${describeS3Error(err)}`, { cause: err });
    }
  };
  const options = signal ? { abortSignal: signal } : {};
  // The store's signal and the call's, when both are given.
  const optionsFor = (call: CallOptions | undefined) =>
    call?.signal === undefined
      ? options
      : { abortSignal: signal ? AbortSignal.any([signal, call.signal]) : call.signal };
  const getTagged = (key: string, call?: CallOptions) =>
    send("GET", key, async () => {
      try {
        const reply = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }), optionsFor(call));
        const body = reply.Body ? await reply.Body.transformToByteArray() : new Uint8Array();
        return { body, etag: unquoteEtag(reply.ETag ?? "") };
      } catch (err) {
        if (isNoSuchKey(err)) return undefined;
        throw err;
      }
    });
  /** Which If-Match form this store matches, once a conditional write has succeeded with it. */
  let ifMatchForm: IfMatchForm | undefined;
  const putConditional = async (
    key: string,
    body: Uint8Array,
    cond: { IfMatch: string } | { IfNoneMatch: string },
    call: CallOptions | undefined,
  ): Promise<string> => {
    try {
      const reply = await client.send(
        new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: "application/json", ...cond }),
        optionsFor(call),
      );
      return unquoteEtag(reply.ETag ?? "");
    } catch (err) {
      if (isConflict(err)) return "conflict";
      // A server error leaves it open whether the write landed (Ceph's gateway answers 500 to the losers of racing
      // conditional writes): look. Our bytes there mean it did; anything else, that it did not.
      if (isServerError(err)) {
        const found = await getTagged(key, call);
        if (found !== undefined && Buffer.from(found.body).equals(body)) return found.etag;
        if (found !== undefined || "IfMatch" in cond) return "conflict";
      }
      throw err;
    }
  };
  const currentEtag = async (key: string, call: CallOptions | undefined): Promise<string | undefined> => {
    try {
      return unquoteEtag(
        (await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }), optionsFor(call))).ETag ?? "",
      );
    } catch (err) {
      if (err instanceof S3ServiceException && (err.name === "NotFound" || err.name === "NoSuchKey")) return undefined;
      throw err;
    }
  };
  return {
    bucket,
    get: async (key) => (await getTagged(key))?.body,
    getTagged,
    putIf: (key, body, condition, call) =>
      send("PUT", key, async () => {
        if ("ifNoneMatch" in condition) return putConditional(key, body, { IfNoneMatch: condition.ifNoneMatch }, call);
        const bare = unquoteEtag(condition.ifMatch);
        for (const form of ifMatchForm === undefined ? IF_MATCH_FORMS : [ifMatchForm]) {
          const etag = await putConditional(key, body, { IfMatch: form === "quoted" ? `"${bare}"` : bare }, call);
          if (etag !== "conflict") {
            ifMatchForm = form;
            return etag;
          }
          // A real conflict unless the object still has that ETag (then this form was not understood: try the next).
          if (ifMatchForm !== undefined || (await currentEtag(key, call)) !== bare) return "conflict";
        }
        return "conflict";
      }),
    put: (key, body, contentType) =>
      send("PUT", key, async () => {
        await client.send(
          new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: contentType }),
          options,
        );
      }),
    copy: (from, to) =>
      send("COPY to", to, async () => {
        try {
          // CopySource is "bucket/key", URL-encoded (the SDK sends it as a header verbatim).
          const source = `${bucket}/${from.split("/").map(encodeURIComponent).join("/")}`;
          await client.send(new CopyObjectCommand({ Bucket: bucket, Key: to, CopySource: source }), options);
          return true;
        } catch (err) {
          if (isNoSuchKey(err)) return false;
          throw err;
        }
      }),
    list: (prefix) => send("LIST", prefix, async () => (await listObjects(client, bucket, prefix, "/", signal)).keys),
    delete: (key, call) =>
      send("DELETE", key, async () => {
        await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }), optionsFor(call));
      }),
  };
}

type IfMatchForm = "quoted" | "bare";
const IF_MATCH_FORMS: readonly IfMatchForm[] = ["quoted", "bare"];

// Only NoSuchKey: a 404 can also be NoSuchBucket, which is an error, never "no state yet".
function isNoSuchKey(err: unknown): boolean {
  return err instanceof S3ServiceException && err.name === "NoSuchKey";
}

function isServerError(err: unknown): boolean {
  return err instanceof S3ServiceException && (err.$metadata.httpStatusCode ?? 0) >= 500;
}

// 412: the precondition failed; 409: S3's ConditionalRequestConflict (another conditional write in flight);
// NoSuchKey: If-Match on a key deleted in the meantime.
function isConflict(err: unknown): boolean {
  if (!(err instanceof S3ServiceException)) return false;
  const status = err.$metadata.httpStatusCode;
  return status === 412 || status === 409 || err.name === "PreconditionFailed" || err.name === "NoSuchKey";
}
