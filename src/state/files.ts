/**
 * The state store: the bash tool's six headerless CSV files, same names, same columns, in one directory, so a
 * user can switch between the script and the port and keep the files already on disk; plus two of this tool's own
 * (full_snapshots, pruned_snapshots).
 *
 * Every append is one write() on a file opened in append mode followed by fdatasync, serialised per file, so a
 * row is either fully on disk or absent and concurrent appends never interleave. The descriptor stays open between
 * appends while the file is the one it wrote to and nothing else changed it (see StateStore.write).
 *
 * An append that fails part-way (a full disk) is cut back off the file before the error is reported (lib/fs.ts
 * appendDurably). A last line without a newline is taken as a row only when it is a whole one (torn-tail.ts);
 * otherwise it is reported, kept in `<file>.torn-<time>` and cut off the file, never read as data.
 */
import { open } from "node:fs/promises";
import { join } from "node:path";
import { StateFileError } from "../errors.js";
import { formatCsvRow, parseCsvRows } from "./csv.js";
import {
  appendDurably,
  cureFor,
  backUp,
  closeFd,
  decodeUtf8,
  formatStamp,
  fstatFd,
  lastByteFd,
  messageOf,
  openAppendFd,
  readOrEmpty,
  remove,
  statOrUndefined,
  syncDir,
  writeAtomically,
  writeFd,
  type WriteFd,
} from "../lib/fs.js";
import { setAside } from "./set-aside.js";
import { findTornTail } from "./torn-tail.js";

export const STATE_FILES = {
  collections: { name: "collections", columns: ["host", "collection"] },
  snapshots: { name: "snapshots", columns: ["host", "collection", "snapshot"] },
  collectionAliases: { name: "collection_aliases", columns: ["collection", "alias"] },
  snapshotRecoveryHistory: { name: "snapshot_recovery_history", columns: ["host", "snapshot", "status"] },
  failedSnapshotRecovery: { name: "failed_snapshot_recovery", columns: ["host", "snapshot", "status"] },
  aliasRecoveryHistory: { name: "alias_recovery_history", columns: ["collection", "alias", "status"] },
  // Not in the bash tool: full-storage snapshots (create_full_snap) and what prune_snap deleted.
  fullSnapshots: { name: "full_snapshots", columns: ["host", "snapshot"] },
  /** `location` is `s3://bucket`, the backup directory or a node's URL; `key` the snapshot's key in the layout. */
  prunedSnapshots: { name: "pruned_snapshots", columns: ["location", "key", "deleted_at"] },
} as const;

export type StateKind = keyof typeof STATE_FILES;
export type Row<K extends StateKind> = Record<(typeof STATE_FILES)[K]["columns"][number], string>;

/** Every state file's kind, in STATE_FILES' order. */
export const STATE_KINDS: readonly StateKind[] = Object.keys(STATE_FILES) as StateKind[]; // the keys of a literal object: exactly StateKind

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
  private readonly listeners: ((kind: StateKind) => void)[] = [];
  /** Per file, the descriptor of the last append, kept for the next one (see write()). */
  private readonly appenders = new Map<StateKind, Appender>();
  private closed = false;

  private readonly writeBytes: WriteFd;
  private readonly warn: (message: string) => void;

  /**
   * @param dir the state directory (the bash tool used the current directory); created on first append
   * @param opts.warn where a torn last row set aside is reported (default: nowhere)
   * @param opts.write the write() of appends (default: fs.write); tests pass one that fails part-way
   */
  constructor(
    readonly dir: string,
    opts: { warn?: (message: string) => void; write?: WriteFd } = {},
  ) {
    this.writeBytes = opts.write ?? writeFd;
    this.warn = opts.warn ?? (() => undefined);
  }

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
    const file = this.path(kind);
    const bytes = await this.enqueue(kind, () => this.readWhole(kind));
    if (bytes === undefined) return [];
    const columns: readonly string[] = STATE_FILES[kind].columns;
    return parseCsvRows(decodeUtf8(bytes, file), { file, columns: columns.length }).map((fields) => {
      // Checked: parseCsvRows guarantees exactly one field per column.
      const row: Record<string, string> = {};
      for (let index = 0; index < columns.length; index++) row[columns[index]!] = fields[index] ?? "";
      return row as Row<K>;
    });
  }

  /**
   * True when `kind`'s file is missing or holds only blank lines (whitespace and an optional BOM), once a torn last
   * line is set aside (as {@link read} does): a file holding only a torn row is empty.
   */
  async isEmpty(kind: StateKind): Promise<boolean> {
    const bytes = await this.enqueue(kind, () => this.readWhole(kind));
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
    this.changed(kind);
  }

  /** Calls `listener` after every append that reached the disk, and after every {@link replace}; not on reset. */
  onChange(listener: (kind: StateKind) => void): void {
    this.listeners.push(listener);
  }

  /** The exact bytes of `kind`'s file (undefined when it is missing), after the appends already requested. */
  readBytes(kind: StateKind): Promise<Buffer | undefined> {
    return this.enqueue(kind, () => readOrEmpty(this.path(kind)));
  }

  /** Replaces `kind`'s file with `bytes` atomically (the old or the new content survives a crash, never a mix). */
  async replace(kind: StateKind, bytes: Uint8Array): Promise<void> {
    if (this.closed) throw new Error("state store is closed");
    await this.enqueue(kind, async () => {
      await this.release(kind);
      await writeAtomically(this.path(kind), this.dir, bytes);
    });
    this.changed(kind);
  }

  /**
   * Renames `kind`'s file to `<name>-YYYY-MM-DD_HH-MM-SS<suffix>` (as {@link reset} names its backups), keeping it
   * out of the way. Returns the new path, or undefined when there was no file.
   */
  moveAside(kind: StateKind, now: Date, suffix: string): Promise<string | undefined> {
    return this.enqueue(kind, async () => {
      await this.release(kind);
      return backUp(this.path(kind), formatStamp(now), suffix);
    });
  }

  /**
   * Deletes the six files, or with `bkp` renames each existing one to `<name>-YYYY-MM-DD_HH-MM-SS.bkp` (local
   * time of `now`, like the script's `date +%F_%H-%M-%S`); a name already taken gets `-1`, `-2`… before `.bkp`
   * so an earlier backup is never overwritten. Runs after appends already requested. Missing files are ignored.
   */
  async reset(opts: { bkp: boolean; now: Date }): Promise<ResetResult> {
    const stamp = formatStamp(opts.now);
    const outcomes = await Promise.all(
      STATE_KINDS.map((kind) =>
        this.enqueue(kind, async () => {
          await this.release(kind);
          return opts.bkp ? backUp(this.path(kind), stamp, ".bkp") : remove(this.path(kind));
        }),
      ),
    );
    if (outcomes.some((outcome) => outcome !== undefined)) {
      await syncDir(this.dir).catch((err: unknown) => {
        throw new StateFileError(this.dir, undefined, `cannot sync the directory: ${messageOf(err)}`);
      });
    }
    const done = outcomes.filter((outcome): outcome is string => outcome !== undefined);
    return opts.bkp ? { removed: [], backedUp: done } : { removed: done, backedUp: [] };
  }

  /** Waits for every pending append; later appends are rejected. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.queues.values());
    await Promise.all([...this.appenders.keys()].map((kind) => this.release(kind)));
  }

  /**
   * The file's bytes up to its last whole row: a torn last line is set aside first (kept in `<file>.torn-<time>`,
   * cut off the file, reported). Run inside `kind`'s queue.
   */
  private async readWhole(kind: StateKind): Promise<Buffer | undefined> {
    const file = this.path(kind);
    const bytes = await readOrEmpty(file);
    if (bytes === undefined) return undefined;
    const tail = findTornTail(bytes, STATE_FILES[kind].name, STATE_FILES[kind].columns.length);
    if (tail === undefined) return bytes;
    await this.release(kind);
    const copy = await setAside(file, bytes, tail.keep, new Date());
    this.warn(`state file ${file}: its last line ${JSON.stringify(tail.text)} is not a whole row (${tail.reason}); set aside in ${copy} and not used`);
    this.changed(kind);
    return bytes.subarray(0, tail.keep);
  }

  /** Closes the descriptor kept for `kind`, if any (run inside its queue, or once the queues are idle). */
  private async release(kind: StateKind): Promise<void> {
    const kept = this.appenders.get(kind);
    if (kept === undefined) return;
    this.appenders.delete(kind);
    await closeFd(kept.fd).catch(() => undefined);
  }

  private changed(kind: StateKind): void {
    for (const listener of this.listeners) listener(kind);
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

  /**
   * Appends `text` durably. The first append to a file opens it, reads its size and last byte (a hand-edited file may
   * lack its final newline; without one the row would be glued onto the last line) and keeps the descriptor with the
   * file's identity and size. A later append uses it when the path still names that file at the size this store left
   * it (so nobody replaced, removed or wrote to it since, and it ends in our newline): a stat, a write and an
   * fdatasync instead of opening, checking and closing the file again for every row. Otherwise it starts over.
   */
  private async write(kind: StateKind, text: string): Promise<void> {
    const file = this.path(kind);
    try {
      const bytes = Buffer.from(text, "utf8");
      const kept = this.appenders.get(kind);
      if (kept !== undefined) {
        const now = await statOrUndefined(file);
        if (now !== undefined && now.ino === kept.ino && now.dev === kept.dev && now.size === kept.size) {
          await this.appendTo(kind, kept, bytes);
          return;
        }
        await this.release(kind);
      }
      // No final newline: a whole row gets one before ours; a torn one is set aside first (never glued onto a
      // newline, where it would pass for a row), before the file is opened for the append.
      const found = await statOrUndefined(file);
      if (found !== undefined && found.size > 0 && (await lastByteOf(file, found.size)) !== 0x0a) {
        const before = await readOrEmpty(file);
        if (before !== undefined && findTornTail(before, STATE_FILES[kind].name, STATE_FILES[kind].columns.length) !== undefined) {
          await this.readWhole(kind);
        }
      }
      const fd = await openAppendFd(file, this.dir);
      let appender: Appender;
      let prefix: Buffer | undefined;
      try {
        const st = await fstatFd(fd);
        appender = { fd, dev: st.dev, ino: st.ino, size: st.size };
        prefix = st.size > 0 && (await lastByteFd(fd, st.size)) !== 0x0a ? Buffer.from("\n") : undefined;
      } catch (err) {
        await closeFd(fd).catch(() => undefined);
        throw err;
      }
      const created = appender.size === 0;
      this.appenders.set(kind, appender);
      await this.appendTo(kind, appender, prefix ? Buffer.concat([prefix, bytes]) : bytes);
      // A new file's directory entry must be durable too, or a crash could lose the whole file.
      if (created) await syncDir(this.dir);
    } catch (err) {
      if (err instanceof StateFileError) throw err; // already names the file (a torn row that cannot be set aside)
      throw new StateFileError(file, undefined, `cannot append: ${messageOf(err)}${cureOf(err, this.dir)}`);
    }
  }

  private async appendTo(kind: StateKind, appender: Appender, bytes: Buffer): Promise<void> {
    try {
      await appendDurably(appender.fd, bytes, appender.size, this.writeBytes);
      appender.size += bytes.length;
    } catch (err) {
      await this.release(kind);
      throw err;
    }
  }
}

/** The last byte of the file `file` of `size` bytes. */
async function lastByteOf(file: string, size: number): Promise<number | undefined> {
  const handle = await open(file, "r");
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(1), 0, 1, size - 1);
    return bytesRead === 1 ? buffer[0] : undefined;
  } finally {
    await handle.close();
  }
}

/** An open append descriptor and the identity and size of the file as the last append left it. */
interface Appender {
  fd: number;
  dev: number;
  ino: number;
  size: number;
}

/** What to do about a failed append: free space (a full volume or quota), or check the volume (an I/O error). */
function cureOf(err: unknown, dir: string): string {
  const cure = cureFor(err, dir);
  return cure === "" ? "" : `${cure}: the rows recorded before are kept`;
}

export function fieldOf(row: Readonly<Record<string, unknown>>, column: string): string {
  const value = row[column];
  if (typeof value !== "string") throw new TypeError(`state row is missing the "${column}" field`);
  return value;
}

