/**
 * The end of a run, with a deadline: everything it opened is closed at once; whatever has not closed when the deadline
 * passes (a connection with a request still in flight, a body nobody reads) is destroyed, so the run ends with its own
 * exit code instead of waiting forever.
 */
import type { Logger } from "./log.js";

/** How long closing the connections and the state may take at the end of a run, ms. */
export const SHUTDOWN_DEADLINE_MS = 10_000;

/** Something a run closes at its end: `close` politely, `destroy` once the deadline has passed. */
export interface Closer {
  close(): Promise<void>;
  destroy?(): Promise<void> | void;
}

/**
 * Closes every closer at once and waits at most `deadlineMs`; then destroys those still open, with a warning.
 * Never throws.
 * @returns whether everything closed in time
 */
export async function closeWithin(
  closers: readonly Closer[],
  deadlineMs: number,
  log: Pick<Logger, "warn">,
): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const open = new Set(closers);
  const closed = Promise.all(
    closers.map((c) =>
      c
        .close()
        .catch(() => undefined)
        .finally(() => open.delete(c)),
    ),
  ).then(() => true);
  // A timer that keeps the process alive: the deadline itself must not let the event loop run dry.
  const late = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), deadlineMs)));
  const inTime = await Promise.race([closed, late]);
  clearTimeout(timer);
  if (inTime) return true;
  log.warn(`shutdown: connections still busy after ${Math.round(deadlineMs / 1000)} s; closing them`);
  await Promise.all([...open].map(async (c) => c.destroy?.())).catch(() => undefined);
  return false;
}
