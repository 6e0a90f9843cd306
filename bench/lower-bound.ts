/**
 * A lower bound of a run's wall time from the nodes' request log. The tool makes some calls only inside a host's
 * slot (QDRANT_PER_HOST_CONCURRENCY of them at a time per host): on one host those calls cannot overlap more than the
 * slots allow, and each lasts at least as long as the node took to answer it (arrival to the end of the answer, as the
 * node timed it). So the busiest host's sum over them, divided by its slots, is a time no schedule can beat.
 */

/** A call matched by method and pathname. */
export interface CallPattern {
  method: string;
  path: RegExp;
}

/** What the bound needs of a request-log entry (test/support/emulator's RequestLogEntry has these). */
export interface LoggedCall {
  node: number;
  method: string;
  path: string;
  /** Milliseconds from the request's arrival to the end of its answer. */
  ms: number;
}

/**
 * The calls each task makes inside a host's slot (src/commands/<task>.ts): create_snap the node's snapshot listing (what
 * a lost answer would be judged by), the collection's facts (info, exact counts before and after; read there when
 * backup metadata is written) and the snapshot; recover_snap the recovery only (its checks poll outside the slot).
 */
export const IN_SLOT: Readonly<Record<string, readonly CallPattern[]>> = {
  create_snap: [
    { method: "GET", path: /^\/collections\/[^/]+\/snapshots$/ },
    { method: "GET", path: /^\/collections\/[^/]+$/ },
    { method: "POST", path: /^\/collections\/[^/]+\/points\/count$/ },
    { method: "POST", path: /^\/collections\/[^/]+\/snapshots$/ },
  ],
  recover_snap: [{ method: "PUT", path: /^\/collections\/[^/]+\/snapshots\/recover$/ }],
};

/** The bound in seconds, the in-slot calls of the host that sets it, and that host (undefined: no in-slot call). */
export function slotLowerBound(
  log: readonly LoggedCall[],
  inSlot: readonly CallPattern[],
  perHost: number,
): { seconds: number; calls: number; node: number | undefined } {
  if (!Number.isInteger(perHost) || perHost < 1)
    throw new Error(`slots per host: expected a positive whole number, got ${perHost}`);
  const perNode = new Map<number, { ms: number; calls: number }>();
  for (const e of log) {
    if (!inSlot.some((c) => c.method === e.method && c.path.test(e.path))) continue;
    const n = perNode.get(e.node) ?? { ms: 0, calls: 0 };
    n.ms += e.ms;
    n.calls++;
    perNode.set(e.node, n);
  }
  let best: { seconds: number; calls: number; node: number | undefined } = { seconds: 0, calls: 0, node: undefined };
  for (const [node, n] of perNode)
    if (n.ms / perHost / 1000 > best.seconds) best = { seconds: n.ms / perHost / 1000, calls: n.calls, node };
  return best;
}
