import { QdrantError } from "./errors.js";
import type { Readable } from "node:stream";
import { failFor, toOutcome, type Outcome } from "./answers.js";
import type { QdrantHttp } from "./http.js";
import { multipartBody } from "./multipart.js";
import { seg, snapshotPath, type SnapshotRef, type UploadTarget } from "./paths.js";
import { rawSnapshotName } from "./snapshot-names.js";
import {
  parseAliases,
  parseBoolean,
  parseCollectionInfo,
  parseCollectionNames,
  parseCount,
  obj,
  parseScroll,
  parseVersion,
  parseSnapshotDescription,
  parseSnapshotList,
  type AliasDescription,
  type CollectionInfo,
  type Schema,
  type ScrolledPoint,
  type SnapshotDescription,
} from "./types.js";
import { parseQueryPoints, parseScrollPage, type PointId, type ReadPoint, type ScrollPage } from "./point-types.js";
import {
  parseClusterStatus,
  parseCollectionClusterInfo,
  type ClusterStatus,
  type CollectionClusterInfo,
} from "./cluster-types.js";

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
 */
export class QdrantClient {
  constructor(private readonly http: QdrantHttp) {}

  async listCollections(host: string): Promise<string[]> {
    return this.result("GET", host, "/collections", parseCollectionNames);
  }

  async getCollection(host: string, collection: string): Promise<CollectionInfo> {
    return this.result("GET", host, `/collections/${seg(collection)}`, parseCollectionInfo);
  }

  /** GET /collections/{c}, with the whole `result` kept as Qdrant sent it (a backup set's manifest records it). */
  async getCollectionWhole(
    host: string,
    collection: string,
  ): Promise<{ info: CollectionInfo; result: Record<string, unknown> }> {
    return this.result("GET", host, `/collections/${seg(collection)}`, (v) => ({
      info: parseCollectionInfo(v),
      result: obj(v, "result"),
    }));
  }

  /** GET /collections/{c}/aliases: the names of the aliases pointing at the collection. */
  async getCollectionAliases(host: string, collection: string): Promise<string[]> {
    const all = await this.result("GET", host, `/collections/${seg(collection)}/aliases`, parseAliases);
    return all.map((a) => a.alias_name);
  }

  async getCluster(host: string): Promise<ClusterStatus> {
    return this.result("GET", host, "/cluster", parseClusterStatus);
  }

  async getCollectionCluster(host: string, collection: string): Promise<CollectionClusterInfo> {
    return this.result("GET", host, `/collections/${seg(collection)}/cluster`, parseCollectionClusterInfo);
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

  /** PUT /collections/{c}?wait=true with a create body (a restored collection's config, or doctor's probe). */
  async createCollection(host: string, collection: string, body: Record<string, unknown>): Promise<void> {
    const path = `/collections/${seg(collection)}?wait=true`;
    const out = await this.http.call("PUT", host, path, { body, kind: "changes" });
    if (!this.parse("PUT", host, path, out, parseBoolean))
      throw new QdrantError("invalid-response", "PUT", host, path, 200, "create answered false");
  }

  /** DELETE /collections/{c}?wait=true; true when it existed. */
  async deleteCollection(host: string, collection: string): Promise<boolean> {
    const path = `/collections/${seg(collection)}?wait=true`;
    return this.parse(
      "DELETE",
      host,
      path,
      await this.http.call("DELETE", host, path, { kind: "changes" }),
      parseBoolean,
    );
  }

  /** PUT /collections/{c}/index?wait=true: a payload index on `field`. */
  async createFieldIndex(host: string, collection: string, fieldName: string, schema: unknown): Promise<void> {
    const path = `/collections/${seg(collection)}/index?wait=true`;
    const body = { field_name: fieldName, field_schema: schema } satisfies Schema["CreateFieldIndex"];
    await this.http.call("PUT", host, path, { body, kind: "changes" });
  }

  /** One scroll page from `offset`, with payloads (and vectors when asked). */
  async scrollPage(
    host: string,
    collection: string,
    opts: { limit: number; offset?: PointId; withVector?: boolean },
  ): Promise<ScrollPage> {
    const path = `/collections/${seg(collection)}/points/scroll`;
    const body = {
      limit: opts.limit,
      with_payload: true,
      with_vector: opts.withVector ?? false,
      ...(opts.offset !== undefined ? { offset: opts.offset as Schema["ExtendedPointId"] } : {}),
    } satisfies Schema["ScrollRequest"];
    return this.parse("POST", host, path, await this.http.call("POST", host, path, { body }), parseScrollPage);
  }

  /** POST …/points/query: `query` is `{sample: "random"}` or a vector; `using` names the vector. */
  async queryPoints(
    host: string,
    collection: string,
    opts: { query: Schema["QueryInterface"]; using?: string; limit: number; withVector: boolean },
  ): Promise<ReadPoint[]> {
    const path = `/collections/${seg(collection)}/points/query`;
    const body = {
      query: opts.query,
      limit: opts.limit,
      with_payload: true,
      with_vector: opts.withVector,
      ...(opts.using !== undefined ? { using: opts.using } : {}),
    } satisfies Schema["QueryRequest"];
    return this.parse("POST", host, path, await this.http.call("POST", host, path, { body }), parseQueryPoints);
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

  /** GET / → the Qdrant version, e.g. "1.19.0" (the answer has no envelope). */
  async getVersion(host: string): Promise<string> {
    // Read raw (the answer has no envelope), and retried like any other idempotent call.
    return this.http.retrying(async () => {
      const res = await this.http.stream("GET", host, "/", { headers: { accept: "application/json" } });
      const text = await res.body.text();
      try {
        return parseVersion(JSON.parse(text));
      } catch (err) {
        throw new QdrantError(
          "invalid-response",
          "GET",
          host,
          "/",
          res.status,
          `unexpected answer: ${(err as Error).message}`,
        );
      }
    });
  }

  /** The exact number of points (POST …/points/count with exact=true). */
  async countPoints(host: string, collection: string): Promise<number> {
    const path = `/collections/${seg(collection)}/points/count`;
    const body = { exact: true } satisfies Schema["CountRequest"];
    return this.parse("POST", host, path, await this.http.call("POST", host, path, { body }), parseCount);
  }

  /** One page of points with their payloads (no vectors): proves the collection's data can be read. */
  async scrollPoints(host: string, collection: string, limit: number): Promise<ScrolledPoint[]> {
    const path = `/collections/${seg(collection)}/points/scroll`;
    const body = { limit, with_payload: true, with_vector: false } satisfies Schema["ScrollRequest"];
    return this.parse("POST", host, path, await this.http.call("POST", host, path, { body }), parseScroll);
  }

  /** PATCH /collections/{c} with an empty optimizers_config: how Qdrant is told to run optimizers on a grey collection. */
  async triggerOptimizers(host: string, collection: string): Promise<void> {
    const path = `/collections/${seg(collection)}`;
    const body = { optimizers_config: {} } satisfies Schema["UpdateCollection"];
    await this.http.call("PATCH", host, path, { body });
  }

  async listAliases(host: string): Promise<AliasDescription[]> {
    return this.result("GET", host, "/aliases", parseAliases);
  }

  async createAlias(host: string, collection: string, alias: string): Promise<void> {
    const path = "/collections/aliases";
    const body = {
      actions: [{ create_alias: { collection_name: collection, alias_name: alias } }],
    } satisfies Schema["ChangeAliasesOperation"];
    const out = await this.http.call("POST", host, path, { body });
    if (!this.parse("POST", host, path, out, parseBoolean)) {
      throw new QdrantError("invalid-response", "POST", host, path, 200, "alias update answered false");
    }
  }

  private async result<T>(method: string, host: string, path: string, parse: (v: unknown) => T): Promise<T> {
    return this.parse(method, host, path, await this.http.call(method, host, path), parse);
  }

  private parse<T>(method: string, host: string, path: string, out: Outcome, parse: (v: unknown) => T): T {
    if (out.status === "accepted") {
      throw new QdrantError(
        "invalid-response",
        method,
        host,
        path,
        202,
        "answered accepted where a result was expected",
      );
    }
    try {
      return parse(out.result);
    } catch (err) {
      throw new QdrantError(
        "invalid-response",
        method,
        host,
        path,
        200,
        `unexpected answer: ${(err as Error).message}`,
      );
    }
  }
}
