// The metric names the tool writes (README "Metrics" and k8s/prometheus-rule.yaml use them; a test holds them together).
export const METRIC_PREFIX = "qdrant_backup_restore_";

export const METRICS = {
  start: {
    name: `${METRIC_PREFIX}last_run_start_timestamp_seconds`,
    help: "When the task last started (Unix time, seconds).",
  },
  end: {
    name: `${METRIC_PREFIX}last_run_end_timestamp_seconds`,
    help: "When the task last ended (Unix time, seconds).",
  },
  duration: { name: `${METRIC_PREFIX}last_run_duration_seconds`, help: "How long the task's last run took, seconds." },
  exitCode: {
    name: `${METRIC_PREFIX}last_run_exit_code`,
    help: "Exit code of the task's last run (0 = success; README: Exit codes).",
  },
  items: {
    name: `${METRIC_PREFIX}last_run_items`,
    help: "Items of the task's last run by outcome (done, failed, skipped, accepted).",
  },
  lastSuccess: {
    name: `${METRIC_PREFIX}last_success_timestamp_seconds`,
    help: "When the task last ended with exit code 0 (Unix time, seconds), carried over across failed runs.",
  },
} as const;

export const ITEM_OUTCOMES = ["done", "failed", "skipped", "accepted"] as const;

/** The Pushgateway job of every push: /metrics/job/<JOB>/task/<task>. */
export const PUSH_JOB = "qdrant_backup_restore";
