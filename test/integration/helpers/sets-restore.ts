/**
 * A rig for recover_snap_shards: a 3-peer source cluster (its snapshots in the rig's bucket, Qdrant's S3 storage)
 * holding `docs` (3 shards at RF 2, payloads, a payload index, an alias), and a fresh target cluster sharing the
 * bucket. Sets are written by hand (test/support/sets/write-set.ts) until create_snap_shards is on main.
 */
import { onTestFinished } from "vitest";
import type { Manifest } from "../../../src/backup/sets/manifest.js";
import { startEmulator, type Emulator } from "../../support/emulator/index.js";
import { createAlias, qdrantCall, seedCollection } from "../../support/emulator/seed.js";
import { createTestS3Client, s3Storage } from "../../support/s3/client.js";
import { writeSetByHand } from "../../support/sets/write-set.js";
import { manualClock, startRig, type Rig } from "./rig.js";

export const KEY = "sets-restore-key-41c2";
export const DOCS = "docs";
export const SET_OLD = "2026-08-10T00-00-00Z-backup-a";
export const SET_NEW = "2026-08-11T00-00-00Z-backup-b";

export interface SetsRig {
  rig: Rig;
  source: Emulator;
  target: Emulator;
  /** Writes set `setId` of `collection` from the source (`edit` tampers with the manifest before it is written). */
  writeSet(setId: string, edit?: (m: Manifest) => void, collection?: string): Promise<Manifest>;
  /** Env restoring onto the target, checks polled every second within 5 s. */
  env: Record<string, string>;
}

export async function setsRig(
  label: string,
  opts: { targetPeers?: number; targetStandalone?: boolean; targetVersion?: string; points?: number } = {},
): Promise<SetsRig> {
  // Each set's snapshots get their own names (they carry the source's time, to the second).
  let minute = 0;
  const clock = manualClock("2026-08-11T00:00:00Z");
  const rig = await startRig(label, {
    clock: clock.now,
    cluster: { peers: 3, shards: 3, replicationFactor: 2 },
    apiKey: KEY,
    peerIds: [11, 12, 13],
  });
  const target = await startEmulator({
    ...(opts.targetStandalone ? { nodes: 1 } : { cluster: { peers: opts.targetPeers ?? 3 } }),
    storage: s3Storage(rig.s3info, rig.bucket.name),
    apiKey: KEY,
    peerIds: Array.from({ length: opts.targetStandalone ? 1 : (opts.targetPeers ?? 3) }, (_, i) => 21 + i),
    ...(opts.targetVersion ? { version: opts.targetVersion } : {}),
  });
  const s3 = createTestS3Client(rig.s3info);
  onTestFinished(async () => {
    s3.destroy();
    await target.stop();
  });
  const src = rig.urls[0]!;
  await seedCollection(src, DOCS, { points: opts.points ?? 60, dim: 4, shards: 3, rf: 2, apiKey: KEY });
  await qdrantCall(src, "PUT", `/collections/${DOCS}/index?wait=true`, KEY, {
    field_name: "group",
    field_schema: "keyword",
  });
  await createAlias(src, DOCS, "docs-live", KEY);
  const peers = rig.emu.cluster.peers().map((p) => ({ peerId: p.peerId, url: p.url }));
  return {
    rig,
    source: rig.emu,
    target,
    writeSet: (setId, edit, collection = DOCS) => {
      clock.set(`2026-08-11T00:${String(++minute).padStart(2, "0")}:00Z`);
      return writeSetByHand({
        s3,
        bucket: rig.bucket.name,
        peers,
        collection,
        setId,
        apiKey: KEY,
        ...(edit ? { edit } : {}),
      });
    },
    env: {
      QDRANT_RESTORE_HOSTS: target.urls[0]!,
      QDRANT_HTTP_PORT: String(target.nodes[0]!.port),
      QDRANT_API_KEY: KEY,
      QDRANT_VERIFY_GREEN_TIMEOUT_SECONDS: "5",
      QDRANT_VERIFY_POLL_INTERVAL_SECONDS: "1",
    },
  };
}
