// The gateway pass (`npm run test:rgw`): the S3-facing suites, the same files as in `npm test`, against Ceph's RADOS
// Gateway instead of the fake (test/support/s3/rgw-launcher.ts). Only the files named here run; a test in them that
// needs the fake's fault injection declares it (test/support/s3/impl.ts) and runs in the fake pass only.
// Needs the Debian packages (see README "S3 compatibility"); a missing gateway fails the run, it never skips.
import { defineConfig } from "vitest/config";
import base from "./vitest.config.js";

/** The S3-facing suites the gateway pass runs. */
export const RGW_SUITES = [
  // The S3 client and conditional writes, the state mirror and the lease.
  "test/integration/s3-compat.test.ts",
  "test/integration/lease.test.ts",
  "test/integration/state-mirror.test.ts",
  "test/e2e/state-mirror.test.ts",
  "test/e2e/locking.test.ts",
  // Snapshots in S3: the legacy round trip (Qdrant's S3 snapshot storage on the same server), presigned recovery,
  // transfer mode, metadata, prune.
  "test/e2e/backup-restore.test.ts",
  "test/integration/get_snap_s3.test.ts",
  "test/integration/recover_snap.test.ts",
  "test/integration/create_snap-transfer.test.ts",
  "test/integration/recover_snap-transfer.test.ts",
  "test/e2e/transfer.test.ts",
  "test/integration/metadata.test.ts",
  "test/integration/prune_snap.test.ts",
  // Backup sets: shard snapshots in the bucket (Qdrant's S3 storage or transfer mode) and manifests written last.
  "test/integration/create_snap_shards.test.ts",
  "test/e2e/backup-sets.test.ts",
  "test/e2e/prune.test.ts",
  "test/integration/prune_snap-sets.test.ts",
  "test/integration/prune_snap-legacy.test.ts",
  "test/e2e/prune-sets.test.ts",
  // Restoring sets: manifests and resume state read from the bucket, shards recovered by presigned URL.
  "test/integration/recover_snap_shards.test.ts",
  "test/integration/recover_snap_shards-topology.test.ts",
  "test/e2e/restore-sets.test.ts",
  // doctor: what the configured S3 shows (If-Match forms, 412 or 404 for a missing key, multipart ETags).
  "test/integration/doctor.test.ts",
  "test/e2e/doctor.test.ts",
  // Crash and fault tests that involve S3 (on the gateway without S3-side faults: it has no fault injection).
  "test/faults/crash-backup.test.ts",
  "test/faults/crash-prune.test.ts",
  "test/faults/crash-restore.test.ts",
  "test/faults/legacy-round-trip.test.ts",
  "test/faults/transfer-round-trip.test.ts",
  "test/faults/lost-answers.test.ts",
];

export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: RGW_SUITES,
    provide: { s3Impl: "rgw" },
    env: {
      // No AWS_REQUEST_CHECKSUM_CALCULATION here: the tool must work on the gateway without it (its own client says
      // WHEN_REQUIRED); test helpers' clients set it themselves (test/support/s3/client.ts).
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
    },
  },
});
