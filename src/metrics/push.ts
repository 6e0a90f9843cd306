// The run's metrics to a Prometheus Pushgateway: one group per task (/metrics/job/<job>/task/<task>), POSTed, so a
// push replaces the metrics it carries and leaves the others of that group: a failed task whose last success the tool
// does not know (no metrics file) keeps the last success an earlier push left there.
import { PUSH_JOB } from "./names.js";
import type { Rendered } from "./render.js";

/** All the pushes of one run end within this time, whatever the Pushgateway does. */
export const PUSH_TIMEOUT_MS = 10_000;

export interface Push {
  readonly task: string;
  readonly body: Rendered;
}

/** The URL of a task's group under the Pushgateway's base URL. */
export function groupUrl(base: string, task: string): string {
  return `${base}/metrics/job/${encodeURIComponent(PUSH_JOB)}/task/${encodeURIComponent(task)}`;
}

/**
 * Pushes each task's group; returns one line per push that failed (naming the URL and the cure), none when all
 * succeeded. Never throws: the metrics are a report of the run, not part of it.
 */
export async function pushAll(
  base: string,
  pushes: readonly Push[],
  timeoutMs: number = PUSH_TIMEOUT_MS,
): Promise<string[]> {
  const signal = AbortSignal.timeout(timeoutMs);
  const problems: string[] = [];
  for (const { task, body } of pushes) {
    const url = groupUrl(base, task);
    try {
      const res = await fetch(url, {
        method: "POST",
        headers: { "content-type": body.contentType },
        body: body.text,
        signal,
      });
      const answer = (await res.text()).trim().split("\n", 1)[0]!.slice(0, 200);
      if (!res.ok) problems.push(`${url} answered ${res.status}${answer ? `: ${answer}` : ""}`);
    } catch (err) {
      problems.push(`${url}: ${signal.aborted ? `no answer within ${timeoutMs / 1000} s` : describe(err)}`);
    }
  }
  return problems.map((p) => `metrics: push to the Pushgateway failed: ${p}; check QDRANT_PUSHGATEWAY_URL`);
}

function describe(err: unknown): string {
  const cause = err instanceof Error ? (err.cause as { code?: string; message?: string } | undefined) : undefined;
  return cause?.code ?? cause?.message ?? (err instanceof Error ? err.message : String(err));
}
