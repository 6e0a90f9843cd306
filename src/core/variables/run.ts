// The variables of a run as a whole: concurrency, retries, the lock, status, metrics, progress and logs. A group of
// VARIABLES (variables.ts).
import type { VariableSpec } from "./spec.js";

export const RUN_VARIABLES = [
  {
    name: "QDRANT_CONCURRENCY",
    default: "8",
    description:
      "work items running at once over all hosts (a snapshot create or recover of one collection on one host, a listing, a transfer)",
  },
  {
    name: "QDRANT_PER_HOST_CONCURRENCY",
    default: "1",
    description: "snapshot create or recover calls running at once against one Qdrant host",
  },
  {
    name: "QDRANT_RETRIES",
    default: "3",
    description:
      "how many times a failed request to Qdrant or S3 is tried again; a call that changes Qdrant is checked first, never re-sent blindly (README: Timeouts and retries)",
  },
  {
    name: "QDRANT_LOCK_TTL",
    default: "600",
    description:
      "time to live of the local lock's heartbeat and of the state lease in the bucket (with QDRANT_STATE_S3_PREFIX), seconds or a duration; both are renewed every third of it while a run lasts, and taken over by the next run once older than it; a run that could not renew its lease stops (exit 5) a tenth of it before it expires",
  },
  {
    name: "QDRANT_STATUS_MAX_AGE_HOURS",
    default: "24",
    description:
      "status: a collection of the source hosts whose newest backup (legacy snapshot or backup set) is older than this many hours is reported stale (exit 3); at least 1",
  },
  {
    name: "QDRANT_PUSHGATEWAY_URL",
    default: "",
    description:
      "base URL of a Prometheus Pushgateway: at the end of every run the run's metrics are pushed to <url>/metrics/job/qdrant_backup_restore/tasks/<tasks>; empty = no push",
  },
  {
    name: "QDRANT_PROGRESS_INTERVAL",
    default: "30",
    description:
      "when stderr is not a terminal, a plain progress line every this many seconds (or a duration) or at every tenth of a task's items, whichever comes first; 0 = none (on a terminal the display is live)",
  },
  {
    name: "QDRANT_LOG_FORMAT",
    default: "text",
    description:
      "text: [YYYY-MM-DD HH:MM:SS] message lines; json: one JSON object per line (time, level, task, host, collection, message); --log-format wins",
  },
  {
    name: "MC_CONFIG_DIR",
    description: "accepted and ignored (the bash tool's mc config directory; this tool has no mc)",
  },
] as const satisfies readonly VariableSpec[];
