// One full-storage snapshot restored onto one host (full-restore.ts): the archive read in one pass (a second for
// inner files named outside Qdrant's rule), each collection uploaded as it streams by, its mapping checked against
// config.json, then the aliases created; every outcome recorded and tallied.
import { describeError, isFatal, key } from "./task/items.js";
import type { Tally } from "./task/tally.js";
import type { Deps } from "./task/deps.js";
import { QdrantError } from "../qdrant/errors.js";
import {
  ArchiveError,
  collectionOfInnerSnapshot,
  readFullArchive,
  type FullSnapshotConfig,
  type InnerSnapshot,
} from "./full-archive.js";
import type { FullArchiveSource } from "./full-source.js";
import { createArchiveAliases, type Outcome } from "./full-restore-aliases.js";

/** `(host, snapshot column)` → status of the history rows that count as done (`ok`, `accepted`). */
export type DoneMap = Map<string, string>;

/** The restore of one archive on one host; restore() throws what the caller (restoreFullSnapshot) records. */
export class HostRestore {
  private config: FullSnapshotConfig | undefined;
  /** Inner file → the collection it was restored into (or skipped as done). */
  private readonly seen = new Map<string, string>();
  /** Inner files whose collection was unknown when they streamed by (config.json not read yet, unusual name). */
  private readonly deferred = new Set<string>();
  private readonly outcomes = new Map<string, Outcome>();

  constructor(
    private readonly deps: Deps,
    private readonly tally: Tally,
    private readonly archive: FullArchiveSource,
    private readonly host: string,
    private readonly done: DoneMap,
  ) {}

  async restore(): Promise<void> {
    await this.pass(undefined);
    const config = this.config;
    if (config === undefined)
      throw new ArchiveError(
        `${this.archive.location}: no config.json in the archive (truncated, or not a full snapshot)`,
      );
    // Inner files with names outside Qdrant's rule are read again, now that the mapping is known.
    const mapped = new Set(config.collections.values());
    const again = new Set([...this.deferred].filter((file) => mapped.has(file)));
    for (const file of this.deferred)
      if (!mapped.has(file)) this.deps.log.warn(`${this.archive.name}: ${file} is not in its config.json; skipped`);
    if (again.size > 0) {
      this.deps.log.info(
        `Reading ${this.archive.name} again for ${again.size} inner snapshots named outside Qdrant's rule`,
      );
      await this.pass(again);
    }
    await this.checkMapping(config);
    const where = { archiveId: this.archive.id, host: this.host };
    const aliasesOk = await createArchiveAliases(this.deps, this.tally, where, config, this.outcomes);
    const allOk = [...config.collections.keys()].every((c) => this.outcomes.get(c) === "ok");
    if (allOk && aliasesOk) {
      await this.deps.state.append("snapshotRecoveryHistory", {
        host: this.host,
        snapshot: this.archive.id,
        status: "ok",
      });
      this.deps.log.info(
        `Restored ${this.archive.name} on ${this.host}: ${config.collections.size} collections, ${config.aliases.size} aliases`,
      );
    }
  }

  /** One read of the archive; `only` limits it to those inner files. */
  private async pass(only: ReadonlySet<string> | undefined): Promise<void> {
    const source = await this.archive.open();
    await readFullArchive(source, this.archive.location, {
      onConfig: (config) => void (this.config = config),
      onSnapshot: async (inner) => {
        if (only !== undefined && !only.has(inner.name)) return;
        const collection = this.config
          ? fileToCollection(this.config, inner.name)
          : collectionOfInnerSnapshot(inner.name);
        if (collection === undefined) {
          if (this.config) this.deps.log.warn(`${this.archive.name}: ${inner.name} is not in its config.json; skipped`);
          else this.deferred.add(inner.name);
          return;
        }
        this.seen.set(inner.name, collection);
        await this.restoreCollection(collection, inner);
      },
      onOther: (name, type) =>
        this.deps.log.warn(`${this.archive.name}: unexpected ${type} entry ${JSON.stringify(name)}; skipped`),
    });
  }

  private async restoreCollection(collection: string, inner: InnerSnapshot): Promise<void> {
    const { config, log, qdrant, state } = this.deps;
    const { host } = this;
    const snapshot = `${this.archive.id}/${collection}`;
    const previous = this.done.get(key(host, snapshot));
    if (previous !== undefined) {
      this.outcomes.set(collection, "ok"); // accepted in an earlier run: Qdrant took it, as recover_snap trusts it
      this.tally.add("skipped", { host, snapshot, collection, kind: "collection" });
      return;
    }
    let outcome: "ok" | "accepted";
    try {
      outcome = await qdrant.uploadSnapshot(host, { collection }, inner.body, {
        filename: inner.name,
        size: inner.size,
        priority: "snapshot",
        wait: config.waitOnTask,
      });
    } catch (err) {
      const broken = inner.archiveFailure();
      if (broken) throw broken; // the archive broke under the upload: the host-level failure says so
      if (isFatal(err)) throw err;
      log.error(`Recovery of ${collection} from ${snapshot} on ${host} failed: ${describeError(err)}`);
      await state.append("failedSnapshotRecovery", {
        host,
        snapshot,
        status: err instanceof QdrantError ? err.code : "failed",
      });
      this.outcomes.set(collection, "failed");
      this.tally.add("failed", { host, snapshot, collection, kind: "collection", error: describeError(err) });
      return;
    }
    await state.append("snapshotRecoveryHistory", { host, snapshot, status: outcome });
    this.done.set(key(host, snapshot), outcome);
    this.outcomes.set(collection, outcome);
    if (outcome === "accepted")
      log.info(
        `Recovery of ${collection} from ${snapshot} on ${host} accepted (wait=false); its aliases follow on the next run`,
      );
    else log.info(`Recovered ${collection} from ${snapshot} on ${host}`);
    this.tally.add(outcome === "ok" ? "done" : "accepted", { host, snapshot, collection, kind: "collection" });
  }

  /** Every collection of config.json must have come out of the archive under that name. */
  private async checkMapping(config: FullSnapshotConfig): Promise<void> {
    for (const [collection, file] of config.collections) {
      const got = this.seen.get(file);
      if (got === collection) continue;
      const problem =
        got === undefined
          ? `config.json lists ${file} for ${collection}, but the archive has no such entry`
          : `${file} was restored as ${got}, but config.json maps it to ${collection}`;
      const snapshot = `${this.archive.id}/${collection}`;
      this.deps.log.error(`${this.archive.location}: ${problem}`);
      await this.deps.state.append("failedSnapshotRecovery", { host: this.host, snapshot, status: "not_in_archive" });
      this.outcomes.set(collection, "failed");
      this.tally.add("failed", { host: this.host, snapshot, collection, kind: "collection", error: problem });
    }
  }
}

function fileToCollection(config: FullSnapshotConfig, file: string): string | undefined {
  for (const [collection, f] of config.collections) if (f === file) return collection;
  return undefined;
}
