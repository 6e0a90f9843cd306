import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import path from "node:path";
import { fileSize, hashFileInto } from "../backup/local-file.js";
import { metadataOfFile, uploadKey } from "../backup/upload-file.js";
import { VerificationError, verifyRecovery } from "../backup/verify.js";
import { assertConfigured } from "../config.js";
import { ConfigError } from "../errors.js";
import { mapPool } from "../lib/pool.js";
import { QdrantError } from "../qdrant/errors.js";
import { describeError, isFatal, key } from "../backup/task/items.js";
import { Tally } from "../backup/task/tally.js";
import { countedStream } from "../backup/task/progress.js";
import type { Deps, TaskOptions, TaskSummary } from "../backup/task/deps.js";

/**
 * upload_snap: recover a collection (or one shard of it, --shard) on every restore host from a local snapshot file,
 * streamed into POST …/snapshots/upload (the policy's `curl -X POST … -F snapshot=@file`), one fresh read of the
 * file per host, hosts in parallel up to QDRANT_CONCURRENCY. Qdrant verifies the bytes it received against the
 * SHA-256: --checksum, or the file's own digest computed first in a streaming pass. Then, unless
 * QDRANT_VERIFY_AFTER_RECOVER=false, each host's collection is checked as recover_snap checks it (backup/verify.ts):
 * against the file's backup metadata when the destination holds metadata of that very file, else by status.
 * - Each host's outcome is appended to snapshot_recovery_history / failed_snapshot_recovery under the upload's key
 *   (uploadKey: file name, collection, shard and SHA-256), so another collection, shard or file content under the
 *   same file name is never taken for done; `verified` follows `ok` once the check passed.
 * - A re-run skips hosts recorded `ok`/`accepted` under that key (--force uploads again), and checks a host recorded
 *   `ok` without `verified` (its check failed, or the run stopped before it).
 */
export async function run(options: TaskOptions, deps: Deps): Promise<TaskSummary> {
  const { config, log, qdrant, state } = deps;
  const { collection, file, size } = await parseRequest(options, config.cwd);
  assertConfigured(config, "upload_snap", ["restore"]);
  const tally = new Tally("upload_snap", deps.progress);
  tally.start(config.restoreHosts.length);
  const name = path.basename(file);
  const what = options.shard === undefined ? collection : `${collection} shard ${options.shard}`;

  // The key needs the content's digest: --checksum, or the file's SHA-256 (Qdrant then checks the bytes it received,
  // so a file changed or damaged on the way is refused, not recovered).
  let checksum = options.checksum?.toLowerCase();
  if (checksum === undefined) {
    const hash = createHash("sha256");
    await hashFileInto(hash, file, deps.signal);
    checksum = hash.digest("hex");
    log.info(`SHA-256 of ${file}: ${checksum}`);
  }
  const snapshot = uploadKey({ file: name, collection, shard: options.shard, sha256: checksum });

  const history = await state.read("snapshotRecoveryHistory");
  const done = new Set(
    options.force
      ? []
      : history.filter((r) => r.status === "ok" || r.status === "accepted").map((r) => key(r.host, r.snapshot)),
  );
  const verified = new Set(history.filter((r) => r.status === "verified").map((r) => key(r.host, r.snapshot)));
  const recheck: string[] = [];
  const hosts = config.restoreHosts.filter((host) => {
    if (!done.has(key(host, snapshot))) return true;
    const ok = history.some((r) => r.host === host && r.snapshot === snapshot && r.status === "ok");
    if (config.verifyAfterRecover && ok && !verified.has(key(host, snapshot))) {
      log.info(`${host} already recovered ${what} from ${name}, but its check has not passed: checking it`);
      recheck.push(host);
      return false;
    }
    log.info(
      `${host} already recovered ${what} from ${name} (snapshot_recovery_history); skipped (--force uploads it again)`,
    );
    tally.add("skipped", { host, collection, snapshot: name, file });
    return false;
  });
  const expected =
    config.verifyAfterRecover && (hosts.length > 0 || recheck.length > 0)
      ? await metadataOfFile(deps, collection, name, options.shard, checksum, size)
      : undefined;

  const check = async (host: string, again: boolean): Promise<void> => {
    const item = { host, collection, snapshot: name, file };
    try {
      const result = await verifyRecovery(deps, host, collection, expected, {
        timeoutMs: config.verifyTimeoutMs,
        tolerancePct: config.verifyTolerancePct,
      });
      await state.append("snapshotRecoveryHistory", { host, snapshot, status: "verified" });
      const said =
        result.checked === "full"
          ? `green, ${result.pointsCount} points, as its backup metadata says`
          : "green (status only)";
      log.info(`Verified ${collection} on ${host}${again ? " again" : ""}: ${said}`);
      tally.add("done", { ...item, verified: result.checked });
    } catch (err) {
      if (!(err instanceof VerificationError)) throw err;
      log.error(`Verification of ${what} on ${host} after the upload of ${file} failed: ${describeError(err)}`);
      await state.append("failedSnapshotRecovery", { host, snapshot, status: err.status });
      tally.add("failed", { ...item, status: err.status, error: describeError(err) });
    }
  };

  const uploadOne = async (host: string): Promise<void> => {
    const item = { host, collection, snapshot: name, file };
    const read = createReadStream(file);
    const body = countedStream(read);
    let outcome: "ok" | "accepted";
    try {
      const target = { collection, ...(options.shard === undefined ? {} : { shard: options.shard }) };
      outcome = await qdrant.uploadSnapshot(host, target, body, {
        filename: name,
        size,
        checksum,
        ...(options.priority === undefined ? {} : { priority: options.priority }),
        wait: config.waitOnTask,
      });
      await state.append("snapshotRecoveryHistory", { host, snapshot, status: outcome });
    } catch (err) {
      if (isFatal(err)) throw err;
      log.error(`Upload of ${file} to ${host} (${what}) failed: ${describeError(err)}`);
      await state.append("failedSnapshotRecovery", {
        host,
        snapshot,
        status: err instanceof QdrantError ? err.code : "failed",
      });
      tally.add("failed", { ...item, error: describeError(err) });
      return;
    } finally {
      // An upload refused before reading the file would otherwise hold its descriptor.
      body.destroy();
      read.destroy();
    }
    if (outcome === "accepted") {
      log.info(`Upload of ${name} to ${host} accepted (wait=false); check ${what} later`);
      tally.add("accepted", item);
      return;
    }
    log.info(`Recovered ${what} on ${host} from ${file}`);
    if (config.verifyAfterRecover) await check(host, false);
    else tally.add("done", item);
  };
  await mapPool(
    [...hosts.map((host) => ({ host, again: false })), ...recheck.map((host) => ({ host, again: true }))],
    config.concurrency,
    ({ host, again }) =>
      tally.track({ host, collection }, () => {
        tally.begin({ host, collection });
        return again ? check(host, true) : uploadOne(host);
      }),
    deps.signal,
  );

  return tally.finish(
    `Snapshot file ${name} uploaded: recovered ${tally.done}, accepted: ${tally.accepted}, already recovered: ${tally.skipped}, failed: ${tally.failed}`,
  );
}

/** Checks the options (every problem at once) and the file: a regular file, read for its size. */
async function parseRequest(
  options: TaskOptions,
  cwd: string,
): Promise<{ collection: string; file: string; size: number }> {
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
