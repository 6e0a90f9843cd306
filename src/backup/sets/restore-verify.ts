/**
 * The verdict on a restored collection, the checks the bash tool's newest generation runs, in its order, within
 * QDRANT_VERIFY_GREEN_TIMEOUT_SECONDS polled every QDRANT_VERIFY_POLL_INTERVAL_SECONDS:
 * green (optimizers triggered on grey, backup/verify.ts); the exact count within the manifest's before/after range widened
 * by QDRANT_VERIFY_TOLERANCE_PCT, re-polled (green comes before the count converges); every shard with exactly
 * min(replication factor, peers) replicas, all Active (a Partial or Dead leftover, qdrant#7851, is re-polled); a
 * deep scroll with payloads; then the probes (restore-probes.ts). Returns one line per failed check.
 */
import { sleep } from "../../lib/retry.js";
import { QdrantError } from "../../qdrant/errors.js";
import { countRange, rangeText } from "../count-range.js";
import { VerificationError, waitForGreen } from "../verify-status.js";
import { describeError } from "../task/items.js";
import type { Deps } from "../task/deps.js";
import type { Manifest } from "./manifest.js";
import { paramsOf } from "./restore-create.js";
import { probePoints } from "./restore-probes.js";

const SCROLL_PAGES = 3;
const SCROLL_LIMIT = 100;

type VerifyDeps = Pick<Deps, "qdrant" | "log" | "config" | "signal">;

/** Polls `look` until it returns undefined (passed) or the tries run out; the last complaint is returned. */
async function poll(deps: VerifyDeps, tries: number, look: () => Promise<string | undefined>) {
  let complaint: string | undefined;
  for (let i = 0; i < tries; i++) {
    if (i > 0) await sleep(deps.config.restore.pollIntervalSeconds * 1000, deps.signal);
    try {
      complaint = await look();
    } catch (err) {
      if (err instanceof QdrantError && err.refused) throw err;
      complaint = describeError(err);
    }
    if (complaint === undefined) return undefined;
  }
  return complaint;
}

export interface Verdict {
  failures: string[];
  count?: number;
  /** The count the manifest allows: `N`, or `MIN to MAX` (undefined when it records none). */
  expected?: string;
}

export async function verifyRestore(deps: VerifyDeps, host: string, peers: number, m: Manifest): Promise<Verdict> {
  const c = m.collection;
  const r = deps.config.restore;
  const tries = Math.max(1, Math.floor(r.greenTimeoutSeconds / r.pollIntervalSeconds));
  try {
    await waitForGreen(deps, host, c, r.greenTimeoutSeconds * 1000, "QDRANT_VERIFY_GREEN_TIMEOUT_SECONDS");
  } catch (err) {
    if (err instanceof VerificationError) return { failures: [err.message] };
    throw err;
  }
  const failures: string[] = [];
  const before = m.points_count_before ?? m.points_count ?? undefined;
  const range =
    before === undefined
      ? undefined
      : countRange(
          { pointsCount: before, pointsCountAfter: m.points_count_after ?? before },
          deps.config.verifyTolerancePct,
        );
  let count: number | undefined;
  const expectedCount = range === undefined ? undefined : rangeText(range);
  if (range === undefined)
    deps.log.warn(`WARNING: the manifest of ${c} records no point count: the count is not checked`);
  const countProblem = await poll(deps, tries, async () => {
    count = await deps.qdrant.countPoints(host, c);
    if (range === undefined || (count >= range.min && count <= range.max)) return undefined;
    return `count: ${c} holds ${count} points, the manifest says ${expectedCount} (QDRANT_VERIFY_TOLERANCE_PCT=${deps.config.verifyTolerancePct})`;
  });
  if (countProblem) failures.push(countProblem);

  const rf = Number(paramsOf(m)["replication_factor"] ?? 1);
  const expected = Math.min(rf, peers);
  const replicaProblem = await poll(deps, tries, async () => {
    const info = await deps.qdrant.getCollectionCluster(host, c);
    const all = [...info.local_shards, ...info.remote_shards];
    for (const shard of m.shards) {
      const replicas = all.filter((x) => x.shard_id === shard.id);
      const active = replicas.filter((x) => x.state === "Active").length;
      if (replicas.length !== expected || active !== expected)
        return `replicas: shard ${shard.id} of ${c} has ${replicas.map((x) => x.state).join("/") || "no replica"}, expected ${expected} Active`;
    }
    return undefined;
  });
  if (replicaProblem) failures.push(replicaProblem);

  const restored = count ?? 0;
  try {
    let offset: string | number | bigint | undefined;
    for (let page = 0; page < SCROLL_PAGES; page++) {
      const got = await deps.qdrant.scrollPage(host, c, {
        limit: SCROLL_LIMIT,
        ...(offset !== undefined ? { offset } : {}),
      });
      if (page === 0 && got.points.length === 0 && restored > 0) {
        failures.push(`scroll: the first page of ${c} is empty though it counts ${restored}`);
        break;
      }
      if (got.next === undefined) break;
      offset = got.next;
    }
  } catch (err) {
    if (err instanceof QdrantError && err.refused) throw err;
    failures.push(`scroll: reading ${c} with payloads failed: ${describeError(err)}`);
  }
  failures.push(...(await probePoints(deps, host, m, restored)));
  return {
    failures,
    ...(count !== undefined ? { count } : {}),
    ...(expectedCount !== undefined ? { expected: expectedCount } : {}),
  };
}
