/**
 * The state mirror (QDRANT_STATE_S3_PREFIX): the six state files kept in a prefix of the bucket as well as on
 * disk, so a Job in a fresh pod resumes where the last one stopped.
 *
 * - At start, {@link StateMirror.pull} brings the local files up to date with the bucket (see there).
 * - After each change of a file, it is uploaded whole. Uploads of one file never overlap: changes made while one
 *   is in flight are folded into the next, so a burst of appends costs two uploads, not one per row.
 * - A failed upload leaves the file marked; the next change or the final {@link StateMirror.flush} tries again, and
 *   flush throws when a file's latest content still did not reach the bucket. The local files are always complete.
 * - Over a dry-run store (StateStore's `dryRun`) nothing is written to the bucket: the copies are read into the
 *   store's memory, uploads are skipped, and reset only lists what it would do.
 */
import { UpstreamError } from "../errors.js";
import type { Logger } from "../log.js";
import type { ObjectStore } from "../s3/objects.js";
import { formatStamp, messageOf } from "../lib/fs.js";
import { STATE_FILES, STATE_KINDS, type ResetResult, type StateKind, type StateStore } from "./files.js";

const CONTENT_TYPE = "text/csv; charset=utf-8";

export class StateMirror {
  private readonly dirty = new Set<StateKind>();
  private readonly uploading = new Map<StateKind, Promise<void>>();
  private readonly failures = new Map<StateKind, unknown>();

  /**
   * @param prefix the key prefix, ending in `/` (validated by config.ts)
   * @param clock the time used to name a local file kept aside by {@link pull}
   */
  constructor(
    private readonly state: StateStore,
    private readonly objects: ObjectStore,
    readonly prefix: string,
    private readonly log: Logger,
    private readonly clock: () => Date,
  ) {}

  /** The bucket key of `kind`'s mirrored copy. */
  key(kind: StateKind): string {
    return `${this.prefix}${STATE_FILES[kind].name}`;
  }

  /** `s3://bucket/prefix` for messages. */
  get location(): string {
    return `s3://${this.objects.bucket}/${this.prefix}`;
  }

  /**
   * Brings each local file up to date with its copy in the bucket. State files only grow between resets, so:
   * - no copy in the bucket: the local file (if any) is uploaded;
   * - no local file, or the local file is the start of the copy: the copy is downloaded (atomically);
   * - the copy is the start of the local file (an earlier upload failed): the local file is uploaded;
   * - they differ otherwise: the bucket wins, and the local file is kept as `<name>-<time>.local.bkp`.
   * @throws UpstreamError (exit 4) when the bucket cannot be read or written; StateFileError (exit 2) for local files
   */
  async pull(): Promise<{ downloaded: number; uploaded: number }> {
    const outcomes = await Promise.all(STATE_KINDS.map((kind) => this.pullOne(kind)));
    const count = (what: string) => outcomes.filter((o) => o === what).length;
    return { downloaded: count("downloaded"), uploaded: count("uploaded") };
  }

  /** Schedules an upload of `kind`'s file; wired to {@link StateStore.onChange}. Never throws. */
  notify(kind: StateKind): void {
    this.dirty.add(kind);
    if (!this.uploading.has(kind)) {
      this.uploading.set(kind, this.drain(kind));
    }
  }

  /**
   * Waits for the uploads in flight, then retries every file whose latest content is not in the bucket yet.
   * @throws the upload error (an UpstreamError, exit 4) when a file still cannot be uploaded
   */
  async flush(): Promise<void> {
    await Promise.all(this.uploading.values());
    const pending = STATE_KINDS.filter((kind) => this.dirty.has(kind) || this.failures.has(kind));
    const errors = await Promise.all(
      pending.map(async (kind) => {
        this.dirty.delete(kind);
        try {
          await this.upload(kind);
          this.failures.delete(kind);
          return undefined;
        } catch (err) {
          return err;
        }
      }),
    );
    const failed = errors.find((err) => err !== undefined);
    if (failed !== undefined) throw failed;
  }

  /**
   * reset for the mirrored copies: deletes them, or with `bkp` copies each to `<key>-<time>.bkp` first (time as
   * the local backups are named). Returns the `s3://` locations removed or created.
   */
  async reset(opts: { bkp: boolean; now: Date }): Promise<ResetResult> {
    await Promise.all(this.uploading.values());
    const stamp = formatStamp(opts.now);
    const existing = new Set(await this.objects.list(this.prefix));
    const result: ResetResult = { removed: [], backedUp: [] };
    const dryRun = this.state.dryRun;
    for (const kind of STATE_KINDS) {
      const key = this.key(kind);
      if (!existing.has(key)) continue;
      if (dryRun) {
        const target = opts.bkp ? nextFree(existing, `${key}-${stamp}`, ".bkp") : key;
        (opts.bkp ? result.backedUp : result.removed).push(`s3://${this.objects.bucket}/${target}`);
        continue;
      }
      if (opts.bkp) {
        // Like the local backups, never overwrite an earlier one taken in the same second: `-1`, `-2`… before `.bkp`.
        const target = nextFree(existing, `${key}-${stamp}`, ".bkp");
        if (!(await this.objects.copy(key, target))) {
          // Listed a moment ago, yet "no such key" to the copy: never delete a copy that could not be backed up.
          throw new UpstreamError(
            `S3 COPY s3://${this.objects.bucket}/${key} answered NoSuchKey although the key was just listed; nothing deleted, run reset again`,
          );
        }
        existing.add(target);
        result.backedUp.push(`s3://${this.objects.bucket}/${target}`);
      }
      await this.objects.delete(key);
      if (!opts.bkp) result.removed.push(`s3://${this.objects.bucket}/${key}`);
      this.dirty.delete(kind);
      this.failures.delete(kind);
    }
    return result;
  }

  private async pullOne(kind: StateKind): Promise<"downloaded" | "uploaded" | "same"> {
    const [remote, local] = await Promise.all([this.objects.get(this.key(kind)), this.state.readBytes(kind)]);
    const hasLocal = local !== undefined && local.length > 0;
    if (remote === undefined) {
      if (!hasLocal) return "same";
      await this.upload(kind);
      return "uploaded";
    }
    if (hasLocal && startsWith(local, remote)) {
      if (local.length === remote.length) return "same";
      this.log.warn(
        `${this.state.path(kind)} has rows that ${this.location} lacks (an earlier upload failed?); uploading it`,
      );
      await this.upload(kind);
      return "uploaded";
    }
    if (hasLocal && !startsWith(remote, local)) {
      const aside = await this.state.moveAside(kind, this.clock(), ".local.bkp");
      this.log.warn(
        `${this.state.path(kind)} differs from its copy in ${this.location}; using the bucket's, the local file is kept as ${aside}`,
      );
    }
    await this.state.replace(kind, remote);
    return "downloaded";
  }

  private async drain(kind: StateKind): Promise<void> {
    try {
      while (this.dirty.has(kind)) {
        this.dirty.delete(kind);
        try {
          await this.upload(kind);
          this.failures.delete(kind);
        } catch (err) {
          // Keep it marked and stop: the next change or flush() tries again, instead of a tight retry loop here.
          this.failures.set(kind, err);
          this.log.warn(`state mirror: ${messageOf(err)}; the local file is complete, the upload will be retried`);
          return;
        }
      }
    } finally {
      // Here, in the same synchronous step as the loop's last look at `dirty`, not in a .finally() on the returned
      // promise (microtasks later): a notify() in between would find the drain still registered and its change
      // would wait for flush().
      this.uploading.delete(kind);
    }
  }

  private async upload(kind: StateKind): Promise<void> {
    if (this.state.dryRun) return;
    const bytes = await this.state.readBytes(kind);
    if (bytes === undefined) return;
    await this.objects.put(this.key(kind), bytes, CONTENT_TYPE);
  }
}

/** `<base>.bkp`, or `<base>-1.bkp`, `-2`… when taken: an earlier backup is never overwritten. */
function nextFree(taken: ReadonlySet<string>, base: string, suffix: string): string {
  let target = `${base}${suffix}`;
  for (let n = 1; taken.has(target); n++) target = `${base}-${n}${suffix}`;
  return target;
}

function startsWith(whole: Uint8Array | undefined, start: Uint8Array): boolean {
  if (whole === undefined || whole.length < start.length) return false;
  return Buffer.from(whole.buffer, whole.byteOffset, start.length).equals(start);
}
