import { createHash } from "node:crypto";
import { stat } from "node:fs/promises";
import path from "node:path";
import { readMetadata } from "../backup/metadata.js";
import { parseDownloadRequest, type DownloadRequest } from "../backup/download-request.js";
import { FileExistsError, fileSize, hashFileInto } from "../backup/local-file.js";
import { downloadToFile, PARTIAL_SUFFIX, type ByteSource } from "../backup/resumable-download.js";
import { nodeSource, storeSource } from "../backup/snapshot-sources.js";
import { ConfigError } from "../errors.js";
import type { SnapshotRef } from "../qdrant/client.js";
import { describeError, isFatal } from "../backup/task/items.js";
import { Tally } from "../backup/task/tally.js";
import type { Deps, TaskOptions, TaskSummary } from "../backup/task/deps.js";

/** The expected SHA-256 and where it came from ("--checksum", "the node's checksum", "the backup metadata"). */
interface Expected {
  sha256: string | undefined;
  from: string;
}

/**
 * download_snap: one collection, shard or full-storage snapshot from a node (GET …/snapshots/{name}, like the
 * policy's `curl -O`) or from the backup destination (--from-store), to a local file. Streamed to `<file>.partial`,
 * resumed from its size with a byte range, SHA-256 verified against --checksum, the node's own checksum or the
 * backup metadata, and renamed to `<file>` only when complete and verified. An existing `<file>` is never
 * overwritten: when its SHA-256 is the expected one it counts as done before (skipped), otherwise exit 2.
 */
export async function run(options: TaskOptions, deps: Deps): Promise<TaskSummary> {
  const { log } = deps;
  const req = parseDownloadRequest(options, deps.config);
  const tally = new Tally("download_snap", deps.progress);
  const name = req.ref.name;
  const where: Record<string, string> =
    req.from.kind === "node" ? { host: req.from.host } : { location: deps.store().location, key: req.from.key };
  const item = { ...where, snapshot: name, file: req.file };
  tally.start(1);
  tally.begin(item);
  return tally.track(item, () => downloadOne());

  async function downloadOne(): Promise<TaskSummary> {
    try {
      const { source, expected } = await openSource(req, options, deps);
      if ((await fileSize(req.file)) !== undefined) return await skipExisting(req.file, expected, tally, item, deps);
      const got = await downloadToFile(source, req.file, {
        expected: expected.sha256,
        retries: deps.config.retries,
        signal: deps.signal,
        log,
      });
      const verified = expected.sha256 === undefined ? "no" : expected.from;
      if (expected.sha256 === undefined) {
        log.warn(
          `${req.file} is unverified: no checksum is known for ${source.what} (pass --checksum <sha256> to verify it); its SHA-256 is ${got.sha256}`,
        );
      }
      log.info(
        `Downloaded ${source.what} to ${req.file} (${got.size} bytes${got.resumedFrom > 0 ? `, resumed at byte ${got.resumedFrom}` : ""})`,
      );
      tally.add("done", {
        ...item,
        size: String(got.size),
        sha256: got.sha256,
        verified,
        resumedFrom: String(got.resumedFrom),
      });
      const check =
        expected.sha256 === undefined ? "unverified: no checksum known" : `verified against ${expected.from}`;
      return tally.finish(`Downloaded ${name} to ${req.file}: ${got.size} bytes, SHA-256 ${got.sha256} (${check})`);
    } catch (err) {
      if (isFatal(err) || err instanceof ConfigError) throw err;
      const kept = ((await fileSize(req.file + PARTIAL_SUFFIX).catch(() => undefined)) ?? 0) > 0;
      const next = kept ? `; ${req.file}${PARTIAL_SUFFIX} is kept, run again to resume` : "";
      log.error(`Download of ${name} failed: ${describeError(err)}${next}`);
      tally.add("failed", { ...item, error: describeError(err) });
      return tally.finish(`Download of ${name} failed: ${describeError(err)}${next}`);
    }
  }
}

/** The byte source and the expected checksum (--checksum, else the node's listing, else the backup metadata). */
async function openSource(
  req: DownloadRequest,
  options: TaskOptions,
  deps: Deps,
): Promise<{ source: ByteSource; expected: Expected }> {
  await checkDirectory(req.file);
  const given =
    options.checksum === undefined ? undefined : { sha256: options.checksum.toLowerCase(), from: "--checksum" };
  if (req.from.kind === "store") {
    const store = deps.store();
    const source = storeSource(store, req.from.key);
    if (given) return { source, expected: given };
    const meta = await readMetadata(store, req.from.key);
    return { source, expected: { sha256: meta?.sha256, from: "the backup metadata" } };
  }
  const { host } = req.from;
  if (options.host === undefined && deps.config.sourceHosts.length > 1)
    deps.log.info(`Downloading from the first source host ${host} (--host chooses another)`);
  // The listing gives Qdrant's own checksum (local snapshot storage only) and the size, for resuming.
  const listed = (await listScope(deps, host, req.ref)).find((s) => s.name === req.ref.name);
  if (!listed) deps.log.warn(`${req.ref.name} is not in the snapshot listing of ${host}; trying to download it anyway`);
  const source = nodeSource(deps.qdrant, host, req.ref, listed?.size);
  return {
    source,
    expected: given ?? { sha256: listed?.checksum?.toLowerCase() ?? undefined, from: "the node's checksum" },
  };
}

function listScope(deps: Deps, host: string, ref: SnapshotRef) {
  if (ref.kind === "full") return deps.qdrant.listFullSnapshots(host);
  if (ref.kind === "shard") return deps.qdrant.listShardSnapshots(host, ref.collection, ref.shard);
  return deps.qdrant.listSnapshots(host, ref.collection);
}

/** The target's directory must exist: a typo in --file should not become a directory tree. */
async function checkDirectory(file: string): Promise<void> {
  const dir = path.dirname(file);
  const info = await stat(dir).catch(() => undefined);
  if (!info?.isDirectory()) throw new ConfigError(`download_snap: --file ${file}: the directory ${dir} does not exist`);
}

/** `file` exists: done before when its SHA-256 is the expected one; otherwise it is never overwritten (exit 2). */
async function skipExisting(
  file: string,
  expected: Expected,
  tally: Tally,
  item: Record<string, string>,
  deps: Deps,
): Promise<TaskSummary> {
  if (expected.sha256 === undefined) throw new FileExistsError(file);
  const hash = createHash("sha256");
  const size = await hashFileInto(hash, file, deps.signal);
  const sha256 = hash.digest("hex");
  if (sha256 !== expected.sha256)
    throw new FileExistsError(file, `its SHA-256 ${sha256} is not the expected ${expected.sha256} (${expected.from})`);
  deps.log.info(`${file} exists already with the expected SHA-256 (${expected.from}); nothing to download`);
  tally.add("skipped", { ...item, size: String(size), sha256, verified: expected.from, resumedFrom: "0" });
  return tally.finish(
    `${file} is already downloaded: ${size} bytes, SHA-256 ${sha256} (verified against ${expected.from})`,
  );
}
