/**
 * Snapshot creation whose failure is ambiguous (a timeout, a lost connection, 502/503/504: the node may have made the
 * snapshot, or may still be making it) is resolved by looking, never by sending the create again blindly. The node's
 * listing of that collection's (or the full storage's) snapshots is read right before each create; after an
 * ambiguous failure it is polled, with backoff, for a snapshot that was not there before, which is adopted. Only when
 * none appears within QDRANT_VERIFY_TIMEOUT is the create sent again (up to QDRANT_RETRIES times). A snapshot is
 * listed only once the node has finished writing it. The listing costs one read per create; comparing names, not
 * times, is exact whatever the clocks of the node and of this host say.
 */
import type { Deps } from "./task/deps.js";
import { sleep } from "../lib/retry.js";
import type { SnapshotOutcome } from "../qdrant/client.js";
import { QdrantError } from "../qdrant/errors.js";
import type { SnapshotDescription } from "../qdrant/types.js";

/**
 * What is created: a snapshot of one collection, of one shard of it (always with wait=true: a backup set needs the
 * name), or of the whole storage.
 */
export type CreateTarget =
  { kind: "collection"; collection: string } | { kind: "shard"; collection: string; shard: number } | { kind: "full" };

const FIRST_POLL_MS = 200;
const MAX_POLL_MS = 2_000;

type CreateDeps = Pick<Deps, "qdrant" | "config" | "log" | "signal">;

/**
 * Creates a snapshot of `target` on `host` (QDRANT_WAIT_ON_TASK), resolving an ambiguous failure by looking.
 * @throws what `beforeCreate` throws (no create is sent then); the create's QdrantError when it failed for certain, or when it stayed ambiguous and no snapshot appeared
 *   after QDRANT_RETRIES more attempts; InterruptedError on a signal
 */
export async function createSnapshotResolved(
  deps: CreateDeps,
  host: string,
  target: CreateTarget,
  /** Runs right before each create, after the listing (e.g. the exact count that goes into the backup metadata). */
  beforeCreate?: () => Promise<void>,
): Promise<SnapshotOutcome> {
  const { qdrant, config, log } = deps;
  const what =
    target.kind === "full"
      ? `full snapshot on ${host}`
      : target.kind === "shard"
        ? `snapshot of shard ${target.shard} of ${target.collection} on ${host}`
        : `snapshot of ${target.collection} on ${host}`;
  for (let attempt = 0; ; attempt++) {
    const before = new Set((await list(deps, host, target)).map((s) => s.name));
    await beforeCreate?.();
    try {
      if (target.kind === "shard") return await qdrant.createShardSnapshot(host, target.collection, target.shard);
      return target.kind === "full"
        ? await qdrant.createFullSnapshot(host, config.waitOnTask)
        : await qdrant.createSnapshot(host, target.collection, config.waitOnTask);
    } catch (err) {
      if (!(err instanceof QdrantError) || !err.ambiguous || deps.signal.aborted) throw err;
      log.warn(
        `${err.message}; the node may have made the ${what} anyway: looking at its snapshots before creating again`,
      );
      const made = await waitForNewSnapshot(deps, host, target, before);
      if (made !== undefined) {
        log.warn(`Adopted ${made.name}, the ${what} made by the request whose answer was lost (not created again)`);
        return { status: "ok", snapshot: made };
      }
      if (attempt >= config.retries) throw err;
      log.warn(
        `No new ${what} appeared within ${Math.round(config.verifyTimeoutMs / 1000)} s (QDRANT_VERIFY_TIMEOUT): creating it again (retry ${attempt + 1} of ${config.retries})`,
      );
    }
  }
}

/** The node's snapshots of `target`. */
function list(deps: CreateDeps, host: string, target: CreateTarget): Promise<SnapshotDescription[]> {
  if (target.kind === "shard") return deps.qdrant.listShardSnapshots(host, target.collection, target.shard);
  return target.kind === "full"
    ? deps.qdrant.listFullSnapshots(host)
    : deps.qdrant.listSnapshots(host, target.collection);
}

/** Polls the node's listing until a snapshot not in `before` appears (the newest, when several), or the deadline. */
async function waitForNewSnapshot(
  deps: CreateDeps,
  host: string,
  target: CreateTarget,
  before: ReadonlySet<string>,
): Promise<SnapshotDescription | undefined> {
  const deadline = Date.now() + deps.config.verifyTimeoutMs;
  let delay = FIRST_POLL_MS;
  for (;;) {
    const fresh = (await list(deps, host, target)).filter((s) => !before.has(s.name));
    if (fresh.length > 0)
      return fresh.sort((a, b) => (a.creation_time ?? "").localeCompare(b.creation_time ?? "")).at(-1);
    const left = deadline - Date.now();
    if (left <= 0) return undefined;
    await sleep(Math.min(delay, left), deps.signal);
    delay = Math.min(delay * 2, MAX_POLL_MS);
  }
}
