/**
 * What one run holds, opened in order and released in reverse within deadlines: the local lock (before anything reads
 * the state), the state lease in the bucket, the Qdrant and S3 clients, the state files and their mirror. `open`
 * records each resource as soon as it exists, so `close` releases exactly what was taken, also after a failure
 * half-way.
 */
import type { S3Client } from "@aws-sdk/client-s3";
import type { Deps } from "./backup/task/deps.js";
import type { Config } from "./config.js";
import type { Logger } from "./log.js";
import { closeWithin, SHUTDOWN_DEADLINE_MS, type Closer } from "./shutdown.js";
import type { StateStore } from "./state/files.js";
import type { StateLease } from "./state/lease.js";
import { acquireLocalLock, type LocalLock } from "./state/lock.js";
import type { StateMirror } from "./state/mirror.js";
import type { SnapshotStore } from "./store/types.js";

/** What an exit without main's own shutdown must still do: the lock file at once, the lease within a deadline. */
export interface ExitCleanup {
  /** Removes the lock file synchronously (also from a process "exit" handler). */
  releaseLockNow(): void;
  /** Releases the state lease within `deadlineMs`; never throws. */
  releaseLease(deadlineMs: number): Promise<void>;
}

export interface SessionOptions {
  config: Config;
  log: Logger;
  /** The run's signal: the process's, or the lock's or the lease's loss. */
  signal: AbortSignal;
  tasks: readonly string[];
  breakLock: boolean;
  /** Every task of the run is stateless (doctor): no lock, no lease, no mirror. */
  stateless?: boolean;
  /**
   * A dry run (`--dry-run`, every task of the run has one): the state store writes nothing, no lease is taken (it is
   * a write), and the mirrored copies are read, never written.
   */
  dryRun?: boolean;
  /** Called when the lock or the lease is lost: the run must stop (exit 5). */
  onLost: (error: Error) => void;
  setExitCleanup?: (cleanup: ExitCleanup | undefined) => void;
}

export class Session {
  lock: LocalLock | undefined;
  lease: StateLease | undefined;
  stateMirror: StateMirror | undefined;
  private readonly closers: Closer[] = [];

  constructor(private readonly o: SessionOptions) {}

  /** Takes the lock and the lease, builds the clients and pulls the mirrored state; returns the tasks' deps. */
  async open(): Promise<Deps & { state: StateStore }> {
    const { config, log, signal } = this.o;
    if (!this.o.stateless)
      this.lock = await acquireLocalLock({
        dir: config.stateDir,
        tasks: [...this.o.tasks],
        breakLock: this.o.breakLock,
        ttlMs: config.lockTtlSeconds * 1000,
        log,
        onLost: this.o.onLost,
      });
    this.o.setExitCleanup?.({
      releaseLockNow: () => this.lock?.releaseSync(),
      releaseLease: async (deadlineMs) => this.lease?.release(deadlineMs),
    });
    const { QdrantClient, QdrantHttp, StateStore, createS3Client, createSnapshotStore, ...runtime } =
      await import("./runtime.js");
    const http = new QdrantHttp({
      apiKey: config.apiKey,
      timeoutMs: config.requestTimeoutMs,
      retries: config.retries,
      signal,
      log,
    });
    this.closers.push({ close: () => http.close(), destroy: () => http.destroy() });
    let s3Client: S3Client | undefined;
    const getS3Client = (): S3Client => {
      if (!s3Client) {
        const client = createS3Client(config, log);
        this.closers.push({ close: async () => client.destroy() });
        s3Client = client;
      }
      return s3Client;
    };
    const clock = () => new Date();
    const dryRun = this.o.dryRun === true;
    const state = new StateStore(config.stateDir, { warn: (message) => log.warn(message), dryRun });
    this.closers.push({ close: () => state.close() });
    if (config.stateS3Prefix !== undefined && !this.o.stateless) {
      const { StateLease } = await import("./state/lease.js");
      // Config guarantees the bucket whenever the prefix is set.
      const objects = runtime.createObjectStore(getS3Client(), config.s3.bucket!);
      if (!dryRun)
        this.lease = await StateLease.acquire({
          objects,
          prefix: config.stateS3Prefix,
          ttlMs: config.lockTtlSeconds * 1000,
          breakLock: this.o.breakLock,
          log,
          onLost: this.o.onLost,
        });
      const mirror = new runtime.StateMirror(state, objects, config.stateS3Prefix, log, clock);
      const { downloaded, uploaded } = await mirror.pull();
      log.info(
        dryRun
          ? `[dry run] state files read from ${mirror.location} (${downloaded} newer than the local files; nothing written, no lease taken)`
          : `state files mirrored at ${mirror.location} (${downloaded} downloaded, ${uploaded} uploaded)`,
      );
      // Subscribed only now: the downloads above must not be uploaded straight back.
      state.onChange((kind) => mirror.notify(kind));
      this.stateMirror = mirror;
    }
    let store: SnapshotStore | undefined;
    return {
      config,
      log,
      state,
      stateMirror: this.stateMirror,
      signal,
      clock,
      qdrant: new QdrantClient(http),
      // Without a signal, as the state lease's: a lock must be released after an interrupted run too.
      ...(config.s3.bucket && !config.backupDir
        ? { leaseObjects: () => runtime.createObjectStore(getS3Client(), config.s3.bucket!) }
        : {}),
      store: () =>
        (store ??= config.backupDir
          ? runtime.createDirStore(config.backupDir)
          : createSnapshotStore(getS3Client(), config.s3.bucket!, signal)),
    };
  }

  /** The lease (it needs the S3 client), the clients and files within the shutdown deadline, the lock last. */
  async close(): Promise<void> {
    await this.lease?.release(); // bounded by its own deadline
    await closeWithin(this.closers, SHUTDOWN_DEADLINE_MS, this.o.log);
    await this.lock?.release(); // last: nothing touches the state any more
    this.o.setExitCleanup?.(undefined);
  }
}
