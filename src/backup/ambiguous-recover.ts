/**
 * A recovery (by URL or by upload) whose failure is ambiguous (a timeout, a lost connection, 502/503/504: the node may
 * have recovered the collection, or may still be at it) is resolved by looking, never by sending it again blindly: the
 * collection on that host is polled, with backoff and within QDRANT_VERIFY_TIMEOUT, until it has settled (no local
 * shard in a recovering or partial state, the same status, shards and count on two polls in a row). When it then
 * matches the backup metadata (the exact point count) the lost recovery is adopted. It is sent again only when the
 * collection settled without matching (or, without metadata, settled at all): never while a recovery may still run,
 * so one host never runs two recoveries of one collection at once.
 */
import type { Deps } from "./task/deps.js";
import { sleep } from "../lib/retry.js";
import type { QdrantClient } from "../qdrant/client.js";
import { QdrantError } from "../qdrant/errors.js";
import type { BackupMetadata } from "./metadata.js";

/** Local shard states of a replica still being filled (sets/shard-settle.ts waits them out too). */
export const BUSY_STATES: ReadonlySet<string> = new Set([
  "Partial",
  "Initializing",
  "Recovery",
  "PartialSnapshot",
  "Resharding",
  "ReshardingScaleDown",
]);
const FIRST_POLL_MS = 200;
const MAX_POLL_MS = 2_000;

/** The reads the look needs (tests give a scripted node). */
type RecoverDeps = Pick<Deps, "config" | "log" | "signal"> & {
  qdrant: Pick<QdrantClient, "getCollectionCluster" | "getCollection" | "countPoints">;
};

/** What polling found: the collection matches the metadata, settled without matching, or was still busy at the deadline. */
type Look = { kind: "matches"; count: number } | { kind: "settled"; what: string } | { kind: "busy"; what: string };

/**
 * Sends the recovery of `collection` on `host` (`send`), resolving an ambiguous failure by looking.
 * @param expected the snapshot's backup metadata; without it a settled collection cannot be told recovered, so the
 *   recovery is sent again once the collection has settled
 * @throws send's error when it failed for certain, when the collection was still busy at the deadline, or when it
 *   stayed ambiguous through QDRANT_RETRIES more attempts
 */
export async function recoverResolved(
  deps: RecoverDeps,
  host: string,
  collection: string,
  expected: BackupMetadata | undefined,
  send: () => Promise<"ok" | "accepted">,
): Promise<"ok" | "accepted"> {
  const { config, log } = deps;
  const where = `${collection} on ${host}`;
  for (let attempt = 0; ; attempt++) {
    try {
      return await send();
    } catch (err) {
      if (!(err instanceof QdrantError) || !err.ambiguous || deps.signal.aborted) throw err;
      log.warn(
        `${err.message}; the node may have recovered ${where}, or still be at it: waiting for it to settle before deciding`,
      );
      const look = await lookAfterLostAnswer(deps, host, collection, expected);
      if (look.kind === "matches") {
        log.warn(
          `${where} settled with ${look.count} points, as the backup metadata of ${expected?.snapshot ?? "?"} says: the recovery whose answer was lost is adopted, not sent again`,
        );
        return "ok";
      }
      if (look.kind === "busy") {
        throw new QdrantError(
          err.kind,
          err.method,
          err.host,
          err.path,
          err.status,
          `${err.detail}; ${where} is still ${look.what} after ${Math.round(config.verifyTimeoutMs / 1000)} s (QDRANT_VERIFY_TIMEOUT), so the recovery is not sent again now`,
          err.retryAfterMs,
          { cause: err },
        );
      }
      if (attempt >= config.retries) throw err;
      log.warn(
        `${where} settled (${look.what}) ${expected ? "without matching the backup metadata" : "and there is no backup metadata to compare"}: recovering it again (retry ${attempt + 1} of ${config.retries})`,
      );
    }
  }
}

/** Polls the collection until it matches `expected`, or has settled, or the deadline passes. */
async function lookAfterLostAnswer(
  deps: RecoverDeps,
  host: string,
  collection: string,
  expected: BackupMetadata | undefined,
): Promise<Look> {
  const deadline = Date.now() + deps.config.verifyTimeoutMs;
  let delay = FIRST_POLL_MS;
  let previous: string | undefined;
  for (;;) {
    const seen = await observe(deps, host, collection);
    if (
      !seen.busy &&
      seen.count !== undefined &&
      expected?.pointsCount !== undefined &&
      seen.count === expected.pointsCount
    ) {
      return { kind: "matches", count: seen.count };
    }
    // Settled: nothing recovering, and the same picture twice in a row. With metadata, a settled mismatch is waited
    // on until the deadline too (a recovery may not have started yet when the answer came from an ingress).
    if (!seen.busy && seen.what === previous && expected?.pointsCount === undefined)
      return { kind: "settled", what: seen.what };
    previous = seen.what;
    const left = deadline - Date.now();
    if (left <= 0) return seen.busy ? { kind: "busy", what: seen.what } : { kind: "settled", what: seen.what };
    await sleep(Math.min(delay, left), deps.signal);
    delay = Math.min(delay * 2, MAX_POLL_MS);
  }
}

/** One look at the collection: its shards' states, status and exact count (undefined count: absent or unreadable). */
async function observe(
  deps: RecoverDeps,
  host: string,
  collection: string,
): Promise<{ busy: boolean; count: number | undefined; what: string }> {
  try {
    const cluster = await deps.qdrant.getCollectionCluster(host, collection);
    const states = cluster.local_shards.map((s) => `${s.shard_id}:${s.state}`).join(",");
    if (cluster.local_shards.some((s) => BUSY_STATES.has(s.state)))
      return { busy: true, count: undefined, what: `recovering (local shards ${states})` };
    const info = await deps.qdrant.getCollection(host, collection);
    const count = await deps.qdrant.countPoints(host, collection);
    return { busy: false, count, what: `${info.status}, ${count} points, local shards ${states || "none"}` };
  } catch (err) {
    if (!(err instanceof QdrantError) || err.refused) throw err;
    // Absent: not (yet) created. Unreadable: nothing can be said, so it counts as busy (never a reason to send again).
    return err.status === 404
      ? { busy: false, count: undefined, what: "absent" }
      : { busy: true, count: undefined, what: `unreadable (${err.code})` };
  }
}
