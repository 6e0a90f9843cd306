// The reading half of the state store (files.ts): each file's queue, its reads (a torn last line set aside first, or
// left in place by a dry run) and what the writing half shares with it (kept descriptors, dry-run overlay, listeners).
import { join } from "node:path";
import { writeFd, type WriteFd } from "../lib/fd-append.js";
import { SerialQueues } from "../lib/serial-queues.js";
import { readOrEmpty } from "../lib/fs.js";
import { isBlank, parseRows } from "./file-rows.js";
import { STATE_FILES, type Row, type StateKind } from "./file-table.js";
import { DryRunOverlay } from "./dry-run-overlay.js";
import { KeptAppenders } from "./kept-appenders.js";
import { withoutTornTail } from "./set-aside.js";
import { findTornTail } from "./torn-tail.js";

/** Reads the state files; StateStore (files.ts) adds the writes. */
export class StateFileReader {
  // Each file's reads and writes, one at a time; one failed append does not block the next.
  protected readonly queues = new SerialQueues<StateKind>();
  protected readonly listeners: ((kind: StateKind) => void)[] = [];
  /** Per file, the descriptor of the last append, kept for the next one (see KeptAppenders.write). */
  protected readonly appenders: KeptAppenders<StateKind>;
  /** A dry run's files as this run would have left them; undefined when the store writes for real. */
  protected readonly overlay: DryRunOverlay<StateKind> | undefined;

  protected readonly warn: (message: string) => void;

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

  /** The exact bytes of `kind`'s file (undefined when it is missing), after the appends already requested. */
  readBytes(kind: StateKind): Promise<Buffer | undefined> {
    return this.queues.run(kind, async () => this.overlay?.get(kind) ?? readOrEmpty(this.path(kind)));
  }

  /**
   * The file's bytes up to its last whole row: a torn last line is set aside first (kept in `<file>.torn-<time>`,
   * cut off the file, reported). Run inside `kind`'s queue.
   */
  protected async readWhole(kind: StateKind): Promise<Buffer | undefined> {
    const file = this.path(kind);
    const kept = this.overlay?.get(kind);
    if (kept) return kept;
    const bytes = await readOrEmpty(file);
    if (bytes === undefined) return undefined;
    return withoutTornTail(file, STATE_FILES[kind], bytes, {
      dryRun: this.dryRun,
      warn: this.warn,
      release: () => this.appenders.release(kind),
      changed: () => this.changed(kind),
    });
  }

  /** Sets aside `kind`'s torn last line, if it has one, before an append opens the file (run inside its queue). */
  protected async setAsideTornTail(kind: StateKind): Promise<void> {
    const before = await readOrEmpty(this.path(kind));
    if (
      before !== undefined &&
      findTornTail(before, STATE_FILES[kind].name, STATE_FILES[kind].columns.length) !== undefined
    ) {
      await this.readWhole(kind);
    }
  }

  protected changed(kind: StateKind): void {
    for (const listener of this.listeners) listener(kind);
  }
}
