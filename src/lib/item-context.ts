/**
 * What the current line of work is about: the task, the host and collection of the item under way, and where the
 * bytes it moves are counted. Carried by AsyncLocalStorage, so a log line says which task, host and collection it
 * belongs to (`--log-format json`) and a stream counts its bytes for the item's progress, without either being passed
 * down through every call.
 */
import { AsyncLocalStorage } from "node:async_hooks";

export interface ItemContext {
  readonly task?: string;
  readonly host?: string;
  readonly collection?: string;
  /** Counts `n` more bytes moved for the item (its transfer, download or upload). */
  readonly onBytes?: (n: number) => void;
}

const storage = new AsyncLocalStorage<ItemContext>();

/** Runs `fn` with `ctx` added to the current context (the task's, for an item). */
export function withItemContext<T>(ctx: ItemContext, fn: () => T): T {
  return storage.run({ ...storage.getStore(), ...ctx }, fn);
}

/** The context of the code running now; empty outside any task. */
export function itemContext(): ItemContext {
  return storage.getStore() ?? {};
}
