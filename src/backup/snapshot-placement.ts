// Transfer mode's placement of a new snapshot in the destination: streamed and verified, or found there already.
import { createHash } from "node:crypto";
import { collectionSnapshotKey } from "../core/keys.js";
import { EXIT, ToolError } from "../errors.js";
import type { SnapshotRef } from "../qdrant/client.js";
import type { SnapshotDescription } from "../qdrant/types.js";
import type { SnapshotStore } from "../store/types.js";
import { notice, type CreateSnapRun } from "./create-snap-run.js";
import { transferSnapshot } from "./transfer.js";

/** Where a snapshot's bytes ended up: size, SHA-256 when known, and whether the node itself stored them there. */
export interface Placed {
  size: number;
  sha256: string | undefined;
  /** The node keeps its snapshots in the destination itself (same bucket): nothing was copied, nothing may be deleted. */
  inPlace: boolean;
}

/**
 * Transfer mode: streams the snapshot into the destination (verified against Qdrant's checksum when it gave one).
 * When the destination already holds the snapshot's key with its size, the node stores its snapshots there itself
 * (Qdrant's S3 snapshot storage on the same bucket, or its snapshots directory inside QDRANT_BACKUP_DIR): copying
 * would rewrite the object onto itself, and deleting "the node's copy" would delete the backup. Nothing is copied then.
 */
export async function place(
  ctx: CreateSnapRun,
  host: string,
  collection: string,
  snap: SnapshotDescription,
): Promise<Placed> {
  const { deps } = ctx;
  const store = deps.store();
  const target = collectionSnapshotKey(collection, snap.name);
  const existing = await store.head(target);
  if (
    existing !== undefined &&
    existing.size === snap.size &&
    (await holdsChecksum(store, target, snap.checksum ?? undefined))
  ) {
    const kept = deps.config.deleteAfterTransfer
      ? "; QDRANT_DELETE_AFTER_TRANSFER is ignored for them (it would delete the backup)"
      : "";
    notice(ctx, `in-place ${host}`, `${host} stores its snapshots in ${store.location} itself: not copied${kept}`);
    return { size: snap.size, sha256: snap.checksum ?? undefined, inPlace: true };
  }
  const ref: SnapshotRef = { kind: "collection", collection, name: snap.name };
  const result = await transferSnapshot(deps, host, ref, target, snap.checksum ?? undefined);
  if (result.size !== snap.size) {
    // Without a checksum (S3-stored snapshots) or a Content-Length (chunked answers), the size is the last check.
    await store.delete(target);
    throw new ToolError(
      `${host} ${snap.name} → ${store.location}/${target}: ${result.size} bytes arrived, Qdrant reported ${snap.size}`,
      EXIT.partial,
    );
  }
  const checked = snap.checksum ? "matches Qdrant's checksum" : "Qdrant gave no checksum";
  deps.log.info(
    `Transferred ${snap.name} of ${collection} from ${host} to ${store.location}/${target}: ${result.size} bytes, SHA-256 ${result.sha256} (${checked})`,
  );
  return { ...result, inPlace: false };
}

/**
 * Whether the object under `key` hashes to Qdrant's `checksum` (always true without one: then the size is all there
 * is to compare). A same-sized object with other bytes is a copy left by an earlier run under the same name (a run
 * killed after its transfer and re-run within the same second: names have a one-second resolution), not the node's
 * own file; taking it for the node's would record a snapshot whose metadata does not match the stored bytes.
 */
export async function holdsChecksum(store: SnapshotStore, key: string, checksum: string | undefined): Promise<boolean> {
  if (checksum === undefined) return true;
  const found = await store.get(key);
  if (found === undefined) return false;
  const hash = createHash("sha256");
  for await (const chunk of found.body) hash.update(chunk as Buffer);
  return hash.digest("hex") === checksum.toLowerCase();
}
