// The end of every run: the metrics file (atomically replaced, for node_exporter's textfile collector) and the
// Pushgateway. Neither changes the run's exit code: a failure is logged, and the alert on the last success's age
// catches a monitoring path that stays broken.
import path from "node:path";
import type { Logger } from "../log.js";
import { writeAtomically } from "../lib/fs.js";
import { pushAll } from "./push.js";
import { readPrevious, type Sample } from "./previous.js";
import { render } from "./render.js";
import { carriedSuccess, fileSamples, samplesOf } from "./samples.js";
import type { TaskRun } from "./task-runs.js";

export interface MetricsTargets {
  /** --metrics-file, absolute. */
  readonly file?: string;
  /** QDRANT_PUSHGATEWAY_URL. */
  readonly pushgatewayUrl?: string;
}

export async function reportMetrics(targets: MetricsTargets, runs: readonly TaskRun[], log: Logger): Promise<void> {
  const { file, pushgatewayUrl } = targets;
  if (file === undefined && pushgatewayUrl === undefined) return;
  let previous: Sample[] = [];
  if (file !== undefined) {
    const read = await readPrevious(file);
    if (read.problem) log.warn(`metrics: ${read.problem}; the last success times start afresh`);
    previous = read.samples;
    try {
      const { text } = await render(fileSamples(runs, previous));
      await writeAtomically(file, path.dirname(file), Buffer.from(text));
      log.debug(`metrics: wrote ${file}`);
    } catch (err) {
      log.error(
        `metrics: ${err instanceof Error ? err.message : String(err)} (--metrics-file; the exit code is unchanged)`,
      );
    }
  }
  if (pushgatewayUrl !== undefined && runs.length > 0) {
    try {
      const pushes = await Promise.all(
        runs.map(async (run) => ({
          task: run.task,
          body: await render(samplesOf(run, carriedSuccess(previous, run.task))),
        })),
      );
      const problems = await pushAll(pushgatewayUrl, pushes);
      for (const p of problems) log.warn(`${p} (the exit code is unchanged)`);
      if (problems.length === 0) log.debug(`metrics: pushed ${runs.length} task(s) to ${pushgatewayUrl}`);
    } catch (err) {
      log.error(
        `metrics: cannot push: ${err instanceof Error ? err.message : String(err)} (the exit code is unchanged)`,
      );
    }
  }
}
