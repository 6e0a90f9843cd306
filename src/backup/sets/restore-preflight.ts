/**
 * The pre-flight of a set, before anything on the target changes: its manifest is read and validated, its resume
 * state merged, and every shard still to recover is looked at in the bucket (HEAD): it must exist, not be empty,
 * and have the manifest's size and ETag (opaque strings: a multipart ETag is no MD5). A missing object and an
 * unreachable bucket are different verdicts: the first condemns this set (an older one may do), the second says
 * nothing about it.
 */
import { shardsPrefix } from "../../core/set-keys.js";
import { EXIT, ToolError } from "../../errors.js";
import { isFatal, describeError } from "../task/items.js";
import type { Deps } from "../task/deps.js";
import type { Manifest, ManifestShard } from "./manifest.js";
import { isReadable, readSet } from "./set-listing.js";
import { mergeDurableState, recoveredShards } from "./restore-state.js";

export type ShardVerdict =
  | "match"
  | "v1-skip"
  | "missing-object"
  | "empty-object"
  | "size-mismatch"
  | "etag-mismatch"
  | "invalid-input"
  | "unreachable";

/** A set that cannot be restored: `older` says whether the next older set may be tried instead. */
export class SetRejected extends ToolError {
  constructor(
    message: string,
    readonly older: boolean,
  ) {
    super(message, EXIT.partial);
  }
}

export interface CheckedSet {
  manifest: Manifest;
  /** Shards this target already recovered from the set (resume). */
  done: Set<number>;
}

type PreflightDeps = Pick<Deps, "store" | "state" | "log" | "config">;

const unquote = (etag: string) => etag.replace(/^"|"$/g, "");

/** The verdict on one shard's object. */
export async function shardVerdict(
  deps: PreflightDeps,
  m: Manifest,
  shard: ManifestShard,
): Promise<{ verdict: ShardVerdict; detail: string }> {
  if (!shard.s3_key.startsWith(shardsPrefix(m.collection)))
    return { verdict: "invalid-input", detail: `key ${shard.s3_key} is outside ${shardsPrefix(m.collection)}` };
  let head;
  try {
    head = await deps.store().head(shard.s3_key);
  } catch (err) {
    if (isFatal(err) && !(err instanceof Error && err.name === "UpstreamError")) throw err;
    return { verdict: "unreachable", detail: describeError(err) };
  }
  if (head === undefined) return { verdict: "missing-object", detail: `${shard.s3_key} does not exist` };
  if (head.size === 0) return { verdict: "empty-object", detail: `${shard.s3_key} is empty` };
  if (m.schema_version === 1) return { verdict: "v1-skip", detail: "" };
  if (head.size !== shard.size)
    return {
      verdict: "size-mismatch",
      detail: `${shard.s3_key} holds ${head.size} bytes, the manifest says ${shard.size}`,
    };
  if (unquote(head.etag) !== unquote(shard.etag))
    return {
      verdict: "etag-mismatch",
      detail: `${shard.s3_key} has ETag ${head.etag}, the manifest says ${shard.etag}`,
    };
  return { verdict: "match", detail: "" };
}

/**
 * Reads, validates and checks set `setId` of `collection` for `target`.
 * @throws SetRejected (older: true when an older set may serve, false when the bucket could not be read)
 */
export async function preflightSet(
  deps: PreflightDeps,
  target: string,
  collection: string,
  setId: string,
  /** The name the collection gets on the target (--as): its resume state is kept under it. */
  stateName = collection,
): Promise<CheckedSet> {
  const read = await readSet(deps.store(), collection, setId);
  if (!isReadable(read)) throw new SetRejected(read.problem, true);
  const manifest = read.manifest;
  if (manifest.collection !== collection || manifest.backup_set_id !== setId)
    throw new SetRejected(
      `manifest ${read.key} describes set ${manifest.backup_set_id} of ${manifest.collection}, not ${setId} of ${collection}`,
      true,
    );
  if (manifest.schema_version === 1)
    deps.log.warn(
      `WARNING: set ${setId} of ${collection} has a schema 1 manifest (no size or ETag): its objects are only checked to exist and not be empty`,
    );
  await mergeDurableState(deps, stateName, setId);
  const done = deps.config.restore.force ? new Set<number>() : await recoveredShards(deps, target, stateName, setId);
  for (const shard of manifest.shards) {
    if (done.has(shard.id)) continue;
    const { verdict, detail } = await shardVerdict(deps, manifest, shard);
    if (verdict === "match" || verdict === "v1-skip") continue;
    throw new SetRejected(
      `set ${setId} of ${collection}, shard ${shard.id}: ${verdict} (${detail})`,
      verdict !== "unreachable",
    );
  }
  return { manifest, done };
}
