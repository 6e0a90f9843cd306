/**
 * The state store: the bash tool's six headerless CSV files, same names, same columns, in one directory, so a
 * user can switch between the script and the port and keep the files already on disk.
 *
 * Every append is one write() on a file opened in append mode followed by fdatasync, serialised per file, so a
 * row is either fully on disk or absent and concurrent appends never interleave.
 */
import { mkdir, open, readFile, rename, lstat, unlink, type FileHandle } from "node:fs/promises";
import { join } from "node:path";
import { StateFileError } from "../errors.js";
import { formatCsvRow, parseCsvRows } from "./csv.js";

export const STATE_FILES = {
  collections: { name: "collections", columns: ["host", "collection"] },
  snapshots: { name: "snapshots", columns: ["host", "collection", "snapshot"] },
  collectionAliases: { name: "collection_aliases", columns: ["collection", "alias"] },
  snapshotRecoveryHistory: { name: "snapshot_recovery_history", columns: ["host", "snapshot", "status"] },
  failedSnapshotRecovery: { name: "failed_snapshot_recovery", columns: ["host", "snapshot", "status"] },
  aliasRecoveryHistory: { name: "alias_recovery_history", columns: ["collection", "alias", "status"] },
} as const;

export type StateKind = keyof typeof STATE_FILES;
export type Row<K extends StateKind> = Record<(typeof STATE_FILES)[K]["columns"][number], string>;

const KINDS = Object.keys(STATE_FILES) as StateKind[]; // the keys of a literal object: exactly StateKind
const FILE_MODE = 0o644; // state holds host, collection and snapshot names, no secrets

/** What {@link StateStore.reset} did, as absolute-or-relative paths as built from the store's directory. */
export interface ResetResult {
  /** Files deleted (without `bkp`). */
  removed: string[];
  /** Backup paths the files were renamed to (with `bkp`). */
  backedUp: string[];
}

export class StateStore {
  // Tail of each file's queue of writes; never rejects, so one failed append does not block the next.
  private readonly queues = new Map<StateKind, Promise<void>>();
  private closed = false;

  /** @param dir the state directory (the bash tool used the current directory); created on first append */
  constructor(readonly dir: string) {}

  /** The path of `kind`'s file inside the state directory. */
  path(kind: StateKind): string {
    return join(this.dir, STATE_FILES[kind].name);
  }

  /**
   * Reads every row of `kind`'s file, after any append already requested through this store has finished.
   * A missing file reads as no rows.
   * @throws StateFileError naming the file (and the line, when known) for unreadable, non-UTF-8 or malformed files
   */
  async read<K extends StateKind>(kind: K): Promise<Row<K>[]> {
    await this.queues.get(kind);
    const file = this.path(kind);
    const bytes = await readOrEmpty(file);
    if (bytes === undefined) return [];
    const columns: readonly string[] = STATE_FILES[kind].columns;
    return parseCsvRows(decodeUtf8(bytes, file), { file, columns: columns.length }).map((fields) =>
      // Checked: parseCsvRows guarantees exactly one field per column.
      Object.fromEntries(columns.map((column, index) => [column, fields[index] ?? ""])) as Row<K>,
    );
  }

  /** True when `kind`'s file is missing or holds only blank lines (whitespace and an optional BOM). */
  async isEmpty(kind: StateKind): Promise<boolean> {
    await this.queues.get(kind);
    const bytes = await readOrEmpty(this.path(kind));
    if (bytes === undefined) return true;
    const start = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
    for (let i = start; i < bytes.length; i++) {
      const byte = bytes[i];
      if (byte !== 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0d) return false;
    }
    return true;
  }

  /** Appends one row durably (written and fdatasync'ed before the promise resolves). */
  append<K extends StateKind>(kind: K, row: Row<K>): Promise<void> {
    return this.appendMany(kind, [row]);
  }

  /**
   * Appends rows durably with a single write; an empty list does nothing.
   * @throws StateFileError when the file cannot be written; Error when a value holds a NUL byte or is not a string
   */
  async appendMany<K extends StateKind>(kind: K, rows: readonly Row<K>[]): Promise<void> {
    if (this.closed) throw new Error("state store is closed");
    if (rows.length === 0) return;
    const columns: readonly string[] = STATE_FILES[kind].columns;
    const text = rows.map((row) => formatCsvRow(columns.map((column) => fieldOf(row, column)))).join("");
    await this.enqueue(kind, () => this.write(kind, text));
  }

  /**
   * Deletes the six files, or with `bkp` renames each existing one to `<name>-YYYY-MM-DD_HH-MM-SS.bkp` (local
   * time of `now`, like the script's `date +%F_%H-%M-%S`); a name already taken gets `-1`, `-2`… before `.bkp`
   * so an earlier backup is never overwritten. Runs after appends already requested. Missing files are ignored.
   */
  async reset(opts: { bkp: boolean; now: Date }): Promise<ResetResult> {
    const stamp = formatStamp(opts.now);
    const outcomes = await Promise.all(
      KINDS.map((kind) => this.enqueue(kind, () => (opts.bkp ? backUp(this.path(kind), stamp) : remove(this.path(kind))))),
    );
    if (outcomes.some((outcome) => outcome !== undefined)) await syncDir(this.dir);
    const done = outcomes.filter((outcome): outcome is string => outcome !== undefined);
    return opts.bkp ? { removed: [], backedUp: done } : { removed: done, backedUp: [] };
  }

  /** Waits for every pending append; later appends are rejected. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.queues.values());
  }

  private enqueue<T>(kind: StateKind, task: () => Promise<T>): Promise<T> {
    const result = (this.queues.get(kind) ?? Promise.resolve()).then(task);
    this.queues.set(
      kind,
      result.then(
        () => undefined,
        () => undefined,
      ),
    );
    return result;
  }

  private async write(kind: StateKind, text: string): Promise<void> {
    const file = this.path(kind);
    try {
      const handle = await openForAppend(file, this.dir);
      let created = false;
      try {
        const { size } = await handle.stat();
        created = size === 0;
        // A hand-edited file may lack its final newline; without this the row would be glued onto the last one.
        const prefix = size > 0 && (await lastByte(handle, size)) !== 0x0a ? "\n" : "";
        await writeFully(handle, Buffer.from(prefix + text, "utf8"));
        await handle.datasync();
      } finally {
        await handle.close();
      }
      // A new file's directory entry must be durable too, or a crash could lose the whole file.
      if (created) await syncDir(this.dir);
    } catch (err) {
      throw new StateFileError(file, undefined, `cannot append: ${messageOf(err)}`);
    }
  }
}

async function openForAppend(file: string, dir: string): Promise<FileHandle> {
  try {
    // a+: appends always go to the end (O_APPEND), and the last byte can still be read.
    return await open(file, "a+", FILE_MODE);
  } catch (err) {
    if (codeOf(err) !== "ENOENT") throw err;
    await mkdir(dir, { recursive: true });
    return await open(file, "a+", FILE_MODE);
  }
}

async function lastByte(handle: FileHandle, size: number): Promise<number | undefined> {
  const buffer = Buffer.alloc(1);
  await handle.read(buffer, 0, 1, size - 1);
  return buffer[0];
}

// write() may in principle write less than asked; for regular files it writes everything in one call.
async function writeFully(handle: FileHandle, buffer: Buffer): Promise<void> {
  for (let offset = 0; offset < buffer.length; ) {
    const { bytesWritten } = await handle.write(buffer, offset, buffer.length - offset);
    offset += bytesWritten;
  }
}

async function syncDir(dir: string): Promise<void> {
  try {
    const handle = await open(dir, "r");
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Best effort: some platforms and file systems (Windows, some network mounts) cannot fsync a directory.
  }
}

async function readOrEmpty(file: string): Promise<Buffer | undefined> {
  try {
    return await readFile(file);
  } catch (err) {
    if (codeOf(err) === "ENOENT") return undefined;
    throw new StateFileError(file, undefined, `cannot read: ${messageOf(err)}`);
  }
}

function decodeUtf8(bytes: Buffer, file: string): string {
  const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
  try {
    return decoder.decode(bytes);
  } catch {
    // Error path only: find the first line that fails to decode, so the message can point at it.
    let line = 1;
    for (let start = 0; start <= bytes.length; line++) {
      const end = bytes.indexOf(0x0a, start);
      const stop = end === -1 ? bytes.length : end;
      try {
        decoder.decode(bytes.subarray(start, stop));
      } catch {
        break;
      }
      start = stop + 1;
    }
    throw new StateFileError(file, line, "invalid UTF-8");
  }
}

function fieldOf(row: Readonly<Record<string, unknown>>, column: string): string {
  const value = row[column];
  if (typeof value !== "string") throw new TypeError(`state row is missing the "${column}" field`);
  return value;
}

async function remove(file: string): Promise<string | undefined> {
  try {
    await unlink(file);
    return file;
  } catch (err) {
    if (codeOf(err) === "ENOENT") return undefined;
    throw new StateFileError(file, undefined, `cannot delete: ${messageOf(err)}`);
  }
}

async function backUp(file: string, stamp: string): Promise<string | undefined> {
  try {
    for (let n = 0; ; n++) {
      const target = `${file}-${stamp}${n === 0 ? "" : `-${n}`}.bkp`;
      if (await exists(target)) continue;
      await rename(file, target);
      return target;
    }
  } catch (err) {
    if (codeOf(err) === "ENOENT") return undefined;
    throw new StateFileError(file, undefined, `cannot back up: ${messageOf(err)}`);
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await lstat(file);
    return true;
  } catch (err) {
    if (codeOf(err) === "ENOENT") return false;
    throw err;
  }
}

/** `YYYY-MM-DD_HH-MM-SS` in local time, as `date +%F_%H-%M-%S` prints it. */
function formatStamp(date: Date): string {
  const pad = (value: number): string => String(value).padStart(2, "0");
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}` +
    `_${pad(date.getHours())}-${pad(date.getMinutes())}-${pad(date.getSeconds())}`
  );
}

function codeOf(err: unknown): string | undefined {
  return err instanceof Error && "code" in err && typeof err.code === "string" ? err.code : undefined;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
