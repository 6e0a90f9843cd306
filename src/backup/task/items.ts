import { assertConfigured } from "../../config.js";
import { InterruptedError, StateFileError, UpstreamError } from "../../errors.js";
import { SkippedError } from "../../lib/host-scheduler.js";
import { QdrantError } from "../../qdrant/errors.js";
import type { Row } from "../../state/files.js";
import { joinKey } from "../../state/history.js";
import type { Deps } from "./deps.js";

/**
 * Errors that end the whole run instead of counting as one failed item: an interrupt, a refused key (401/403,
 * every other call would be refused too), S3 failures (the bucket or credentials are wrong for every item), a state
 * file that cannot be written (a full disk: the run cannot record what it does, so it stops at once, exit 2), and a
 * task that was never started because one of these stopped the batch.
 */
export function isFatal(err: unknown): boolean {
  if (err instanceof InterruptedError || err instanceof SkippedError || err instanceof StateFileError) return true;
  if (err instanceof QdrantError) return err.refused;
  return err instanceof UpstreamError;
}

/** A one-line, secret-free description of an item's failure. */
export function describeError(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Distinct values in first-seen order. */
export function distinct<T>(values: Iterable<T>): T[] {
  return [...new Set(values)];
}

/**
 * The `collections` rows, fetching them first (as get_coll does) when the file is empty,
 * like the script did for every task that needs collections.
 */
export async function ensureCollections(deps: Deps, task: string): Promise<Row<"collections">[]> {
  const rows = await deps.state.read("collections");
  if (rows.length > 0) return rows;
  assertConfigured(deps.config, task, ["source"]);
  return fetchCollections(deps);
}

/**
 * GET /collections on every source host and append one `host,collection` row per collection found there.
 * (The script asked only the first host, which misses the collections of independent source instances.)
 * A host that cannot be listed fails the task: a backup that silently leaves out a host is worse than none.
 */
export async function fetchCollections(deps: Deps): Promise<Row<"collections">[]> {
  const lists = await Promise.all(
    deps.config.sourceHosts.map(async (host) =>
      (await deps.qdrant.listCollections(host)).map((collection) => ({ host, collection })),
    ),
  );
  const rows = lists.flat();
  await deps.state.appendMany("collections", rows);
  deps.log.info(`Fetched ${rows.length} collections from ${deps.config.sourceHosts.join(", ")}`);
  return rows;
}

/** Keys for set look-ups (NUL cannot occur in a state field, so joined keys cannot collide). */
export { joinKey as key };

/**
 * Splits `names` of `collection` into those not in `seen` (which it adds, before any await of the caller, so a
 * parallel listing of the same collection cannot claim them too) and those already there.
 */
export function claimSnapshots(
  seen: Set<string>,
  collection: string,
  names: readonly string[],
): { fresh: string[]; repeated: string[] } {
  const fresh: string[] = [];
  const repeated: string[] = [];
  for (const name of names) {
    const k = joinKey(collection, name);
    if (seen.has(k)) repeated.push(name);
    else {
      seen.add(k);
      fresh.push(name);
    }
  }
  return { fresh, repeated };
}

/** Like Promise.all, but waits for every promise to settle before rethrowing the first failure. */
export async function settleAll(promises: readonly Promise<unknown>[]): Promise<void> {
  const results = await Promise.allSettled(promises);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed) throw failed.reason;
}

/**
 * Orders snapshot names oldest first by the `YYYY-MM-DD-HH-MM-SS` stamp Qdrant puts in them (then by name),
 * so that when several snapshots of a collection are recovered in turn, the newest one is recovered last and wins.
 */
export function compareSnapshotNames(a: string, b: string): number {
  const stamp = (n: string) => /(\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2})\.snapshot$/.exec(n)?.[1] ?? "";
  return stamp(a).localeCompare(stamp(b)) || (a < b ? -1 : a > b ? 1 : 0);
}

/**
 * Whether a task runs as a dry run: `--dry-run`, over the dry-run state store the session opens for it (which is what
 * keeps every state write in memory). `--dry-run` over a store that writes is a wiring error, never a real run.
 */
export function isDryRun(options: { readonly dryRun?: boolean }, deps: Pick<Deps, "state">): boolean {
  if (options.dryRun !== true) return false;
  if (!deps.state.dryRun) throw new Error("--dry-run over a state store that writes (the session must open a dry one)");
  return true;
}
