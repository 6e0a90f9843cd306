/**
 * A multi-node Qdrant 1.19 emulator over real HTTP, for tests, the demo and benchmarks.
 * Standalone mode runs N independent nodes; cluster mode runs the peers of one cluster, each on
 * its own loopback address and the same port, like pods behind a headless service.
 */
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { rootCertificates } from "node:tls";
import { Agent } from "undici";
import type { S3Client } from "@aws-sdk/client-s3";
import { aliasRoutes } from "./aliases.js";
import { clusterControl, toPeerId, type ClusterControl, type PeerIdInput } from "./cluster-activity.js";
import { clusterRoutes } from "./cluster.js";
import { collectionUpdateRoutes } from "./collection-update.js";
import { collectionRoutes } from "./collections.js";
import type { NodeRuntime, Shared } from "./context.js";
import { Faults, type FaultController } from "./faults.js";
import { RestoreFaults } from "./restore-faults.js";
import { fullSnapshotRoutes } from "./full-snapshots.js";
import { listenAll } from "./listen.js";
import { pointRoutes } from "./points.js";
import { queryRoutes } from "./query.js";
import { Router } from "./router.js";
import { createNodeServer, type AnswerRecord, type RequestLogEntry } from "./server.js";
import { shardSnapshotRoutes } from "./shard-snapshots.js";
import { snapshotRoutes } from "./snapshots.js";
import { Deployment, upsertPoints, type PeerId, type StoredPoint } from "./state.js";
import { LocalStore } from "./storage-local.js";
import { createS3Client, S3Store, type S3StorageOptions } from "./storage-s3.js";

export type { AfterRecover, FaultController, FaultRule } from "./faults.js";
export type { BreakPayloadsOptions, PayloadPoint, ShardRecoverFault } from "./restore-faults.js";
export type { AnswerRecord, RequestLogEntry } from "./server.js";
export type { PeerId, ReplicaState, StoredPoint } from "./state.js";
export type {
  ActivityHandle,
  ClusterControl,
  ClusterPeer,
  PeerIdInput,
  ReshardingSpec,
  TransferSpec,
} from "./cluster-activity.js";

export interface EmulatorOptions {
  /** Standalone mode: N independent nodes on 127.0.0.1, each on its own port (default 1). */
  nodes?: number;
  /**
   * Cluster mode: `peers` peers of one cluster, peer i bound to 127.0.0.(i+2) on the same port.
   * `shards`/`replicationFactor` are the defaults for collections created without them (default 1).
   */
  cluster?: {
    peers: number;
    shards?: number;
    replicationFactor?: number;
    /**
     * Peer ids `peerIdBase + 1n … peerIdBase + peers` (u64, e.g. `2n ** 60n`: clusters made before Qdrant 1.2 have
     * such ids). Neighbouring ids then differ below a double's precision, so any lossy client shows.
     */
    peerIdBase?: bigint;
  };
  /** 0/undefined = a free port. Standalone node i uses `port + i`. */
  port?: number;
  /** When set, every route but the whitelist (`/`, health probes) needs it (`api-key` or `Authorization: Bearer`). */
  apiKey?: string;
  /** A read-only key: reads work, mutations answer 403. */
  readOnlyApiKey?: string;
  /** Snapshot storage. Local by default; `dir` defaults to a fresh temp dir removed on stop. */
  storage?: { kind: "local"; dir?: string } | ({ kind: "s3" } & S3StorageOptions);
  /** Clock for snapshot names and file times (UTC). Default: the real time. */
  clock?: () => Date;
  /** Version reported by `GET /` and written into archives. Default "1.19.0". */
  version?: string;
  /** Fixed peer ids (one per node/peer; u64, bigints for ids above 2^53); default random integers in [1, 2^53]. */
  peerIds?: PeerIdInput[];
  /** Extra random bytes per segment in every archive, to give benchmarks realistic sizes. Default 0. */
  segmentPaddingBytes?: number;
  /** Serve https with this key and certificate (PEM; see test/support/tls.ts) instead of http. */
  tls?: { key: string; cert: string };
  /**
   * A CA certificate (PEM) the nodes trust besides Node's roots for their own https requests: S3 snapshot storage
   * and recover-by-URL downloads. (NODE_EXTRA_CA_CERTS is read once at start-up, so it cannot serve a test process.)
   */
  ca?: string;
  /** Test hook: called with every answer (status, headers, body bytes) just before a node sends it. */
  onAnswer?: (answer: AnswerRecord) => void;
}

export interface EmulatorNode {
  url: string;
  /** The peer id as a number: rounded when above 2^53 (see `peerIdExact`). */
  peerId: number;
  /** The exact peer id. */
  peerIdExact: PeerId;
  host: string;
  port: number;
  /** This node's local snapshots directory (`storage.snapshots_path`). */
  snapshotsDir: string;
}

export interface Emulator {
  urls: string[];
  nodes: EmulatorNode[];
  faults: FaultController;
  /** Peers in peer-id order and injected cluster activity (replica states, transfers, resharding). */
  cluster: ClusterControl;
  /** Every answered request, in completion order. */
  requests(): RequestLogEntry[];
  /** TCP connections accepted so far by all nodes: a client that gives up in the TLS handshake leaves only this. */
  connections(): number;
  resetRequests(): void;
  /**
   * Writes points into `collection` as seen by node `node` at once, synchronously, with no request: from a fault
   * rule's `onMatch`, a write lands exactly between two of a client's requests (e.g. between the count before a
   * snapshot and the snapshot itself). Throws when the collection does not exist there.
   */
  upsert(node: number, collection: string, points: readonly StoredPoint[]): void;
  stop(): Promise<void>;
}

/** A random peer id in [1, 2^53], like Qdrant's since 1.2. */
function randomPeerId(): PeerId {
  return (randomBytes(8).readBigUInt64BE() % 2n ** 53n) + 1n;
}

function peerIdsFor(count: number, given: PeerIdInput[] | undefined, base: bigint | undefined): PeerId[] {
  if (given && base !== undefined) throw new Error("give peerIds or cluster.peerIdBase, not both");
  if (base !== undefined) given = Array.from({ length: count }, (_, i) => base + BigInt(i + 1));
  if (given) {
    const ids = given.map(toPeerId);
    if (ids.length !== count || new Set(ids).size !== count) throw new Error(`peerIds must hold ${count} distinct ids`);
    if (ids.some((id) => id < 0n || id >= 2n ** 64n)) throw new Error("peer ids must be u64");
    return ids;
  }
  const ids = new Set<PeerId>();
  while (ids.size < count) ids.add(randomPeerId());
  return [...ids];
}

export async function startEmulator(opts: EmulatorOptions = {}): Promise<Emulator> {
  const clustered = opts.cluster !== undefined;
  const count = opts.cluster?.peers ?? opts.nodes ?? 1;
  if (!Number.isInteger(count) || count < 1) throw new Error("nodes/peers must be a positive integer");
  const peerIds = peerIdsFor(count, opts.peerIds, opts.cluster?.peerIdBase);
  const hosts = Array.from({ length: count }, (_, i) => (clustered ? `127.0.0.${i + 2}` : "127.0.0.1"));
  const work = await mkdtemp(join(tmpdir(), "qdrant-emulator-"));
  const storage = opts.storage ?? { kind: "local" };
  const root = storage.kind === "local" && storage.dir !== undefined ? storage.dir : join(work, "snapshots");
  const pending = new Set<Promise<unknown>>();
  const deployments: Deployment[] = [];
  const restoreFaults = new RestoreFaults(() => deployments);
  const shared: Shared = {
    restoreFaults,
    version: opts.version ?? "1.19.0",
    clock: opts.clock ?? (() => new Date()),
    tmpDir: work,
    snapshotsOnLocalDisk: false,
    segmentPaddingBytes: opts.segmentPaddingBytes ?? 0,
    afterRecover: undefined,
    downloads: opts.ca === undefined ? undefined : new Agent({ connect: { ca: [...rootCertificates, opts.ca] } }),
    track: <T>(p: Promise<T>): Promise<T> => {
      pending.add(p);
      const done = (): void => void pending.delete(p);
      p.then(done, done);
      return p;
    },
  };
  const s3: S3Client | undefined =
    storage.kind === "s3"
      ? createS3Client({ ...(opts.ca === undefined ? {} : { ca: opts.ca }), ...storage })
      : undefined;
  const defaults = { shardNumber: opts.cluster?.shards ?? 1, replicationFactor: opts.cluster?.replicationFactor ?? 1 };
  const uri = (host: string): string => `http://${host}:6335/`;
  const clusterDeployment = clustered
    ? new Deployment(
        peerIds.map((id, i) => ({ id, uri: uri(hosts[i] ?? "") })),
        true,
        defaults,
      )
    : undefined;

  const runtimes: NodeRuntime[] = peerIds.map((peerId, index) => {
    const host = hosts[index] ?? "127.0.0.1";
    const snapshotsDir = count === 1 ? root : join(root, `node-${index}`);
    return {
      index,
      peerId,
      host,
      port: 0,
      url: "",
      deployment: clusterDeployment ?? new Deployment([{ id: peerId, uri: uri(host) }], false, defaults),
      snapshotsDir,
      localStore: new LocalStore(snapshotsDir, shared.clock),
      s3Store: s3 && storage.kind === "s3" ? new S3Store(s3, storage.bucket, storage.snapshotsPath) : undefined,
      shared,
    };
  });

  for (const r of runtimes) if (!deployments.includes(r.deployment)) deployments.push(r.deployment);
  // Qdrant creates `snapshots_path` at start-up (file:// recovery resolves paths against it).
  await Promise.all(runtimes.map((n) => mkdir(n.snapshotsDir, { recursive: true })));

  const log: RequestLogEntry[] = [];
  const faults = new Faults(
    (on) => {
      shared.snapshotsOnLocalDisk = on;
    },
    (health) => {
      shared.afterRecover = health;
    },
    restoreFaults,
  );
  const router = new Router([
    ...collectionRoutes,
    ...collectionUpdateRoutes,
    ...pointRoutes,
    ...queryRoutes,
    ...aliasRoutes,
    ...snapshotRoutes,
    ...fullSnapshotRoutes,
    ...shardSnapshotRoutes,
    ...clusterRoutes,
  ]);
  const auth = { apiKey: opts.apiKey, readOnlyApiKey: opts.readOnlyApiKey };
  const servers: Server[] = runtimes.map((node) =>
    createNodeServer(node, {
      router,
      auth,
      faults,
      log,
      ...(opts.tls ? { tls: opts.tls } : {}),
      ...(opts.onAnswer ? { onAnswer: opts.onAnswer } : {}),
    }),
  );
  let connections = 0;
  for (const server of servers) server.on("connection", () => void connections++);
  const ports = await listenAll(servers, hosts, opts.port ?? 0, clustered);
  runtimes.forEach((node, i) => {
    node.port = ports[i] ?? 0;
    node.url = `${opts.tls ? "https" : "http"}://${node.host}:${node.port}`;
  });

  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await Promise.all(
      servers.map(
        (s) =>
          new Promise<void>((resolve) => {
            s.close(() => resolve());
            s.closeAllConnections();
          }),
      ),
    );
    // Let spawned snapshot work finish before its files disappear (bounded: a stalled download must not hang stop).
    await Promise.race([Promise.allSettled([...pending]), sleep(10_000, undefined, { ref: false })]);
    s3?.destroy();
    await shared.downloads?.close();
    await rm(work, { recursive: true, force: true });
  };

  return {
    urls: runtimes.map((n) => n.url),
    nodes: runtimes.map((n) => ({
      url: n.url,
      peerId: Number(n.peerId),
      peerIdExact: n.peerId,
      host: n.host,
      port: n.port,
      snapshotsDir: n.snapshotsDir,
    })),
    faults,
    cluster: clusterControl(clusterDeployment, () =>
      runtimes.map((n) => ({ index: n.index, peerId: n.peerId, url: n.url, host: n.host })),
    ),
    requests: () => log.map((e) => ({ ...e })),
    connections: () => connections,
    resetRequests: () => void log.splice(0, log.length),
    upsert: (node, collection, points) => {
      const runtime = runtimes[node];
      if (runtime === undefined) throw new Error(`no node ${node}`);
      upsertPoints(runtime.deployment.get(collection), [...points]);
    },
    stop,
  };
}
