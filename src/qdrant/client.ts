import { QdrantError } from "./errors.js";
import { CollectionCalls } from "./collection-calls.js";
import type { Readable } from "node:stream";
import { failFor, toOutcome } from "./answers.js";
import { multipartBody } from "./multipart.js";
import { seg, snapshotPath, type SnapshotRef, type UploadTarget } from "./paths.js";
import { rawSnapshotName } from "./snapshot-names.js";
import {
  parseBoolean,
  parseSnapshotDescription,
  parseSnapshotList,
  type Schema,
  type SnapshotDescription,
} from "./types.js";

export { snapshotPath, type SnapshotRef } from "./paths.js";

/** Result of a snapshot mutation: done (with its description when Qdrant gives one) or accepted (wait=false). */
export type SnapshotOutcome = { status: "ok"; snapshot: SnapshotDescription } | { status: "accepted" };

/** Body of PUT /collections/{c}/snapshots/recover: the schema's SnapshotRecover, the fields the tool sends. */
export type RecoverRequest = Pick<Schema["SnapshotRecover"], "location"> & {
  priority?: SnapshotPriority;
  checksum?: string;
};

/** How a recovered snapshot's data ranks against the replicas' (the schema's SnapshotPriority). */
export type SnapshotPriority = Schema["SnapshotPriority"];

/**
 * Typed Qdrant REST client: one method per endpoint; no retry policy of its own beyond the transport's. Request
 * bodies are checked against the schema's request types (`satisfies`), answers parsed into types.ts's schema types.
 * Collections, points, aliases and cluster views are in collection-calls.ts; the snapshots of collections, shards and
 * the whole storage here.
 */
export class QdrantClient extends CollectionCalls {
  /** This client under another signal (QdrantHttp.withSignal): a clean-up after an interrupt, within its deadline. */
  withSignal(signal: AbortSignal): QdrantClient {
    return new QdrantClient(this.http.withSignal(signal));
  }

  /** The collection's snapshots, with raw names also when Qdrant stores them in S3 (see rawSnapshotName). */
  async listSnapshots(host: string, collection: string): Promise<SnapshotDescription[]> {
    const listed = await this.result("GET", host, `/collections/${seg(collection)}/snapshots`, parseSnapshotList);
    return listed.map((s) => ({ ...s, name: rawSnapshotName(collection, s.name) }));
  }

  async createSnapshot(host: string, collection: string, wait: boolean): Promise<SnapshotOutcome> {
    const path = `/collections/${seg(collection)}/snapshots?wait=${wait}`;
    const out = await this.http.call("POST", host, path, { kind: "changes" });
    if (out.status === "accepted") return out;
    return { status: "ok", snapshot: this.parse("POST", host, path, out, parseSnapshotDescription) };
  }

  /** Recovers a collection from a URL. The location (a presigned URL) is a credential: it never appears in errors. */
  async recoverSnapshot(
    host: string,
    collection: string,
    req: RecoverRequest,
    wait: boolean,
  ): Promise<"ok" | "accepted"> {
    const path = `/collections/${seg(collection)}/snapshots/recover?wait=${wait}`;
    const out = await this.http.call("PUT", host, path, { body: req, kind: "changes" });
    if (out.status === "accepted") return "accepted";
    if (!this.parse("PUT", host, path, out, parseBoolean)) {
      throw new QdrantError("invalid-response", "PUT", host, path, 200, "recover answered false");
    }
    return "ok";
  }

  /**
   * Recovers one shard of a collection from a URL (PUT …/shards/{s}/snapshots/recover). The location (a presigned
   * URL) is a credential: it never appears in errors.
   */
  async recoverShardSnapshot(
    host: string,
    collection: string,
    shard: number,
    req: RecoverRequest,
    wait: boolean,
  ): Promise<"ok" | "accepted"> {
    const path = `/collections/${seg(collection)}/shards/${shard}/snapshots/recover?wait=${wait}`;
    const body = req satisfies Schema["ShardSnapshotRecover"];
    const out = await this.http.call("PUT", host, path, { body, kind: "changes" });
    if (out.status === "accepted") return "accepted";
    if (!this.parse("PUT", host, path, out, parseBoolean))
      throw new QdrantError("invalid-response", "PUT", host, path, 200, "recover answered false");
    return "ok";
  }

  /**
   * Streams a snapshot's bytes off a node, from byte `start` (HTTP Range) when given.
   * @returns the body, the bytes it will carry (when the node says), and whether the node honoured the range
   */
  async downloadSnapshot(
    host: string,
    ref: SnapshotRef,
    opts: { start?: number } = {},
  ): Promise<{ body: Readable; length: number | undefined; ranged: boolean }> {
    const start = opts.start ?? 0;
    const res = await this.http.stream(
      "GET",
      host,
      snapshotPath(ref),
      start > 0 ? { headers: { range: `bytes=${start}-` } } : {},
    );
    const length = Number(res.headers["content-length"]);
    return { body: res.body, length: Number.isFinite(length) ? length : undefined, ranged: res.status === 206 };
  }

  /** Deletes a snapshot from a node (its disk or its S3 storage). */
  async deleteSnapshot(host: string, ref: SnapshotRef, wait: boolean): Promise<"ok" | "accepted"> {
    const path = `${snapshotPath(ref)}?wait=${wait}`;
    const out = await this.http.call("DELETE", host, path);
    return out.status === "accepted" ? "accepted" : "ok";
  }

  /**
   * Streams `body` into POST …/snapshots/upload as multipart/form-data (field `snapshot`), in constant memory, and
   * recovers the collection (or shard) from it. With `checksum`, Qdrant verifies the bytes before recovering.
   * Never retried here: the caller reopens the source to try again.
   */
  async uploadSnapshot(
    host: string,
    target: UploadTarget,
    body: Readable,
    opts: { filename: string; size?: number; checksum?: string; priority?: SnapshotPriority; wait: boolean },
  ): Promise<"ok" | "accepted"> {
    const query = new URLSearchParams({ wait: String(opts.wait) });
    if (opts.priority) query.set("priority", opts.priority);
    if (opts.checksum) query.set("checksum", opts.checksum);
    const base =
      target.shard === undefined
        ? `/collections/${seg(target.collection)}`
        : `/collections/${seg(target.collection)}/shards/${target.shard}`;
    const path = `${base}/snapshots/upload?${query}`;
    const form = multipartBody(body, opts.filename, opts.size);
    const res = await this.http.stream("POST", host, path, { body: form.body, headers: form.headers });
    const text = await res.body.text();
    const out = toOutcome(
      failFor("POST", host, path),
      res.status,
      String(res.headers["content-type"] ?? ""),
      text,
      undefined,
    );
    if (out.status === "accepted") return "accepted";
    if (!this.parse("POST", host, path, out, parseBoolean))
      throw new QdrantError("invalid-response", "POST", host, path, 200, "upload answered false");
    return "ok";
  }

  /** POST /snapshots: a snapshot of the whole storage (every collection and the aliases). */
  async createFullSnapshot(host: string, wait: boolean): Promise<SnapshotOutcome> {
    const path = `/snapshots?wait=${wait}`;
    const out = await this.http.call("POST", host, path, { kind: "changes" });
    if (out.status === "accepted") return out;
    return { status: "ok", snapshot: this.parse("POST", host, path, out, parseSnapshotDescription) };
  }

  async listFullSnapshots(host: string): Promise<SnapshotDescription[]> {
    return this.result("GET", host, "/snapshots", parseSnapshotList);
  }

  /** The shard's snapshots, with raw names also when Qdrant stores them in S3 (see rawSnapshotName). */
  async listShardSnapshots(host: string, collection: string, shard: number): Promise<SnapshotDescription[]> {
    const listed = await this.result(
      "GET",
      host,
      `/collections/${seg(collection)}/shards/${shard}/snapshots`,
      parseSnapshotList,
    );
    return listed.map((s) => ({ ...s, name: rawSnapshotName(collection, s.name) }));
  }

  /**
   * POST /collections/{c}/shards/{s}/snapshots?wait=true: a snapshot of one shard replica on `host` (which must hold
   * it). Always waits: a backup set needs the snapshot's name.
   */
  async createShardSnapshot(host: string, collection: string, shard: number): Promise<SnapshotOutcome> {
    const path = `/collections/${seg(collection)}/shards/${shard}/snapshots?wait=true`;
    const out = await this.http.call("POST", host, path, { kind: "changes" });
    if (out.status === "accepted") return out;
    return { status: "ok", snapshot: this.parse("POST", host, path, out, parseSnapshotDescription) };
  }
}
