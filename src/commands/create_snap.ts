import { createSnapshotResolved } from "../backup/ambiguous-create.js";
import { createHash } from "node:crypto";
import { createFactCollector, buildCollectionMetadata, type CollectionFacts, type FactCollector } from "../backup/collect.js";
import { writeMetadata } from "../backup/metadata.js";
import { transferSnapshot } from "../backup/transfer.js";
import { assertConfigured, type Config } from "../config.js";
import { ConfigError, EXIT, InterruptedError, ToolError } from "../errors.js";
import { admissionWindow, createHostScheduler, createLimiter, runAdmitted, type Slot } from "../lib/pool.js";
import type { SnapshotRef } from "../qdrant/client.js";
import { QdrantError } from "../qdrant/errors.js";
import type { SnapshotDescription } from "../qdrant/types.js";
import { collectionSnapshotKey } from "../core/keys.js";
import type { SnapshotStore } from "../store/types.js";
import { discoverPeers, peersOfCollection, type PeerMap } from "./peers.js";
import { describeError, distinct, ensureCollections, isFatal, key, settleAll } from "../backup/task/items.js";
import { Tally } from "../backup/task/tally.js";
import type { Deps, TaskOptions, TaskSummary } from "../backup/task/deps.js";

/**
 * create_snap: snapshot every collection on every source host, or, with GET_PEERS_FROM_CLUSTER_INFO=true, on each
 * peer that holds shards of it (once per peer).
 * - With a destination (bucket or QDRANT_BACKUP_DIR), each snapshot gets its backup metadata (backup/collect.ts).
 * - With QDRANT_SNAPSHOT_TRANSFER=true, each snapshot is streamed into the destination and verified first; with
 *   QDRANT_DELETE_AFTER_TRANSFER=true the node's copy is deleted after that.
 * A snapshot is appended to `snapshots` as soon as it exists where recover_snap looks for it (Qdrant's answer; in
 * transfer mode, the verified transfer). Failures are logged and counted (exit 3); a failed snapshot or transfer
 * writes no row, a failed metadata write or node-copy delete comes after the row.
 */
export async function run(_options: TaskOptions, deps: Deps): Promise<TaskSummary> {
  const { config, log } = deps;
  const metadata = checkDestination(config);
  const tally = new Tally("create_snap");
  if (config.deleteAfterTransfer && !config.transfer) log.warn("QDRANT_DELETE_AFTER_TRANSFER=true has no effect without QDRANT_SNAPSHOT_TRANSFER=true");
  const rows = await ensureCollections(deps, "create_snap");
  const collections = distinct(rows.map((r) => r.collection));
  const peers: PeerMap | undefined = config.discoverPeers ? await discoverPeers(deps) : undefined;
  const ctx: Ctx = {
    deps, tally, peers, facts: metadata ? createFactCollector(deps) : undefined,
    listedOn: new Set(rows.map((r) => key(r.host, r.collection))), listedHosts: new Set(rows.map((r) => r.host)), once: new Set(),
  };
  // One scheduler for every host (lib/pool.ts): QDRANT_PER_HOST_CONCURRENCY per host, QDRANT_CONCURRENCY in all,
  // and a slow host does not hold back another's work (within the admission window); each collection's index orders the work.
  const scheduler = createHostScheduler({ perHost: config.perHostConcurrency, total: config.concurrency, signal: deps.signal, fatal: isFatal });
  // Calls made before a collection's host tasks are queued (peers, status without metadata): bounded, outside the slots.
  const before = createLimiter(config.concurrency);
  // The status check asks a host that lists the collection (independent sources hold different collections).
  const statusHost = new Map<string, string>();
  for (const r of rows) if (!statusHost.has(r.collection) && r.host) statusHost.set(r.collection, r.host);

  await runAdmitted(collections, scheduler, admissionWindow(config.concurrency), async (collection, index) => {
    // With metadata, the status comes with each host's facts (no call of its own); see snapshotOn.
    if (!ctx.facts) await before(() => warnIfNotGreen(deps, statusHost.get(collection) ?? config.sourceHosts[0]!, collection));
    let targets: readonly string[];
    try {
      targets = peers ? await before(() => peersOfCollection(deps, peers, collection)) : config.sourceHosts;
    } catch (err) {
      if (isFatal(err)) throw err;
      log.error(`Cannot find the peers of ${collection}: ${describeError(err)}`);
      tally.add("failed", { collection, error: describeError(err) });
      return;
    }
    if (!peers) targets = targets.filter((host) => listedHere(ctx, host, collection));
    // Count, snapshot and transfer of one host run in one of its slots: a host holds at most
    // QDRANT_PER_HOST_CONCURRENCY snapshots in the making, and as many transfers.
    await settleAll(targets.map((host) => snapshotOn(ctx, host, collection, (work) => scheduler.run(host, index, work))));
  }, deps.signal);

  const into = config.transfer ? `, transferred to ${deps.store().location}` : "";
  return tally.finish(`Snapshots created: ${tally.done}, accepted: ${tally.accepted}, failed: ${tally.failed}${into}`);
}

interface Ctx {
  deps: Deps;
  tally: Tally;
  peers: PeerMap | undefined;
  /** Defined when metadata is written (a destination is configured). */
  facts: FactCollector | undefined;
  listedOn: Set<string>;
  /** Source hosts that have rows in `collections`: their listing is known. */
  listedHosts: Set<string>;
  /** Notices already logged this run. */
  once: Set<string>;
}

/** Where a snapshot's bytes ended up: size, SHA-256 when known, and whether the node itself stored them there. */
interface Placed {
  size: number;
  sha256: string | undefined;
  /** The node keeps its snapshots in the destination itself (same bucket): nothing was copied, nothing may be deleted. */
  inPlace: boolean;
}

/**
 * Checks the destination settings before any request; returns whether metadata is written.
 * @throws ConfigError (exit 2) listing every problem: transfer without exactly one destination or with wait=false,
 *   or both destinations set
 */
function checkDestination(config: Config): boolean {
  const problems: string[] = [];
  if (config.transfer && !config.waitOnTask) {
    problems.push("create_snap: QDRANT_SNAPSHOT_TRANSFER=true needs QDRANT_WAIT_ON_TASK=true (a snapshot accepted with wait=false has no name yet, so it cannot be transferred)");
  }
  const wanted = config.transfer || config.s3.bucket !== undefined || config.backupDir !== undefined;
  if (wanted) {
    try {
      assertConfigured(config, "create_snap", ["destination"]);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      problems.push(...err.problems.map((p) => (config.transfer ? `${p} (QDRANT_SNAPSHOT_TRANSFER=true)` : p)));
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return wanted;
}

/**
 * One snapshot of `collection` on `host`: facts, snapshot and transfer in one of the host's slots; then, outside it
 * (the host's next snapshot already under way), the row, the metadata and the node-copy delete.
 */
async function snapshotOn(ctx: Ctx, host: string, collection: string, slot: Slot): Promise<void> {
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
        facts = ctx.facts ? await ctx.facts.collect(host, collection).then((ok) => ({ ok }), (error: unknown) => ({ error })) : undefined;
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
        if (ctx.facts) notice(ctx, "accepted", "Snapshots accepted with wait=false have no name yet: no backup metadata is written for them");
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
    const what = snap === undefined
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
  if (!ctx.facts) notice(ctx, "no-destination", "No backup destination (QDRANT_S3_BUCKET_NAME or QDRANT_BACKUP_DIR): no backup metadata is written");
  if (facts) {
    try {
      if ("error" in facts) throw facts.error;
      const meta = buildCollectionMetadata({ host, collection, snapshot: name, facts: facts.ok, size: placed.size, sha256: placed.sha256, createdAt: deps.clock() });
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
      if (err instanceof QdrantError && err.status === 404) log.info(`Deleted ${name} of ${collection} from ${host} (transferred and verified; it was already gone)`);
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

/**
 * Transfer mode: streams the snapshot into the destination (verified against Qdrant's checksum when it gave one).
 * When the destination already holds the snapshot's key with its size, the node stores its snapshots there itself
 * (Qdrant's S3 snapshot storage on the same bucket, or its snapshots directory inside QDRANT_BACKUP_DIR): copying
 * would rewrite the object onto itself, and deleting "the node's copy" would delete the backup. Nothing is copied then.
 */
async function place(ctx: Ctx, host: string, collection: string, snap: SnapshotDescription): Promise<Placed> {
  const { deps } = ctx;
  const store = deps.store();
  const target = collectionSnapshotKey(collection, snap.name);
  const existing = await store.head(target);
  if (existing !== undefined && existing.size === snap.size && (await holdsChecksum(store, target, snap.checksum ?? undefined))) {
    const kept = deps.config.deleteAfterTransfer ? "; QDRANT_DELETE_AFTER_TRANSFER is ignored for them (it would delete the backup)" : "";
    notice(ctx, `in-place ${host}`, `${host} stores its snapshots in ${store.location} itself: not copied${kept}`);
    return { size: snap.size, sha256: snap.checksum ?? undefined, inPlace: true };
  }
  const ref: SnapshotRef = { kind: "collection", collection, name: snap.name };
  const result = await transferSnapshot(deps, host, ref, target, snap.checksum ?? undefined);
  if (result.size !== snap.size) {
    // Without a checksum (S3-stored snapshots) or a Content-Length (chunked answers), the size is the last check.
    await store.delete(target);
    throw new ToolError(`${host} ${snap.name} → ${store.location}/${target}: ${result.size} bytes arrived, Qdrant reported ${snap.size}`, EXIT.partial);
  }
  const checked = snap.checksum ? "matches Qdrant's checksum" : "Qdrant gave no checksum";
  deps.log.info(`Transferred ${snap.name} of ${collection} from ${host} to ${store.location}/${target}: ${result.size} bytes, SHA-256 ${result.sha256} (${checked})`);
  return { ...result, inPlace: false };
}

/**
 * Whether the object under `key` hashes to Qdrant's `checksum` (always true without one: then the size is all there
 * is to compare). A same-sized object with other bytes is a copy left by an earlier run under the same name (a run
 * killed after its transfer and re-run within the same second: names have a one-second resolution), not the node's
 * own file; taking it for the node's would record a snapshot whose metadata does not match the stored bytes.
 */
async function holdsChecksum(store: SnapshotStore, key: string, checksum: string | undefined): Promise<boolean> {
  if (checksum === undefined) return true;
  const found = await store.get(key);
  if (found === undefined) return false;
  const hash = createHash("sha256");
  for await (const chunk of found.body) hash.update(chunk as Buffer);
  return hash.digest("hex") === checksum.toLowerCase();
}

/**
 * Whether `collection` is to be snapshotted on source host `host` (without peer discovery): yes unless `collections`
 * holds that host's listing without it, which is how independent source instances with different collections are
 * backed up without asking each for the others' collections. A host with no rows at all (a file the bash tool wrote,
 * which listed only the first host) is asked; a 404 then skips it there (isNotListedHere).
 */
function listedHere(ctx: Ctx, host: string, collection: string): boolean {
  if (!ctx.listedHosts.has(host) || ctx.listedOn.has(key(host, collection))) return true;
  notice(ctx, `not-listed ${host}`, `${host} is asked only for the collections it listed in the collections file; the others are skipped there`);
  ctx.tally.add("skipped", { host, collection });
  return false;
}

/** A 404 for a collection on a source host that did not list it (and no peer discovery chose that host). */
function isNotListedHere(ctx: Ctx, host: string, collection: string, err: unknown): boolean {
  return !ctx.peers && !ctx.listedOn.has(key(host, collection)) && err instanceof QdrantError && err.status === 404;
}

/** Logs `message` once per run under `id`. */
function notice(ctx: Ctx, id: string, message: string): void {
  if (ctx.once.has(id)) return;
  ctx.once.add(id);
  ctx.deps.log.info(message);
}

/** The exact count right after a snapshot, or nothing (with a warning saying what that means) when it cannot be read. */
async function countAfter(deps: Deps, host: string, collection: string): Promise<{ pointsCountAfter?: number }> {
  try {
    return { pointsCountAfter: await deps.qdrant.countPoints(host, collection) };
  } catch (err) {
    if (isFatal(err)) throw err;
    deps.log.warn(`Cannot count the points of ${collection} on ${host} after its snapshot (the backup metadata holds the count before it only, which a restore must then match exactly): ${describeError(err)}`);
    return {};
  }
}

/** The script warned when a collection was not green before snapshotting it; so do we, without failing. */
async function warnIfNotGreen(deps: Deps, host: string, collection: string): Promise<void> {
  try {
    const info = await deps.qdrant.getCollection(host, collection);
    if (info.status !== "green") deps.log.warn(`Collection ${collection} on ${host} is ${info.status}, not green; snapshotting anyway`);
  } catch (err) {
    if (isFatal(err)) throw err;
    deps.log.warn(`Cannot read the status of ${collection} on ${host}: ${describeError(err)}`);
  }
}
