// Durable appends to the state files, each file's descriptor kept open for the next append while nothing else changed it.
import { open } from "node:fs/promises";
import { StateFileError } from "../errors.js";
import { appendDurably, closeFd, fstatFd, lastByteFd, openAppendFd, type WriteFd } from "../lib/fd-append.js";
import { cureFor, messageOf, statOrUndefined, syncDir } from "../lib/fs.js";

/** Per file (by its kind), the descriptor of the last append, kept for the next one (see write()). */
export class KeptAppenders<K> {
  private readonly appenders = new Map<K, Appender>();

  constructor(
    private readonly dir: string,
    private readonly writeBytes: WriteFd,
  ) {}

  /** The kinds whose descriptor is kept. */
  kinds(): K[] {
    return [...this.appenders.keys()];
  }

  /** Closes the descriptor kept for `kind`, if any (run inside its queue, or once the queues are idle). */
  async release(kind: K): Promise<void> {
    const kept = this.appenders.get(kind);
    if (kept === undefined) return;
    this.appenders.delete(kind);
    await closeFd(kept.fd).catch(() => undefined);
  }

  /**
   * Appends `text` durably. The first append to a file opens it, reads its size and last byte (a hand-edited file may
   * lack its final newline; without one the row would be glued onto the last line) and keeps the descriptor with the
   * file's identity and size. A later append uses it when the path still names that file at the size this store left
   * it (so nobody replaced, removed or wrote to it since, and it ends in our newline): a stat, a write and an
   * fdatasync instead of opening, checking and closing the file again for every row. Otherwise it starts over.
   * `setAsideTornTail` is called when the file lacks its final newline, before the file is opened.
   */
  async write(kind: K, file: string, text: string, setAsideTornTail: () => Promise<void>): Promise<void> {
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
        await setAsideTornTail();
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

  private async appendTo(kind: K, appender: Appender, bytes: Buffer): Promise<void> {
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
