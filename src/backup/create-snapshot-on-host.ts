// One collection snapshot on one host for create_snap: facts, snapshot and transfer in a host slot, then its row, metadata and node-copy delete.
import { createSnapshotResolved } from "./ambiguous-create.js";
import { buildCollectionMetadata, type CollectionFacts } from "./collect.js";
import { writeMetadata } from "./metadata.js";
import { collectionSnapshotKey } from "../core/keys.js";
import { InterruptedError } from "../errors.js";
import type { Slot } from "../lib/host-scheduler.js";
import { QdrantError } from "../qdrant/errors.js";
import type { SnapshotDescription } from "../qdrant/types.js";
import { isNotListedHere, notice, type CreateSnapRun } from "./create-snap-run.js";
import { place, type Placed } from "./snapshot-placement.js";
import { describeError, isFatal } from "./task/items.js";
import type { Deps } from "./task/deps.js";

/**
 * One snapshot of `collection` on `host`: facts, snapshot and transfer in one of the host's slots; then, outside it
 * (the host's next snapshot already under way), the row, the metadata and the node-copy delete.
 */
export async function snapshotOn(ctx: CreateSnapRun, host: string, collection: string, slot: Slot): Promise<void> {
  const { deps, tally } = ctx;
  const { config, log } = deps;
  let facts: { ok: CollectionFacts } | { error: unknown } | undefined;
  let snap: SnapshotDescription | undefined;
  let placed: Placed | undefined;
  try {
    placed = await slot(async () => {
      // Facts right before each create (the exact count as close to the snapshot as it gets), after the listing the
      // create's lost answer would be judged by. When they cannot be read the snapshot is taken anyway: a backup
      // without metadata beats none.
      const collectFacts = async (): Promise<void> => {
        facts = ctx.facts
          ? await ctx.facts.collect(host, collection).then(
              (ok) => ({ ok }),
              (error: unknown) => ({ error }),
            )
          : undefined;
        if (facts && "error" in facts) {
          // A 404 on a host that did not list the collection: skipped below without asking for a snapshot too.
          if (isFatal(facts.error) || isNotListedHere(ctx, host, collection, facts.error)) throw facts.error;
        }
        if (facts && "ok" in facts && facts.ok.status !== "green") {
          deps.log.warn(`Collection ${collection} on ${host} is ${facts.ok.status}, not green; snapshotting anyway`);
        }
      };
      const out = await createSnapshotResolved(deps, host, { kind: "collection", collection }, collectFacts);
      if (out.status === "accepted") {
        log.info(`Snapshot of ${collection} on ${host} accepted (wait=false); it will be listed once Qdrant finishes`);
        if (ctx.facts)
          notice(
            ctx,
            "accepted",
            "Snapshots accepted with wait=false have no name yet: no backup metadata is written for them",
          );
        tally.add("accepted", { host, collection });
        return undefined;
      }
      snap = out.snapshot;
      // The count again, right after the snapshot: with the one before, it bounds what a live collection's snapshot holds.
      if (facts && "ok" in facts) facts = { ok: { ...facts.ok, ...(await countAfter(deps, host, collection)) } };
      return config.transfer
        ? await place(ctx, host, collection, snap)
        : { size: snap.size, sha256: snap.checksum ?? undefined, inPlace: false };
    });
    if (placed === undefined || snap === undefined) return; // accepted (wait=false): nothing to record
  } catch (err) {
    if (isFatal(err)) throw err;
    if (snap === undefined && isNotListedHere(ctx, host, collection, err)) {
      // Independent source instances hold different collections; a collection listed on another host only
      // is not a failure here.
      log.info(`Collection ${collection} does not exist on ${host}; skipped there`);
      tally.add("skipped", { host, collection });
      return;
    }
    const what =
      snap === undefined
        ? `Snapshot of ${collection} on ${host} failed`
        : `Transfer of snapshot ${snap.name} of ${collection} from ${host} failed (the node keeps it; nothing is stored)`;
    log.error(`${what}: ${describeError(err)}`);
    tally.add("failed", { host, collection, ...(snap ? { snapshot: snap.name } : {}), error: describeError(err) });
    return;
  }

  const name = snap.name;
  await deps.state.append("snapshots", { host, collection, snapshot: name });
  log.info(`Created snapshot ${name} of ${collection} on ${host}`);
  const problems: string[] = [];
  if (!ctx.facts)
    notice(
      ctx,
      "no-destination",
      "No backup destination (QDRANT_S3_BUCKET_NAME or QDRANT_BACKUP_DIR): no backup metadata is written",
    );
  if (facts) {
    try {
      if ("error" in facts) throw facts.error;
      const meta = buildCollectionMetadata({
        host,
        collection,
        snapshot: name,
        facts: facts.ok,
        size: placed.size,
        sha256: placed.sha256,
        createdAt: deps.clock(),
      });
      await writeMetadata(deps.store(), collectionSnapshotKey(collection, name), meta);
    } catch (err) {
      // Not fatal even for a destination error: the snapshot exists and is recorded; recover_snap checks a
      // snapshot without metadata by status only. The item counts as failed so that the run says so (exit 3).
      if (err instanceof InterruptedError || deps.signal.aborted) throw err;
      problems.push(`no backup metadata was written: ${describeError(err)}`);
    }
  }
  if (config.transfer && config.deleteAfterTransfer && !placed.inPlace) {
    try {
      await deps.qdrant.deleteSnapshot(host, { kind: "collection", collection, name }, true);
      log.info(`Deleted ${name} of ${collection} from ${host} (transferred and verified)`);
    } catch (err) {
      if (isFatal(err)) throw err;
      // The snapshot was just created here, so a 404 means it is gone already: typically a retried delete whose
      // first attempt was carried out but its answer lost. The copy is deleted, which is all that was asked.
      if (err instanceof QdrantError && err.status === 404)
        log.info(`Deleted ${name} of ${collection} from ${host} (transferred and verified; it was already gone)`);
      else problems.push(`the node's copy was not deleted after the verified transfer: ${describeError(err)}`);
    }
  }
  const item = { host, collection, snapshot: name, ...(placed.sha256 ? { sha256: placed.sha256 } : {}) };
  if (problems.length === 0) {
    tally.add("done", item);
    return;
  }
  const error = problems.join("; ");
  log.error(`Snapshot ${name} of ${collection} on ${host} is recorded, but ${error}`);
  tally.add("failed", { ...item, error });
}

/** The exact count right after a snapshot, or nothing (with a warning saying what that means) when it cannot be read. */
async function countAfter(deps: Deps, host: string, collection: string): Promise<{ pointsCountAfter?: number }> {
  try {
    return { pointsCountAfter: await deps.qdrant.countPoints(host, collection) };
  } catch (err) {
    if (isFatal(err)) throw err;
    deps.log.warn(
      `Cannot count the points of ${collection} on ${host} after its snapshot (the backup metadata holds the count before it only, which a restore must then match exactly): ${describeError(err)}`,
    );
    return {};
  }
}
