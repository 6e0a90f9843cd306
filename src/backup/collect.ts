/**
 * Gathering what the backup metadata (backup/metadata.ts) says about a snapshot: the facts of a collection on a host
 * right before it is snapshotted, and the metadata object built from them and from the snapshot itself.
 */
import { describeError, isFatal } from "./task/items.js";
import type { Deps } from "./task/deps.js";
import type { AliasDescription } from "../qdrant/types.js";
import { METADATA_FORMAT, type BackupMetadata } from "./metadata.js";

/** What a collection looked like on one host right before it was snapshotted. */
export interface CollectionFacts {
  /** GET / of the host; undefined when it did not answer (the metadata then has no version). */
  qdrantVersion: string | undefined;
  /**
   * Exact point count (POST …/points/count, exact=true), taken right before the snapshot is created. On a collection
   * that is written to meanwhile, the snapshot may hold a few points more or fewer: hence `pointsCountAfter`.
   * In a cluster it is the whole collection's count, not only the shards of the peer that took the snapshot.
   */
  pointsCount: number;
  /**
   * The same count taken right after the snapshot was created (set by create_snap once the snapshot exists);
   * undefined when it could not be read. Before and after bound what a live collection's snapshot holds.
   */
  pointsCountAfter?: number;
  /** `GET /collections/{c}` → status (green, yellow, grey, red). */
  status: string;
  /** `GET /collections/{c}` → config, as Qdrant reported it; undefined when the answer had none. */
  collectionConfig: Record<string, unknown> | undefined;
  /** Aliases pointing at the collection on that host, sorted. */
  aliases: string[];
}

/** Reads collection facts; the version and the alias list are fetched once per host and run (cached on success). */
export interface FactCollector {
  /**
   * The facts of `collection` on `host`: config, aliases and version first, the exact count last (so that it is as
   * close to the snapshot as possible).
   * @throws QdrantError when the collection, its count or the alias list cannot be read
   */
  collect(host: string, collection: string): Promise<CollectionFacts>;
  /** GET / of `host`, or undefined (with one warning per host) when it fails. */
  versionOf(host: string): Promise<string | undefined>;
  /** GET /aliases of `host`. */
  aliasesOf(host: string): Promise<AliasDescription[]>;
}

/** Creates a collector for one run. */
export function createFactCollector(deps: Pick<Deps, "qdrant" | "log">): FactCollector {
  const versions = new Map<string, Promise<string | undefined>>();
  const aliasLists = new Map<string, Promise<AliasDescription[]>>();

  const versionOf = (host: string): Promise<string | undefined> => {
    let found = versions.get(host);
    if (found === undefined) {
      found = deps.qdrant.getVersion(host).catch((err: unknown) => {
        if (isFatal(err)) throw err;
        deps.log.warn(
          `Cannot read the Qdrant version of ${host} (the backup metadata will not name it): ${describeError(err)}`,
        );
        return undefined;
      });
      versions.set(host, found);
    }
    return found;
  };

  const aliasesOf = (host: string): Promise<AliasDescription[]> => {
    let found = aliasLists.get(host);
    if (found === undefined) {
      found = deps.qdrant.listAliases(host);
      // A failure is not cached: the next collection on that host asks again.
      found.catch(() => aliasLists.delete(host));
      aliasLists.set(host, found);
    }
    return found;
  };

  return {
    versionOf,
    aliasesOf,
    collect: async (host, collection) => {
      const [info, aliases, qdrantVersion] = await Promise.all([
        deps.qdrant.getCollection(host, collection),
        aliasesOf(host),
        versionOf(host),
      ]);
      const pointsCount = await deps.qdrant.countPoints(host, collection);
      return {
        qdrantVersion,
        pointsCount,
        status: info.status,
        collectionConfig: info.config,
        aliases: aliases
          .filter((a) => a.collection_name === collection)
          .map((a) => a.alias_name)
          .sort(),
      };
    },
  };
}

/**
 * The peer id in a collection snapshot's name, `{collection}-{peer_id}-{YYYY-MM-DD-HH-MM-SS}.snapshot` (Qdrant ≥ 1.0
 * names every collection snapshot so, standalone or not): no extra request. Undefined for any other shape.
 */
export function peerIdOfSnapshot(collection: string, name: string): number | undefined {
  const head = `${collection}-`;
  if (!name.startsWith(head)) return undefined;
  const m = /^(\d{1,16})-\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}\.snapshot$/.exec(name.slice(head.length));
  const id = m ? Number(m[1]) : NaN;
  return Number.isSafeInteger(id) && id > 0 ? id : undefined;
}

/** The metadata of a collection snapshot. */
export function buildCollectionMetadata(args: {
  host: string;
  collection: string;
  snapshot: string;
  facts: CollectionFacts;
  /** Bytes of the archive. */
  size: number;
  /** SHA-256, lowercase hex, when known. */
  sha256: string | undefined;
  createdAt: Date;
}): BackupMetadata {
  const { facts } = args;
  const peerId = peerIdOfSnapshot(args.collection, args.snapshot);
  return {
    format: METADATA_FORMAT,
    kind: "collection",
    snapshot: args.snapshot,
    collection: args.collection,
    source: { host: args.host, ...(peerId !== undefined ? { peerId } : {}) },
    ...(facts.qdrantVersion !== undefined ? { qdrantVersion: facts.qdrantVersion } : {}),
    pointsCount: facts.pointsCount,
    ...(facts.pointsCountAfter !== undefined ? { pointsCountAfter: facts.pointsCountAfter } : {}),
    ...(facts.collectionConfig !== undefined ? { collectionConfig: facts.collectionConfig } : {}),
    aliases: facts.aliases,
    size: args.size,
    ...(args.sha256 !== undefined ? { sha256: args.sha256.toLowerCase() } : {}),
    createdAt: args.createdAt.toISOString(),
  };
}
