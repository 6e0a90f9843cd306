/** A recovered collection's status check: green within a deadline, and the error every verification step throws. */
import type { Deps } from "./task/deps.js";
import { EXIT, ToolError } from "../errors.js";
import { sleep } from "../lib/retry.js";
import { QdrantError } from "../qdrant/errors.js";
import type { CollectionInfo } from "../qdrant/types.js";

/** What failed: recorded as `verify-<reason>` in failed_snapshot_recovery. */
export type VerifyReason = "status" | "timeout" | "count" | "vectors" | "scroll" | "metadata";

/** A recovered collection that did not pass its health check (the item fails: exit 3). */
export class VerificationError extends ToolError {
  constructor(
    readonly reason: VerifyReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, EXIT.partial, options);
  }

  /** The failed_snapshot_recovery status: `verify-count`, `verify-timeout`, … */
  get status(): string {
    return `verify-${this.reason}`;
  }
}

/** Status polls start 200 ms apart and back off to one every 2 s. */
const FIRST_POLL_MS = 200;
const MAX_POLL_MS = 2_000;

type StatusDeps = Pick<Deps, "qdrant" | "log" | "signal">;

/** Polls the status until green; triggers the optimizers once when grey; red, or still not green at the deadline, fails. */
export async function waitForGreen(
  deps: StatusDeps,
  host: string,
  collection: string,
  timeoutMs: number,
  variable = "QDRANT_VERIFY_TIMEOUT",
): Promise<{ info: CollectionInfo; triggered: boolean }> {
  const where = `${collection} on ${host}`;
  const deadline = Date.now() + timeoutMs;
  let delay = FIRST_POLL_MS;
  let triggered = false;
  for (;;) {
    const info = await check("status", where, () => deps.qdrant.getCollection(host, collection));
    if (info.status === "green") return { info, triggered };
    if (info.status === "red")
      throw new VerificationError("status", `${where} is red: an operation on it failed (see its optimizer_status)`);
    if (info.status === "grey" && !triggered) {
      // Grey: optimizations are pending but not running (typical right after a restore); an update starts them.
      await check("status", where, () => deps.qdrant.triggerOptimizers(host, collection));
      triggered = true;
      deps.log.info(`${where} is grey (optimizations pending); triggered its optimizers`);
    }
    const left = deadline - Date.now();
    if (left <= 0) {
      throw new VerificationError(
        "timeout",
        `${where} is still ${info.status}, not green, after ${Math.round(timeoutMs / 1000)} s (${variable})`,
      );
    }
    await sleep(Math.min(delay, left), deps.signal);
    delay = Math.min(delay * 2, MAX_POLL_MS);
  }
}

/** Runs one check's request; a Qdrant failure (other than a refused key) fails that check. */
export async function check<T>(reason: VerifyReason, where: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof QdrantError && !err.refused)
      throw new VerificationError(reason, `${where}: ${reason} check failed: ${err.message}`, { cause: err });
    throw err;
  }
}
