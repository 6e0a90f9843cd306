// The typed Qdrant client's calls on collections, their points, aliases and cluster views (client.ts adds snapshots).
import { QdrantError } from "./errors.js";
import { QdrantCalls } from "./client-base.js";
import { seg } from "./paths.js";
import {
  parseAliases,
  parseBoolean,
  parseCollectionInfo,
  parseCollectionNames,
  parseCount,
  obj,
  parseScroll,
  parseVersion,
  type AliasDescription,
  type CollectionInfo,
  type Schema,
  type ScrolledPoint,
} from "./types.js";
import { parseQueryPoints, parseScrollPage, type PointId, type ReadPoint, type ScrollPage } from "./point-types.js";
import {
  parseClusterStatus,
  parseCollectionClusterInfo,
  type ClusterStatus,
  type CollectionClusterInfo,
} from "./cluster-types.js";

/** Collections, points, aliases, cluster views and the server version: one method per endpoint. */
export class CollectionCalls extends QdrantCalls {
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
}
