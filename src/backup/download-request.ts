// download_snap's options checked (every problem at once) and settled into what to download, from where, to which file.
import path from "node:path";
import { assertConfigured, type Config } from "../config.js";
import { ConfigError } from "../errors.js";
import type { SnapshotRef } from "../qdrant/client.js";
import { collectionSnapshotKey, fullSnapshotKey, shardSnapshotKey } from "../core/keys.js";
import type { TaskOptions } from "./task/deps.js";

/** What to download, from where, to which file (absolute). */
export interface DownloadRequest {
  ref: SnapshotRef;
  from: { kind: "node"; host: string } | { kind: "store"; key: string };
  file: string;
}

/** Checks the options (every problem at once) and settles the source and the target file. */
export function parseDownloadRequest(options: TaskOptions, config: Config): DownloadRequest {
  const problems: string[] = [];
  const { snapshot, collection, shard, full, host, fromStore } = options;
  if (snapshot === undefined) problems.push("--snapshot <name> is required");
  if (full && collection !== undefined)
    problems.push("--full and --collection contradict each other: a full-storage snapshot belongs to no collection");
  if (full && shard !== undefined)
    problems.push("--full and --shard contradict each other: a full-storage snapshot has no shard");
  if (!full && collection === undefined)
    problems.push("--collection <name> (or --full for a full-storage snapshot) is required");
  if (fromStore && host !== undefined && !full) {
    problems.push(
      "--host and --from-store contradict each other: a collection or shard snapshot is read from its key in the destination",
    );
  }
  if (fromStore && full && host === undefined) {
    problems.push(
      "--from-store with --full needs --host <url>: full snapshots are kept per source host (full_snapshots/{host:port}/)",
    );
  }
  if (!fromStore && host === undefined && config.sourceHosts.length === 0)
    problems.push("--host <url> or QDRANT_SOURCE_HOSTS is needed to download from a node");
  if (options.file === undefined && snapshot !== undefined && !isPlainFileName(snapshot)) {
    problems.push(`--snapshot "${snapshot}" is not a plain file name; give --file <path> to say where to write it`);
  }
  if (problems.length > 0) throw new ConfigError(problems.map((p) => `download_snap: ${p}`));
  if (fromStore) assertConfigured(config, "download_snap", ["destination"]);
  const name = snapshot!; // checked above
  const ref: SnapshotRef = full
    ? { kind: "full", name }
    : shard !== undefined
      ? { kind: "shard", collection: collection!, shard, name }
      : { kind: "collection", collection: collection!, name };
  const from: DownloadRequest["from"] = fromStore
    ? {
        kind: "store",
        key:
          ref.kind === "full"
            ? fullSnapshotKey(host!, name)
            : ref.kind === "shard"
              ? shardSnapshotKey(ref.collection, ref.shard, name)
              : collectionSnapshotKey(ref.collection, name),
      }
    : { kind: "node", host: host ?? config.sourceHosts[0]! };
  // Relative to the CLI's working directory, where the operator expects `curl -O` to write.
  return { ref, from, file: path.resolve(config.cwd, options.file ?? name) };
}

function isPlainFileName(name: string): boolean {
  return name !== "." && name !== ".." && !/[/\\\0]/.test(name);
}
