/**
 * Transfer mode for full-storage snapshots: stream a new full snapshot off its node into the destination at
 * `full_snapshots/{host:port}/{name}` (one folder per host: every node names its full snapshots alike), write its
 * metadata beside it, and, with QDRANT_DELETE_AFTER_TRANSFER, delete the node's copy once the copy is verified.
 */
import { QdrantError } from "../qdrant/errors.js";
import { describeError, isFatal } from "./task/items.js";
import type { Deps } from "./task/deps.js";
import type { SnapshotDescription } from "../qdrant/types.js";
import { fullSnapshotKey } from "../core/keys.js";
import { METADATA_FORMAT, writeMetadata } from "./metadata.js";
import { transferSnapshot } from "./transfer.js";

/** What a full-snapshot transfer stored. */
export interface FullTransfer {
  key: string;
  size: number;
  sha256: string;
  /** False when QDRANT_DELETE_AFTER_TRANSFER asked for it and the node refused (the copy is safe; logged). */
  deletedOnNode: boolean;
}

/**
 * Transfers `snapshot` (just created on `host`), checking Qdrant's SHA-256 when it gave one, and writes its metadata:
 * kind "full", the source host, the node's version, every alias as `alias -> collection`, size and SHA-256.
 * The aliases are read before the transfer, right after the snapshot was taken, so they match it as closely as
 * the API allows.
 * @throws QdrantError / ChecksumMismatchError for this item; UpstreamError (fatal) when the destination fails
 */
export async function transferFullSnapshot(
  deps: Deps,
  host: string,
  snapshot: SnapshotDescription,
): Promise<FullTransfer> {
  const { config, log, qdrant } = deps;
  const aliases = (await qdrant.listAliases(host)).map((a) => `${a.alias_name} -> ${a.collection_name}`).sort();
  let qdrantVersion: string | undefined;
  try {
    qdrantVersion = await qdrant.getVersion(host);
  } catch (err) {
    if (isFatal(err)) throw err;
    log.warn(`Cannot read the version of ${host} for the metadata of ${snapshot.name}: ${describeError(err)}`);
  }
  const ref = { kind: "full", name: snapshot.name } as const;
  const key = fullSnapshotKey(host, snapshot.name);
  const stored = await transferSnapshot(deps, host, ref, key, snapshot.checksum ?? undefined);
  await writeMetadata(deps.store(), key, {
    format: METADATA_FORMAT,
    kind: "full",
    snapshot: snapshot.name,
    source: { host },
    ...(qdrantVersion !== undefined ? { qdrantVersion } : {}),
    aliases,
    size: stored.size,
    sha256: stored.sha256,
    createdAt: deps.clock().toISOString(),
  });
  let deletedOnNode = false;
  if (config.deleteAfterTransfer) {
    try {
      await qdrant.deleteSnapshot(host, ref, true);
      deletedOnNode = true;
    } catch (err) {
      if (isFatal(err)) throw err;
      // Just created here, so a 404 means gone already: a retried delete whose first answer was lost. Done.
      if (err instanceof QdrantError && err.status === 404) deletedOnNode = true;
      // The backup is stored and verified; a leftover on the node is prune_snap's to remove.
      else log.warn(`${snapshot.name} is stored at ${key}, but deleting it on ${host} failed: ${describeError(err)}`);
    }
  }
  return { key, size: stored.size, sha256: stored.sha256, deletedOnNode };
}
