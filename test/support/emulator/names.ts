/** Collection-name rules and snapshot file names, as Qdrant 1.19 builds and checks them. */
import { ApiError } from "./envelope.js";

const LEGACY_FORBIDDEN = ["/", "\0"];
/** Extra characters rejected by collection create and snapshot upload (not by recover). */
const STRICT_FORBIDDEN = ["<", ">", ":", '"', "\\", "|", "?", "*", "\x1F"];

function pathError(msg: string): ApiError {
  return new ApiError(422, `Validation error in path parameters: [name: ${msg}]`);
}

/**
 * Validate a collection name taken from the URL path. `strict` adds the file-system characters
 * that collection create and snapshot upload refuse.
 */
export function checkCollectionName(name: string, strict = false): void {
  const length = [...name].length;
  if (length < 1 || length > 255) throw pathError("length must be between 1 and 255");
  const banned = strict ? [...LEGACY_FORBIDDEN, ...STRICT_FORBIDDEN] : LEGACY_FORBIDDEN;
  const hit = banned.find((c) => name.includes(c));
  if (hit !== undefined) throw pathError(`collection name cannot contain ${JSON.stringify(hit)} char`);
}

/** A snapshot name must be a plain file name; anything that could escape its directory is "not found". */
export function isPlainFileName(name: string): boolean {
  return (
    name !== "" && name !== "." && name !== ".." && !name.includes("/") && !name.includes("\\") && !name.includes("\0")
  );
}

const pad = (n: number, w = 2): string => String(n).padStart(w, "0");

/** chrono `%Y-%m-%d-%H-%M-%S` in UTC. */
export function snapshotTimestamp(d: Date): string {
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}-${pad(d.getUTCHours())}-${pad(d.getUTCMinutes())}-${pad(d.getUTCSeconds())}`;
}

export const collectionSnapshotName = (collection: string, peerId: bigint, d: Date): string =>
  `${collection}-${peerId}-${snapshotTimestamp(d)}.snapshot`;
export const fullSnapshotName = (d: Date): string => `full-snapshot-${snapshotTimestamp(d)}.snapshot`;
export const shardSnapshotName = (collection: string, shardId: number, d: Date): string =>
  `${collection}-shard-${shardId}-${snapshotTimestamp(d)}.snapshot`;

/**
 * A naive UTC timestamp as serde prints chrono's NaiveDateTime: `YYYY-MM-DDTHH:MM:SS`, plus
 * `.mmm` only when there are milliseconds (S3 LastModified can carry them).
 */
export function naiveUtc(d: Date): string {
  const base = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
  const ms = d.getUTCMilliseconds();
  return ms === 0 ? base : `${base}.${pad(ms, 3)}`;
}
