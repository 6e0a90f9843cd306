/**
 * Server-side overlap measurement for the emulator. The emulator's request log records completions only, so the
 * arrivals are caught with a fault rule: the emulator tests a rule's `path` pattern when a request arrives on the
 * rule's node with the rule's method, before the rule's latency is applied. A RegExp whose `test` also counts the
 * arrival therefore sees every matching request start; comparing starts with the completions already in the
 * request log gives the number of requests in flight on that node at each arrival.
 */
import type { Emulator } from "../../support/emulator/index.js";

class ArrivalPattern extends RegExp {
  constructor(
    source: RegExp,
    private readonly onArrival: () => void,
  ) {
    super(source.source, source.flags);
  }

  override test(text: string): boolean {
    const hit = super.test(text);
    if (hit) this.onArrival();
    return hit;
  }
}

export interface OverlapProbe {
  /** The most requests in flight on each node at once, by node index. */
  maxInFlight(): number[];
  /** The most requests in flight across all probed nodes at once. */
  maxInFlightOverall(): number;
  /** Removes the rules. */
  remove(): void;
}

/**
 * Adds one latency rule per node for `method` + `path`, so that each matching request takes at least `latencyMs`
 * on the server and its start is observed.
 */
export function probeOverlap(emu: Emulator, method: string, path: RegExp, latencyMs: number): OverlapProbe {
  const starts = emu.nodes.map(() => 0);
  const perNode = emu.nodes.map(() => 0);
  let overall = 0;
  const countCompleted = (node?: number): number =>
    emu.requests().filter((e) => (node === undefined || e.node === node) && e.method === method && path.test(e.path))
      .length;
  // Completions logged before the probe existed belong to requests it never saw start.
  const base = emu.nodes.map((_, node) => countCompleted(node));
  const baseOverall = countCompleted();
  const completed = (node?: number): number =>
    node === undefined ? countCompleted() - baseOverall : countCompleted(node) - (base[node] ?? 0);
  const removers = emu.nodes.map((_, node) =>
    emu.faults.add({
      node,
      method,
      latencyMs,
      path: new ArrivalPattern(path, () => {
        starts[node] = (starts[node] ?? 0) + 1;
        perNode[node] = Math.max(perNode[node] ?? 0, (starts[node] ?? 0) - completed(node));
        const started = starts.reduce((a, b) => a + b, 0);
        overall = Math.max(overall, started - completed());
      }),
    }),
  );
  return {
    maxInFlight: () => [...perNode],
    maxInFlightOverall: () => overall,
    remove: () => removers.forEach((r) => r()),
  };
}
