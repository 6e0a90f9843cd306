import type { Deps } from "../../src/backup/task/deps.js";
import { buildConfig, type Config } from "../../src/config.js";
import { Redactor } from "../../src/lib/redact.js";
import { createLogger } from "../../src/log.js";
import { QdrantClient } from "../../src/qdrant/client.js";
import { QdrantHttp } from "../../src/qdrant/http.js";
import { createS3Client } from "../../src/s3/client.js";
import { createSnapshotStore } from "../../src/store/s3.js";
import { createObjectStore } from "../../src/s3/objects.js";
import { createDirStore } from "../../src/store/dir.js";
import { StateStore } from "../../src/state/files.js";

/** Deps for calling a command's `run` directly, with real clients pointed at the rig. */
export interface TestDeps extends Deps {
  /** Every log line, redacted, as the CLI would print it. */
  readonly lines: string[];
  close(): Promise<void>;
}

/** Builds a config from `env` (as the CLI would) and real clients; retries back off in a few ms. */
export function createTestDeps(
  env: Record<string, string>,
  opts: { stateDir: string; signal?: AbortSignal },
): TestDeps {
  const config: Config = buildConfig({ QDRANT_RETRIES: "2", ...env }, { cwd: opts.stateDir, stateDir: opts.stateDir });
  const redactor = new Redactor();
  redactor.addSecret(config.apiKey);
  redactor.addSecret(config.s3.secretAccessKey);
  const lines: string[] = [];
  const log = createLogger({ level: "verbose", sink: (l) => lines.push(l), redactor });
  const signal = opts.signal ?? new AbortController().signal;
  const http = new QdrantHttp({
    apiKey: config.apiKey,
    timeoutMs: config.requestTimeoutMs,
    retries: config.retries,
    signal,
    log,
    retryBaseDelayMs: 5,
  });
  const s3client = config.s3.bucket ? createS3Client(config) : undefined;
  return {
    config,
    log,
    signal,
    lines,
    clock: () => new Date(),
    qdrant: new QdrantClient(http),
    state: new StateStore(config.stateDir),
    ...(s3client && !config.backupDir ? { leaseObjects: () => createObjectStore(s3client, config.s3.bucket!) } : {}),
    store: () => {
      if (config.backupDir) return createDirStore(config.backupDir);
      if (!s3client) throw new Error("test deps: neither QDRANT_S3_BUCKET_NAME nor QDRANT_BACKUP_DIR in env");
      return createSnapshotStore(s3client, config.s3.bucket!, signal);
    },
    close: async () => {
      await http.close();
      s3client?.destroy();
    },
  };
}
