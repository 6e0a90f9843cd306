/**
 * The progress port: what a task tells about its items while it runs, for a live display on a terminal or plain
 * lines in a log. Commands report through their Tally (which forwards here); the renderers live in src/progress/.
 */
import { Transform, type Readable } from "node:stream";
import { itemContext, withItemContext } from "../../lib/item-context.js";

/** How one item ended, as its Tally counts it. */
export type ItemOutcome = "done" | "skipped" | "failed" | "accepted";

export interface ProgressReporter {
  /** A task starts with `total` items (undefined while unknown). */
  start(task: string, total?: number): void;
  /** More items than announced became known (a collection's shards, the hosts of a snapshot). */
  grow(n: number): void;
  /** Item `name` is under way (it holds a slot now). */
  begin(name: string): void;
  /** `n` more bytes moved for item `name`. */
  bytes(name: string, n: number): void;
  /** Item `name` ended (it may never have begun: skipped before any work). */
  end(name: string, outcome: ItemOutcome): void;
  /** The task ended. */
  finish(): void;
}

/** Reports nothing: the default, and what tests and `--quiet` get. */
export const NO_PROGRESS: ProgressReporter = {
  start: () => undefined,
  grow: () => undefined,
  begin: () => undefined,
  bytes: () => undefined,
  end: () => undefined,
  finish: () => undefined,
};

/** The fields that name an item (the rest of an item row is its result). */
export interface ItemKey {
  host?: string;
  /** recover_snap_shards: the target cluster (its first host), named as a host. */
  target?: string;
  collection?: string;
  snapshot?: string;
  shard?: string;
  group?: string;
  key?: string;
}

/**
 * An item's display name, from the fields that are known when it begins: "collection on host", "host", a prune
 * group's key; the snapshot only when nothing else names it (it is often learnt on the way).
 */
export function itemName(item: ItemKey): string {
  const host = item.host ?? item.target;
  const what = item.collection ?? item.key ?? item.group ?? (host === undefined ? item.snapshot : undefined) ?? "";
  const shard = item.shard === undefined ? "" : ` shard ${item.shard}`;
  const on = host === undefined ? "" : `${what === "" ? "" : " on "}${host}`;
  return `${what}${shard}${on}`;
}

/**
 * Runs `work` in item `item`'s context: its host and collection on the log lines, its bytes counted for `progress`.
 * The item is in flight from `progress.begin` (when it holds a slot), until its Tally row ends it.
 */
export function inItem<T>(progress: ProgressReporter, item: ItemKey, work: () => Promise<T>): Promise<T> {
  const name = itemName(item);
  const ctx = {
    host: item.host ?? item.target,
    collection: item.collection,
    onBytes: (n: number) => progress.bytes(name, n),
  };
  return withItemContext(ctx, work);
}

/** Counts `n` bytes for the item whose context the caller runs in (a no-op outside one). */
export function countBytes(): (n: number) => void {
  return itemContext().onBytes ?? (() => undefined);
}

/**
 * `source` through a pass-through that counts its bytes for the caller's item; an error of `source` reaches the
 * returned stream. Destroying the returned stream does not close `source`: the caller closes both.
 */
export function countedStream(source: Readable): Readable {
  const counted = countBytes();
  const out = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      counted(chunk.length);
      done(null, chunk);
    },
  });
  source.once("error", (err) => out.destroy(err));
  return source.pipe(out);
}
