import { exitCodeOf, formatCheck } from "../backup/doctor/check.js";
import { runDoctor } from "../backup/doctor/run-doctor.js";
import type { Deps, TaskOptions, TaskSummary } from "../backup/task/deps.js";

/** doctor: checks the variables, the Qdrant hosts and the destination, one line each; exit 0 only when none fails. */
export async function run(options: TaskOptions, deps: Deps): Promise<TaskSummary> {
  const checks = await runDoctor(deps, { probeWrite: options.probeWrite ?? false });
  const count = (v: string) => checks.filter((c) => c.verdict === v).length;
  const failed = count("FAIL");
  return {
    task: "doctor",
    done: count("ok"),
    skipped: count("warn"),
    failed,
    accepted: 0,
    message: `${checks.length} checks: ${count("ok")} ok, ${count("warn")} warn, ${failed} FAIL`,
    report: checks.map(formatCheck),
    items: checks.map(({ check, verdict, detail, cure }) => ({
      outcome: verdict === "ok" ? "done" : verdict === "warn" ? "skipped" : "failed",
      check,
      verdict,
      detail,
      cure,
    })),
    exitCode: exitCodeOf(checks),
  };
}
