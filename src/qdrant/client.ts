import { QdrantError } from "./errors.js";
import type { Outcome, QdrantHttp } from "./http.js";
import {
  parseAliases,
  parseBoolean,
  parseClusterStatus,
  parseCollectionClusterInfo,
  parseCollectionInfo,
  parseCollectionNames,
  parseSnapshotDescription,
  parseSnapshotList,
  type AliasDescription,
  type ClusterStatus,
  type CollectionClusterInfo,
  type CollectionInfo,
  type SnapshotDescription,
} from "./types.js";

/** Result of a snapshot mutation: done (with its description when Qdrant gives one) or accepted (wait=false). */
export type SnapshotOutcome = { status: "ok"; snapshot: SnapshotDescription } | { status: "accepted" };

/** Body of PUT /collections/{c}/snapshots/recover. */
export interface RecoverRequest {
  location: string;
  priority?: "snapshot" | "replica" | "no_sync";
  checksum?: string;
}

const seg = encodeURIComponent;

/** Typed Qdrant REST client: one method per endpoint; no retry policy of its own beyond the transport's. */
export class QdrantClient {
  constructor(private readonly http: QdrantHttp) {}

  async listCollections(host: string): Promise<string[]> {
    return this.result("GET", host, "/collections", parseCollectionNames);
  }

  async getCollection(host: string, collection: string): Promise<CollectionInfo> {
    return this.result("GET", host, `/collections/${seg(collection)}`, parseCollectionInfo);
  }

  async getCluster(host: string): Promise<ClusterStatus> {
    return this.result("GET", host, "/cluster", parseClusterStatus);
  }

  async getCollectionCluster(host: string, collection: string): Promise<CollectionClusterInfo> {
    return this.result("GET", host, `/collections/${seg(collection)}/cluster`, parseCollectionClusterInfo);
  }

  async listSnapshots(host: string, collection: string): Promise<SnapshotDescription[]> {
    return this.result("GET", host, `/collections/${seg(collection)}/snapshots`, parseSnapshotList);
  }

  async createSnapshot(host: string, collection: string, wait: boolean): Promise<SnapshotOutcome> {
    const path = `/collections/${seg(collection)}/snapshots?wait=${wait}`;
    const out = await this.http.call("POST", host, path);
    if (out.status === "accepted") return out;
    return { status: "ok", snapshot: this.parse("POST", host, path, out, parseSnapshotDescription) };
  }

  /** Recovers a collection from a URL. The location (a presigned URL) is a credential: it never appears in errors. */
  async recoverSnapshot(host: string, collection: string, req: RecoverRequest, wait: boolean): Promise<"ok" | "accepted"> {
    const path = `/collections/${seg(collection)}/snapshots/recover?wait=${wait}`;
    const out = await this.http.call("PUT", host, path, { body: req });
    if (out.status === "accepted") return "accepted";
    if (!this.parse("PUT", host, path, out, parseBoolean)) {
      throw new QdrantError("invalid-response", "PUT", host, path, 200, "recover answered false");
    }
    return "ok";
  }

  async listAliases(host: string): Promise<AliasDescription[]> {
    return this.result("GET", host, "/aliases", parseAliases);
  }

  async createAlias(host: string, collection: string, alias: string): Promise<void> {
    const path = "/collections/aliases";
    const body = { actions: [{ create_alias: { collection_name: collection, alias_name: alias } }] };
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
      throw new QdrantError("invalid-response", method, host, path, 202, "answered accepted where a result was expected");
    }
    try {
      return parse(out.result);
    } catch (err) {
      throw new QdrantError("invalid-response", method, host, path, 200, `unexpected answer: ${(err as Error).message}`);
    }
  }
}
