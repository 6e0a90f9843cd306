import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import path from "node:path";
import { fileSize, hashFileInto } from "../backup/local-file.js";
import { assertConfigured } from "../config.js";
import { ConfigError } from "../errors.js";
import { mapPool } from "../lib/pool.js";
import { QdrantError } from "../qdrant/errors.js";
import { describeError, isFatal, key } from "./shared.js";
import { Tally } from "./summary.js";
import type { Deps, TaskOptions, TaskSummary } from "./types.js";

/**
 * upload_snap: recover a collection (or one shard of it, --shard) on every restore host from a local snapshot file,
 * streamed into POST …/snapshots/upload (the policy's `curl -X POST … -F snapshot=@file`), one fresh read of the
 * file per host, hosts in parallel up to QDRANT_CONCURRENCY. Qdrant verifies the bytes it received against the
 * SHA-256: --checksum, or the file's own digest computed first in a streaming pass. Each host's outcome is appended
 * to snapshot_recovery_history / failed_snapshot_recovery with the file's base name as the snapshot, as recover_snap
 * does with snapshot names; a re-run skips hosts already `ok`/`accepted` for that name (--force uploads again).
 */
export async function run(options: TaskOptions, deps: Deps): Promise<TaskSummary> {
  const { config, log, qdrant, state } = deps;
  const { collection, file, size } = await parseRequest(options, config.cwd);
  assertConfigured(config, "upload_snap", ["restore"]);
  const tally = new Tally("upload_snap");
  const snapshot = path.basename(file);
  const what = options.shard === undefined ? collection : `${collection} shard ${options.shard}`;

  const done = new Set(
    options.force
      ? []
      : (await state.read("snapshotRecoveryHistory")).filter((r) => r.status === "ok" || r.status === "accepted").map((r) => key(r.host, r.snapshot)),
  );
  const hosts = config.restoreHosts.filter((host) => {
    if (!done.has(key(host, snapshot))) return true;
    log.info(`${host} already recovered ${snapshot} (snapshot_recovery_history); skipped (--force uploads it again)`);
    tally.add("skipped", { host, collection, snapshot, file });
    return false;
  });

  let checksum = options.checksum;
  if (hosts.length > 0 && checksum === undefined) {
    // Qdrant then checks the bytes it received, so a file changed or damaged on the way is refused, not recovered.
    const hash = createHash("sha256");
    await hashFileInto(hash, file, deps.signal);
    checksum = hash.digest("hex");
    log.info(`SHA-256 of ${file}: ${checksum}`);
  }

  const uploadOne = async (host: string): Promise<void> => {
    const item = { host, collection, snapshot, file };
    const body = createReadStream(file);
    try {
      const target = { collection, ...(options.shard === undefined ? {} : { shard: options.shard }) };
      const outcome = await qdrant.uploadSnapshot(host, target, body, {
        filename: snapshot,
        size,
        ...(checksum === undefined ? {} : { checksum }),
        ...(options.priority === undefined ? {} : { priority: options.priority }),
        wait: config.waitOnTask,
      });
      await state.append("snapshotRecoveryHistory", { host, snapshot, status: outcome });
      if (outcome === "accepted") log.info(`Upload of ${snapshot} to ${host} accepted (wait=false); check ${what} later`);
      else log.info(`Recovered ${what} on ${host} from ${file}`);
      tally.add(outcome === "ok" ? "done" : "accepted", item);
    } catch (err) {
      if (isFatal(err)) throw err;
      log.error(`Upload of ${file} to ${host} (${what}) failed: ${describeError(err)}`);
      await state.append("failedSnapshotRecovery", { host, snapshot, status: err instanceof QdrantError ? err.code : "failed" });
      tally.add("failed", { ...item, error: describeError(err) });
    } finally {
      body.destroy(); // an upload refused before reading the file would otherwise hold its descriptor
    }
  };
  await mapPool(hosts, config.concurrency, uploadOne, deps.signal);

  return tally.finish(
    `Snapshot file ${snapshot} uploaded: recovered ${tally.done}, accepted: ${tally.accepted}, already recovered: ${tally.skipped}, failed: ${tally.failed}`,
  );
}

/** Checks the options (every problem at once) and the file: a regular file, read for its size. */
async function parseRequest(options: TaskOptions, cwd: string): Promise<{ collection: string; file: string; size: number }> {
  const problems: string[] = [];
  if (options.collection === undefined) problems.push("--collection <name> is required (the collection to recover)");
  if (options.full) problems.push("--full: a full-storage snapshot cannot be uploaded; recover_full_snap restores one");
  // Chained after download_snap, the downloaded file (./<snapshot>) is the default.
  const given = options.file ?? options.snapshot;
  if (given === undefined) problems.push("--file <path> is required (the snapshot file to upload)");
  if (problems.length > 0) throw new ConfigError(problems.map((p) => `upload_snap: ${p}`));
  // Relative to the CLI's working directory, as curl's `-F snapshot=@file` reads it.
  const file = path.resolve(cwd, given!);
  const size = await fileSize(file).catch((err: unknown) => {
    throw new ConfigError(`upload_snap: --file ${describeError(err)}`);
  });
  if (size === undefined) throw new ConfigError(`upload_snap: --file ${file}: no such file`);
  return { collection: options.collection!, file, size };
}
