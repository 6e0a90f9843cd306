/**
 * The state store: the bash tool's six headerless CSV files, same names, same columns, in one directory, so a
 * user can switch between the script and the port and keep the files already on disk; the seventh of its per-shard
 * generation (shard_recovery_history); plus this tool's own (file-table.ts). A dry run's store writes nothing: what
 * it would write is kept in memory (dry-run-overlay.ts).
 *
 * Every append is one write() on a file opened in append mode followed by fdatasync, serialised per file, so a
 * row is either fully on disk or absent and concurrent appends never interleave. The descriptor stays open between
 * appends while the file is the one it wrote to and nothing else changed it (see kept-appenders.ts).
 *
 * An append that fails part-way (a full disk) is cut back off the file before the error is reported (lib/fd-append.ts
 * appendDurably). A last line without a newline is taken as a row only when it is a whole one (torn-tail.ts);
 * otherwise it is reported, kept in `<file>.torn-<time>` and cut off the file, never read as data.
 *
 * Rows and bytes: file-rows.ts; the file table: file-table.ts; the reads: file-reader.ts; resets: reset-files.ts.
 */
import { formatRows } from "./file-rows.js";
import { STATE_KINDS, type Row, type StateKind } from "./file-table.js";
import { backUp, formatStamp, writeAtomically } from "../lib/fs.js";
import { plannedReset, wouldBackUp } from "./dry-run-overlay.js";
import { StateFileReader } from "./file-reader.js";
import { resetFiles, type ResetResult } from "./reset-files.js";

export { STATE_FILES, STATE_KINDS, type Row, type StateKind } from "./file-table.js";
export type { ResetResult } from "./reset-files.js";

/** The state files: reads (file-reader.ts), durable appends, atomic replaces, moves aside and resets. */
export class StateStore extends StateFileReader {
  private closed = false;

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
    const text = formatRows(kind, rows);
    const overlay = this.overlay;
    if (overlay) {
      await this.queues.run(kind, async () => overlay.append(kind, await this.readWhole(kind), text));
      return;
    }
    await this.queues.run(kind, () =>
      this.appenders.write(kind, this.path(kind), text, () => this.setAsideTornTail(kind)),
    );
    this.changed(kind);
  }

  /** Calls `listener` after every append that reached the disk, and after every {@link replace}; not on reset. */
  onChange(listener: (kind: StateKind) => void): void {
    this.listeners.push(listener);
  }

  /** Replaces `kind`'s file with `bytes` atomically (the old or the new content survives a crash, never a mix). */
  async replace(kind: StateKind, bytes: Uint8Array): Promise<void> {
    if (this.closed) throw new Error("state store is closed");
    if (this.overlay) {
      this.overlay.replace(kind, bytes);
      return;
    }
    await this.queues.run(kind, async () => {
      await this.appenders.release(kind);
      await writeAtomically(this.path(kind), this.dir, bytes);
    });
    this.changed(kind);
  }

  /**
   * Renames `kind`'s file to `<name>-YYYY-MM-DD_HH-MM-SS<suffix>` (as {@link reset} names its backups), keeping it
   * out of the way. Returns the new path, or undefined when there was no file.
   */
  moveAside(kind: StateKind, now: Date, suffix: string): Promise<string | undefined> {
    return this.queues.run(kind, async () => {
      if (this.overlay) {
        const target = await wouldBackUp(this.path(kind), formatStamp(now), suffix);
        this.overlay.replace(kind, Buffer.alloc(0));
        return target;
      }
      await this.appenders.release(kind);
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
    const paths = STATE_KINDS.map((kind) => this.path(kind));
    if (this.overlay) {
      // After the appends already requested, as a real reset.
      await Promise.all(STATE_KINDS.map((kind) => this.queues.run(kind, async () => undefined)));
      return plannedReset(paths, opts.bkp, stamp);
    }
    return resetFiles(this.dir, paths, opts.bkp, stamp, (i, fn) =>
      this.queues.run(STATE_KINDS[i]!, async () => {
        await this.appenders.release(STATE_KINDS[i]!);
        return fn();
      }),
    );
  }

  /** Waits for every pending append; later appends are rejected. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    await this.queues.idle();
    await Promise.all(this.appenders.kinds().map((kind) => this.appenders.release(kind)));
  }
}
