// The variables of the state files, the destination, transfer mode and the recovery of legacy snapshots with its
// checks. A group of VARIABLES (variables.ts).
import type { VariableSpec } from "./spec.js";

export const STATE_AND_RECOVERY_VARIABLES = [
  { name: "QDRANT_STATE_DIR", default: ".", description: "directory of the state files (--state-dir wins)" },
  {
    name: "QDRANT_STATE_S3_PREFIX",
    default: "",
    description:
      "mirror the state files to this prefix of QDRANT_S3_BUCKET_NAME (e.g. state/prod-backup/): downloaded at start, uploaded after every change; empty = local only",
  },
  {
    name: "QDRANT_BACKUP_DIR",
    default: "",
    description:
      "a local directory as the backup destination, with the bucket's key layout (set it or QDRANT_S3_BUCKET_NAME, not both)",
  },
  {
    name: "QDRANT_SNAPSHOT_TRANSFER",
    default: "false",
    description:
      "true: stream each new snapshot from the node into the destination, with SHA-256 (for nodes keeping snapshots on local disk)",
  },
  {
    name: "QDRANT_DELETE_AFTER_TRANSFER",
    default: "false",
    description: "true: delete the node's copy once its transfer is verified",
  },
  {
    name: "QDRANT_RECOVER_VIA",
    default: "url",
    description:
      "url: the node downloads a presigned URL (with checksum); upload: the tool streams the snapshot into the node (needed for QDRANT_BACKUP_DIR)",
  },
  {
    name: "QDRANT_VERIFY_AFTER_RECOVER",
    default: "true",
    description:
      "check each recovered collection: status, point count (exact, or within the range counted before and after the snapshot) and vectors config against the backup metadata, a payload scroll",
  },
  {
    name: "QDRANT_VERIFY_TIMEOUT",
    default: "300",
    description: "how long a recovered collection may take to turn green: seconds or a duration",
  },
  {
    name: "QDRANT_VERIFY_TOLERANCE_PCT",
    default: "0",
    description:
      "a snapshot taken while its collection was written to: widen its before/after point-count range by this percentage (a number >= 0)",
  },
] as const satisfies readonly VariableSpec[];
