/** What a route handler gets: the node it runs on, the parsed request and small helpers. */
import type { IncomingHttpHeaders, IncomingMessage } from "node:http";
import type { Dispatcher } from "undici";
import type { RestoreFaults } from "./restore-faults.js";
import type { CollectionHealth, Deployment, PeerId } from "./state.js";
import type { SnapshotStore } from "./storage.js";
import { ApiError, forbidden, type Reply } from "./envelope.js";
import { parseJson, type Json } from "./json.js";

/** Settings and services shared by every node of one emulator. */
export interface Shared {
  version: string;
  clock: () => Date;
  /** Scratch space for archives being built or downloaded (removed on stop). */
  tmpDir: string;
  /** Work spawned by `wait=false` (and all snapshot work); awaited on stop. */
  track<T>(p: Promise<T>): Promise<T>;
  /** qdrant#5026 fault: S3 configured, but snapshots land on local disk. */
  snapshotsOnLocalDisk: boolean;
  /** Optional incompressible filler per shard segment, to make archives realistically large. */
  segmentPaddingBytes: number;
  /** The health a collection recovery leaves behind (faults.afterRecover); undefined = green. */
  afterRecover: CollectionHealth | undefined;
  /** Broken-restore faults (lingering replicas, short counts, unreadable payloads); hooks called by the routes. */
  restoreFaults: RestoreFaults;
  /** Recover-by-URL downloads go through this (an agent trusting the emulator's `ca`); undefined = global fetch. */
  downloads: Dispatcher | undefined;
}

/** One Qdrant process: a standalone node or a peer of a cluster. */
export interface NodeRuntime {
  index: number;
  /** Exact (u64 peer ids can exceed 2^53). */
  peerId: PeerId;
  host: string;
  port: number;
  url: string;
  deployment: Deployment;
  /** This node's `storage.snapshots_path`. */
  snapshotsDir: string;
  localStore: SnapshotStore;
  s3Store: SnapshotStore | undefined;
  shared: Shared;
}

/** The snapshot storage in effect (S3 when configured, unless the #5026 fault is on). */
export function storeOf(node: NodeRuntime): SnapshotStore {
  return node.s3Store && !node.shared.snapshotsOnLocalDisk ? node.s3Store : node.localStore;
}

export type Access = "manage" | "read";

export interface RequestCtx {
  node: NodeRuntime;
  method: string;
  pathname: string;
  params: Record<string, string>;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  access: Access;
  /** `performance.now()` when handling began, for the envelope's `time`. */
  startedAt: number;
  req: IncomingMessage;
}

export type Handler = (ctx: RequestCtx) => Promise<Reply>;

/** RBAC: a read-only key may not change anything (Qdrant words it the same for every mutation). */
export function requireManage(ctx: RequestCtx): void {
  if (ctx.access !== "manage") throw forbidden("Global manage access is required");
}

export function param(ctx: RequestCtx, name: string): string {
  const v = ctx.params[name];
  if (v === undefined) throw new Error(`route has no :${name} parameter`);
  return v;
}

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks);
}

/** Read and parse a JSON body; an empty body counts as `{}` where Qdrant's body is optional. */
export async function readJson(ctx: RequestCtx, optional = false): Promise<Json> {
  const text = (await readBody(ctx.req)).toString("utf8");
  if (optional && text.trim() === "") return {};
  return parseJson(text);
}

/** Parse a boolean query flag such as `wait`; junk is a 400 like actix's query extractor. */
export function boolQuery(ctx: RequestCtx, name: string, dflt: boolean): boolean {
  const v = ctx.query.get(name);
  if (v === null) return dflt;
  if (v === "true") return true;
  if (v === "false") return false;
  throw new ApiError(400, `Query deserialize error: ${name}: provided string was not \`true\` or \`false\``);
}
