// The task flags: one table of commander options with their value parsers. Every task's subcommand takes them all (a
// flag may be meant for a later task of the chain); a task's --help shows only its own (tasks.ts's `flags`).
import { InvalidArgumentError, Option } from "commander";

function parseBkp(value: string): boolean {
  if (value === "true") return true;
  if (value === "false") return false;
  throw new InvalidArgumentError("expected true or false.");
}

function parseShard(value: string): number {
  if (!/^\d{1,9}$/.test(value)) throw new InvalidArgumentError("expected a shard id (a whole number).");
  return Number(value);
}

function parseChecksum(value: string): string {
  const hex = value.trim().toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(hex)) throw new InvalidArgumentError("expected a SHA-256 digest (64 hex digits).");
  return hex;
}

function parsePriority(value: string): "snapshot" | "replica" | "no_sync" {
  if (value === "snapshot" || value === "replica" || value === "no_sync") return value;
  throw new InvalidArgumentError("expected snapshot, replica or no_sync.");
}

function parseHost(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError("expected a URL such as http://qdrant:6333.");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw new InvalidArgumentError("expected an http:// or https:// URL.");
  return value.replace(/\/+$/, "");
}

function parseName(value: string): string {
  if (value === "") throw new InvalidArgumentError("must not be empty.");
  return value;
}

/** The task flags, fresh for each subcommand; every subcommand takes them all, so `create_snap prune_snap --confirm` works. */
export const taskFlags = (): Option[] => [
  new Option(
    "--bkp <bool>",
    "reset: keep .bkp copies of the state files instead of deleting them (true|false)",
  ).argParser(parseBkp),
  new Option("--confirm", "prune_snap: delete for real (default: a dry run that only lists)"),
  new Option(
    "--dry-run",
    "create_snap_shards: show the plan (which shard on which peer, the manifest keys) and change nothing; prune_snap: list only, even with --confirm; recover_snap, recover_colla, reset: show what would be recovered, created or removed and change nothing",
  ),
  new Option(
    "--only-failed",
    "create_snap: snapshot only the collections and hosts that failed in the last create_snap run (snapshot_failures)",
  ),
  new Option(
    "--legacy",
    "prune_snap: only the day-0 cleanup of legacy collection snapshots, the newest QDRANT_LEGACY_KEEP_RUNS per collection and peer (never sets)",
  ),
  new Option(
    "--force",
    "prune_snap: delete even more than QDRANT_PRUNE_MAX_DELETE_PCT of a group; upload_snap: upload again to hosts that already recovered this file",
  ),
  new Option(
    "--all",
    "recover_snap: recover every listed snapshot, oldest first, as the bash tool does (default: the newest per collection and source peer); drill: drill every collection with a backup",
  ),
  new Option(
    "--collection <name>",
    "download_snap, upload_snap: the collection; recover_snap_shards: restore only this collection; drill: drill this collection",
  ).argParser(parseName),
  new Option(
    "--as <name>",
    "recover_snap_shards: restore the one collection under this name (a restore drill next to the live one; aliases untouched)",
  ).argParser(parseName),
  new Option(
    "--snapshot <name>",
    "download_snap: the snapshot's name (upload_snap: the default --file ./<snapshot>); recover_full_snap: restore this full snapshot",
  ).argParser(parseName),
  new Option("--shard <id>", "download_snap, upload_snap: a shard snapshot of this shard").argParser(parseShard),
  new Option("--full", "download_snap: a full-storage snapshot"),
  new Option(
    "--host <url>",
    "download_snap: the node to download from (default: the first source host; with --from-store --full: the host's folder); recover_full_snap: the source host whose full snapshot to restore",
  ).argParser(parseHost),
  new Option("--from-store", "download_snap: download from the backup destination instead of a node"),
  new Option(
    "--file <path>",
    "download_snap: where to write (default ./<snapshot>); upload_snap: the file to upload; recover_full_snap: the full-snapshot archive to restore",
  ).argParser(parseName),
  new Option(
    "--checksum <sha256>",
    "download_snap: the expected SHA-256 (default: Qdrant's checksum, else the backup metadata's); upload_snap: Qdrant verifies it (default: the file's SHA-256)",
  ).argParser(parseChecksum),
  new Option("--priority <p>", "upload_snap: snapshot, replica or no_sync (Qdrant's default: snapshot)").argParser(
    parsePriority,
  ),
  new Option(
    "--probe-write",
    "doctor: also check that Qdrant writes its snapshots to the bucket (creates, snapshots and removes a probe collection)",
  ),
];

/** The long name of a flag (`--dry-run`). */
export const flagName = (o: Option): string => o.long ?? o.flags;
