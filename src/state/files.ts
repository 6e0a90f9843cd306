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
 * Rows and bytes: file-rows.ts; the file table: file-table.ts.
 */
import { join } from "node:path";
import { StateFileError } from "../errors.js";
import { writeFd, type WriteFd } from "../lib/fd-append.js";
import { SerialQueues } from "../lib/serial-queues.js";
import { backUp, formatStamp, messageOf, readOrEmpty, remove, syncDir, writeAtomically } from "../lib/fs.js";
import { formatRows, isBlank, parseRows } from "./file-rows.js";
import { STATE_FILES, STATE_KINDS, type Row, type StateKind } from "./file-table.js";
import { DryRunOverlay, plannedReset, wouldBackUp } from "./dry-run-overlay.js";
import { KeptAppenders } from "./kept-appenders.js";
import { setAside } from "./set-aside.js";
import { findTornTail } from "./torn-tail.js";

export { STATE_FILES, STATE_KINDS, type Row, type StateKind } from "./file-table.js";

/** What {@link StateStore.reset} did, as absolute-or-relative paths as built from the store's directory. */
export interface ResetResult {
  /** Files deleted (without `bkp`). */
  removed: string[];
  /** Backup paths the files were renamed to (with `bkp`). */
  backedUp: string[];
}

export class StateStore {
  // Each file's reads and writes, one at a time; one failed append does not block the next.
  private readonly queues = new SerialQueues<StateKind>();
  private readonly listeners: ((kind: StateKind) => void)[] = [];
  /** Per file, the descriptor of the last append, kept for the next one (see KeptAppenders.write). */
  private readonly appenders: KeptAppenders<StateKind>;
  private closed = false;
  /** A dry run's files as this run would have left them; undefined when the store writes for real. */
  private readonly overlay: DryRunOverlay<StateKind> | undefined;

  private readonly warn: (message: string) => void;

  /**
   * @param dir the state directory (the bash tool used the current directory); created on first append
   * @param opts.warn where a torn last row set aside is reported (default: nowhere)
   * @param opts.write the write() of appends (default: fs.write); tests pass one that fails part-way
   * @param opts.dryRun write nothing: appends and replaces are kept in memory (later reads see them), a torn last
   *   line is left in place, moveAside and reset only say what they would do
   */
  constructor(
    readonly dir: string,
    opts: { warn?: (message: string) => void; write?: WriteFd; dryRun?: boolean } = {},
  ) {
    this.appenders = new KeptAppenders(dir, opts.write ?? writeFd);
    this.warn = opts.warn ?? (() => undefined);
    this.overlay = opts.dryRun ? new DryRunOverlay() : undefined;
  }

  /** True when this store writes nothing (a dry run). */
  get dryRun(): boolean {
    return this.overlay !== undefined;
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
    const bytes = await this.queues.run(kind, () => this.readWhole(kind));
    return bytes === undefined ? [] : parseRows(kind, bytes, this.path(kind));
  }

  /**
   * Reads every row of `kind`'s file as {@link read} does, but changes nothing (the `status` task): a torn last line
   * is left where it is, returned in `torn` and not read as a row (the next run that writes sets it aside).
   * @throws StateFileError as {@link read}
   */
  async peek<K extends StateKind>(kind: K): Promise<{ rows: Row<K>[]; torn?: string }> {
    const bytes = await this.readBytes(kind);
    if (bytes === undefined) return { rows: [] };
    const tail = findTornTail(bytes, STATE_FILES[kind].name, STATE_FILES[kind].columns.length);
    const rows = parseRows(kind, tail === undefined ? bytes : bytes.subarray(0, tail.keep), this.path(kind));
    return tail === undefined ? { rows } : { rows, torn: `${tail.text} (${tail.reason})` };
  }

  /**
   * True when `kind`'s file is missing or holds only blank lines (whitespace and an optional BOM), once a torn last
   * line is set aside (as {@link read} does): a file holding only a torn row is empty.
   */
  async isEmpty(kind: StateKind): Promise<boolean> {
    const bytes = await this.queues.run(kind, () => this.readWhole(kind));
    return bytes === undefined || isBlank(bytes);
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

  /** The exact bytes of `kind`'s file (undefined when it is missing), after the appends already requested. */
  readBytes(kind: StateKind): Promise<Buffer | undefined> {
    return this.queues.run(kind, async () => this.overlay?.get(kind) ?? readOrEmpty(this.path(kind)));
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
    if (this.overlay) {
      // After the appends already requested, as a real reset.
      await Promise.all(STATE_KINDS.map((kind) => this.queues.run(kind, async () => undefined)));
      return plannedReset(
        STATE_KINDS.map((kind) => this.path(kind)),
        opts.bkp,
        stamp,
      );
    }
    const outcomes = await Promise.all(
      STATE_KINDS.map((kind) =>
        this.queues.run(kind, async () => {
          await this.appenders.release(kind);
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
    await this.queues.idle();
    await Promise.all(this.appenders.kinds().map((kind) => this.appenders.release(kind)));
  }

  /**
   * The file's bytes up to its last whole row: a torn last line is set aside first (kept in `<file>.torn-<time>`,
   * cut off the file, reported). Run inside `kind`'s queue.
   */
  private async readWhole(kind: StateKind): Promise<Buffer | undefined> {
    const file = this.path(kind);
    const kept = this.overlay?.get(kind);
    if (kept) return kept;
    const bytes = await readOrEmpty(file);
    if (bytes === undefined) return undefined;
    const tail = findTornTail(bytes, STATE_FILES[kind].name, STATE_FILES[kind].columns.length);
    if (tail === undefined) return bytes;
    if (this.overlay) {
      this.warn(
        `state file ${file}: its last line is not a whole row (${tail.reason}); not used (dry run: left in place)`,
      );
      return bytes.subarray(0, tail.keep);
    }
    await this.appenders.release(kind);
    const copy = await setAside(file, bytes, tail.keep, new Date());
    this.warn(
      `state file ${file}: its last line ${JSON.stringify(tail.text)} is not a whole row (${tail.reason}); set aside in ${copy} and not used`,
    );
    this.changed(kind);
    return bytes.subarray(0, tail.keep);
  }

  /** Sets aside `kind`'s torn last line, if it has one, before an append opens the file (run inside its queue). */
  private async setAsideTornTail(kind: StateKind): Promise<void> {
    const before = await readOrEmpty(this.path(kind));
    if (
      before !== undefined &&
      findTornTail(before, STATE_FILES[kind].name, STATE_FILES[kind].columns.length) !== undefined
    ) {
      await this.readWhole(kind);
    }
  }

  private changed(kind: StateKind): void {
    for (const listener of this.listeners) listener(kind);
  }
}
