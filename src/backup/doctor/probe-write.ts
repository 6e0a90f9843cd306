// doctor --probe-write: that Qdrant really writes snapshots to the bucket. With a mis-mounted S3 config it silently
// keeps them on its local disk (qdrant#5026), and every backup is then lost with the node. A probe collection on the
// first source host is snapshotted, its object looked for under snapshots/{probe}/, then everything is removed.
import { DeleteObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { collectionSnapshotKey, collectionSnapshotsPrefix } from "../../core/keys.js";
import { describeS3Error } from "../../s3/client.js";
import { listObjects } from "../../s3/list.js";
import type { Deps } from "../task/deps.js";
import { fail, messageOf, ok, type Check } from "./check.js";

const CHECK = "probe write";

export async function checkProbeWrite(deps: Deps, client: S3Client, bucket: string, id: string): Promise<Check> {
  const host = deps.config.sourceHosts[0]!;
  const collection = `doctor-probe-${id}`;
  const prefix = collectionSnapshotsPrefix(collection);
  let created = false;
  let snapshot: string | undefined;
  try {
    await deps.qdrant.createCollection(host, collection, { vectors: { size: 4, distance: "Cosine" } });
    created = true;
    const out = await deps.qdrant.createSnapshot(host, collection, true);
    if (out.status !== "ok") return fail(CHECK, `${host} accepted the snapshot but did not finish it`, "run again");
    snapshot = out.snapshot.name;
    const key = collectionSnapshotKey(collection, snapshot);
    const { keys } = await listObjects(client, bucket, prefix, undefined, deps.signal);
    if (keys.includes(key)) return ok(CHECK, `${host} wrote its probe snapshot to s3://${bucket}/${key}`);
    return fail(
      CHECK,
      `${host} made snapshot ${snapshot}, but s3://${bucket}/${prefix} has no ${snapshot}: Qdrant keeps snapshots on its local disk (qdrant#5026)`,
      "give Qdrant storage.snapshots_config with snapshots_storage: s3 and this bucket (check it is mounted), or set QDRANT_SNAPSHOT_TRANSFER=true",
    );
  } catch (err) {
    return fail(
      CHECK,
      `${created ? "snapshot of" : "creating"} ${collection} on ${host}: ${messageOf(err)}`,
      "see the node's log",
    );
  } finally {
    await cleanup(deps, client, bucket, { host, collection, prefix, created, snapshot });
  }
}

/** The snapshot, the collection and whatever Qdrant left under the probe's prefix; failures are logged, not thrown. */
async function cleanup(
  deps: Deps,
  client: S3Client,
  bucket: string,
  p: { host: string; collection: string; prefix: string; created: boolean; snapshot: string | undefined },
): Promise<void> {
  const quiet = async (what: string, fn: () => Promise<unknown>) => {
    try {
      await fn();
    } catch (err) {
      deps.log.warn(`doctor: could not remove ${what}: ${messageOf(err)}; delete it by hand`);
    }
  };
  const { host, collection, snapshot } = p;
  if (snapshot !== undefined)
    await quiet(`snapshot ${snapshot} of ${collection} on ${host}`, () =>
      deps.qdrant.deleteSnapshot(host, { kind: "collection", collection, name: snapshot }, true),
    );
  if (p.created)
    await quiet(`the probe collection ${collection} on ${host}`, () => deps.qdrant.deleteCollection(host, collection));
  const abortSignal = AbortSignal.timeout(30_000);
  try {
    const { keys } = await listObjects(client, bucket, p.prefix, undefined, abortSignal);
    for (const Key of keys)
      await quiet(`s3://${bucket}/${Key}`, () =>
        client.send(new DeleteObjectCommand({ Bucket: bucket, Key }), { abortSignal }),
      );
  } catch (err) {
    deps.log.warn(`doctor: could not list s3://${bucket}/${p.prefix} to clean it: ${describeS3Error(err)}`);
  }
}
