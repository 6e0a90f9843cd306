// The samples of a metrics file: this run's tasks, and what the previous file holds that this run does not replace.
import { EXIT } from "../errors.js";
import { ITEM_OUTCOMES, METRICS } from "./names.js";
import type { Sample } from "./previous.js";
import type { TaskRun } from "./task-runs.js";

const seconds = (d: Date): number => d.getTime() / 1000;

/**
 * The samples of one task's run; its last success is its end when it succeeded, else `carried` (the previous file's),
 * else none (a Pushgateway then keeps the value it has: pushes replace only the metrics they carry).
 */
export function samplesOf(run: TaskRun, carried: number | undefined): Sample[] {
  const labels = { task: run.task };
  const out: Sample[] = [
    { name: METRICS.start.name, labels, value: seconds(run.start) },
    { name: METRICS.end.name, labels, value: seconds(run.end) },
    { name: METRICS.duration.name, labels, value: (run.end.getTime() - run.start.getTime()) / 1000 },
    { name: METRICS.exitCode.name, labels, value: run.exitCode },
  ];
  if (run.items)
    for (const outcome of ITEM_OUTCOMES)
      out.push({ name: METRICS.items.name, labels: { task: run.task, outcome }, value: run.items[outcome] });
  const lastSuccess = run.exitCode === EXIT.ok ? seconds(run.end) : carried;
  if (lastSuccess !== undefined) out.push({ name: METRICS.lastSuccess.name, labels, value: lastSuccess });
  return out;
}

/** The previous last success of `task`, if the previous file has one. */
export function carriedSuccess(previous: readonly Sample[], task: string): number | undefined {
  return previous.find((s) => s.name === METRICS.lastSuccess.name && s.labels["task"] === task)?.value;
}

/**
 * Every sample of the file: this run's tasks first (with their carried last success), then the previous file's
 * samples of the tasks this run did not run, so one file keeps each task's last run whatever the next run runs.
 */
export function fileSamples(runs: readonly TaskRun[], previous: readonly Sample[]): Sample[] {
  const ran = new Set(runs.map((r) => r.task));
  const known = new Set<string>(Object.values(METRICS).map((m) => m.name));
  return [
    ...runs.flatMap((r) => samplesOf(r, carriedSuccess(previous, r.task))),
    ...previous.filter((s) => known.has(s.name) && s.labels["task"] !== undefined && !ran.has(s.labels["task"])),
  ];
}
