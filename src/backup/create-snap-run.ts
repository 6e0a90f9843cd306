// What one create_snap run shares across its snapshots, and its judgements of which host to ask for which collection.
import { QdrantError } from "../qdrant/errors.js";
import type { PeerMap } from "./peers.js";
import type { FactCollector } from "./collect.js";
import { key } from "./task/items.js";
import type { Tally } from "./task/tally.js";
import type { Deps } from "./task/deps.js";

/** One create_snap run: its dependencies, tally, peers, the listing it works from, and the notices already logged. */
export interface CreateSnapRun {
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

/**
 * Whether `collection` is to be snapshotted on source host `host` (without peer discovery): yes unless `collections`
 * holds that host's listing without it, which is how independent source instances with different collections are
 * backed up without asking each for the others' collections. A host with no rows at all (a file the bash tool wrote,
 * which listed only the first host) is asked; a 404 then skips it there (isNotListedHere).
 */
export function listedHere(ctx: CreateSnapRun, host: string, collection: string): boolean {
  if (!ctx.listedHosts.has(host) || ctx.listedOn.has(key(host, collection))) return true;
  notice(
    ctx,
    `not-listed ${host}`,
    `${host} is asked only for the collections it listed in the collections file; the others are skipped there`,
  );
  ctx.tally.add("skipped", { host, collection });
  return false;
}

/** A 404 for a collection on a source host that did not list it (and no peer discovery chose that host). */
export function isNotListedHere(ctx: CreateSnapRun, host: string, collection: string, err: unknown): boolean {
  return !ctx.peers && !ctx.listedOn.has(key(host, collection)) && err instanceof QdrantError && err.status === 404;
}

/** Logs `message` once per run under `id`. */
export function notice(ctx: CreateSnapRun, id: string, message: string): void {
  if (ctx.once.has(id)) return;
  ctx.once.add(id);
  ctx.deps.log.info(message);
}
