/**
 * How a restore host gets a stored snapshot (QDRANT_RECOVER_VIA):
 * - `url`: the host downloads it from a presigned URL (S3 only), with `checksum` when the backup metadata knows the
 *   SHA-256, so Qdrant verifies the bytes before it recovers anything;
 * - `upload`: the tool streams the object out of the destination into `POST …/snapshots/upload` (with the same
 *   `checksum`), in constant memory and without touching the tool's disk. The only way with QDRANT_BACKUP_DIR, and
 *   the way for nodes that cannot reach the storage.
 */
import { PassThrough } from "node:stream";
import { describeError, isFatal } from "./task/items.js";
import type { Deps } from "./task/deps.js";
import { EXIT, ToolError } from "../errors.js";
import { retry } from "../lib/retry.js";
import { QdrantError, retryDecision } from "../qdrant/errors.js";
import { collectionSnapshotKey } from "../core/keys.js";
import { readMetadata, type BackupMetadata } from "./metadata.js";
import { countBytes } from "./task/progress.js";

/** A collection snapshot in the destination. */
export interface StoredSnapshot {
  collection: string;
  /** The snapshot's name (also the upload's file name, which Qdrant keeps under `snapshots/{collection}/`). */
  name: string;
  /** Its key in the destination (`snapshots/{collection}/{name}`). */
  key: string;
  /** SHA-256 (64 lowercase hex) from the backup metadata, when known: Qdrant refuses other bytes. */
  sha256?: string;
  /** A shard snapshot: recovered into this shard of the collection (…/shards/{shard}/snapshots/…). */
  shard?: number;
}

/** Overrides of QDRANT_RECOVER_VIA and QDRANT_WAIT_ON_TASK for one recovery (recover_snap_shards always waits). */
export interface RecoverOverrides {
  via?: "url" | "upload";
  wait?: boolean;
}

/** Why a recovery failed before Qdrant could answer; `status` is what failed_snapshot_recovery records. */
export class RecoverySourceError extends ToolError {
  constructor(
    readonly status: "presign_failed" | "missing" | "store-read",
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, EXIT.partial, options);
  }
}

/**
 * Recovers `snap.collection` on `host` from the destination, by URL or by upload, with priority `snapshot` and
 * QDRANT_WAIT_ON_TASK. A failure that proves the node did nothing (a refused connection, 429, a download of the
 * node's own that got a transient answer) is retried, by URL in the transport (QdrantHttp), an upload here from a
 * freshly opened object, up to QDRANT_RETRIES times (each attempt opens the object anew, so every restore host gets
 * its own stream). An ambiguous failure (a timeout, a lost connection, 502/503/504) is thrown: the caller resolves it
 * by looking (ambiguous-recover.ts). What still fails is recorded and picked up by the next run.
 * @throws RecoverySourceError (presign failed, object missing, destination read failed mid-upload), QdrantError
 *   (the host's answer or the transport), UpstreamError (the destination cannot be read at all)
 */
export async function recoverFromStore(
  deps: Pick<Deps, "config" | "qdrant" | "store" | "signal" | "log">,
  host: string,
  snap: StoredSnapshot,
  overrides: RecoverOverrides = {},
): Promise<"ok" | "accepted"> {
  const { config, qdrant, signal } = deps;
  const store = deps.store();
  const checksum = snap.sha256 !== undefined ? { checksum: snap.sha256 } : {};
  const wait = overrides.wait ?? config.waitOnTask;
  if ((overrides.via ?? config.recoverVia) === "url") {
    let location: string;
    try {
      // Presigned right before the call, so a long queue cannot eat the URL's lifetime.
      if (!store.presignGet)
        throw new Error(`${store.location} cannot give restore hosts a URL; use QDRANT_RECOVER_VIA=upload`);
      location = await store.presignGet(snap.key, config.linkExpirySeconds);
    } catch (err) {
      if (signal.aborted) throw err;
      throw new RecoverySourceError("presign_failed", err instanceof Error ? err.message : String(err), { cause: err });
    }
    const req = { location, priority: "snapshot" as const, ...checksum };
    return snap.shard === undefined
      ? qdrant.recoverSnapshot(host, snap.collection, req, wait)
      : qdrant.recoverShardSnapshot(host, snap.collection, snap.shard, req, wait);
  }
  return retry(() => uploadFromStore(deps, host, snap, checksum, wait), {
    retries: config.retries,
    signal,
    classify: (err) => retryDecision(err, "changes"),
    onRetry: (err, attempt, delayMs) =>
      deps.log.warn(
        `${err instanceof Error ? err.message : String(err)}; upload retry ${attempt + 1} of ${config.retries} in ${Math.round(delayMs)} ms`,
      ),
  });
}

/** One upload of `snap` into `host`, streamed from a freshly opened object. */
async function uploadFromStore(
  deps: Pick<Deps, "config" | "qdrant" | "store" | "signal">,
  host: string,
  snap: StoredSnapshot,
  checksum: { checksum?: string },
  wait: boolean,
): Promise<"ok" | "accepted"> {
  const { qdrant, signal } = deps;
  const store = deps.store();
  const found = await store.get(snap.key);
  if (found === undefined) throw new RecoverySourceError("missing", `${store.location}/${snap.key} does not exist`);
  // The object flows through a pass-through, so a read error of the destination is told apart from the upload's own
  // failures (the HTTP client destroys the body it was given when the request fails).
  let readError: Error | undefined;
  const body = new PassThrough();
  found.body.on("error", (err: Error) => {
    readError ??= err;
    body.destroy(err);
  });
  // The upload reads `body` by iteration, which reports its error; this keeps a late one from going unhandled.
  body.on("error", () => undefined);
  const counted = countBytes();
  found.body.on("data", (chunk: Buffer) => counted(chunk.length)); // beside the pipe, which reads the same events
  found.body.pipe(body);
  try {
    const target =
      snap.shard === undefined ? { collection: snap.collection } : { collection: snap.collection, shard: snap.shard };
    return await qdrant.uploadSnapshot(host, target, body, {
      filename: snap.name,
      ...(Number.isFinite(found.size) ? { size: found.size } : {}),
      ...checksum,
      priority: "snapshot",
      wait,
    });
  } catch (err) {
    if (readError && !signal.aborted) {
      throw new RecoverySourceError(
        "store-read",
        `reading ${store.location}/${snap.key} for ${host} failed: ${readError.message}`,
        { cause: err },
      );
    }
    throw err;
  } finally {
    // Releases the file or the S3 connection when the upload ended before the body did.
    found.body.unpipe(body);
    found.body.destroy();
    body.destroy();
  }
}

/**
 * The failed_snapshot_recovery status of a recovery error: `checksum` when Qdrant found other bytes than the
 * metadata's SHA-256, `http-NNN` / `transport` / `timeout` / `invalid-response` for other Qdrant failures,
 * `presign_failed` / `missing` / `store-read` for the destination's side, `failed` for anything else.
 */
export function recoveryFailureStatus(err: unknown): string {
  if (err instanceof RecoverySourceError) return err.status;
  if (err instanceof QdrantError)
    return err.status === 400 && /checksum mismatch/i.test(err.detail) ? "checksum" : err.code;
  return "failed";
}

/** A collection snapshot's backup metadata: absent (bash-era snapshots), or present but unusable (`problem`). */
export interface MetadataLookup {
  metadata?: BackupMetadata;
  problem?: string;
}

/**
 * Reads the backup metadata of `snapshot` of `collection` from the destination. An object that is not valid
 * metadata of this snapshot is a `problem` (logged once here): the recovery goes on without a checksum, and its check
 * fails. Destination failures (UpstreamError) are thrown.
 */
export async function lookUpMetadata(
  deps: Pick<Deps, "store" | "log">,
  collection: string,
  snapshot: string,
): Promise<MetadataLookup> {
  try {
    const metadata = await readMetadata(deps.store(), collectionSnapshotKey(collection, snapshot));
    if (metadata === undefined) return {};
    if (
      metadata.kind !== "collection" ||
      metadata.snapshot !== snapshot ||
      (metadata.collection !== undefined && metadata.collection !== collection)
    ) {
      throw new Error(
        `backup metadata of ${snapshot} describes the ${metadata.kind} snapshot ${metadata.snapshot}${metadata.collection ? ` of ${metadata.collection}` : ""}`,
      );
    }
    return { metadata };
  } catch (err) {
    if (isFatal(err)) throw err;
    deps.log.warn(
      `${describeError(err)}; recovering ${snapshot} without a checksum, and its check after recovery will fail`,
    );
    return { problem: describeError(err) };
  }
}
