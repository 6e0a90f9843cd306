/**
 * The sets of one collection as the destination holds them: the manifests under `backup_manifests/{c}/`, each read
 * and validated. A set exists only when its manifest does; a manifest that cannot be read or fails validation makes
 * its set unreadable (retention deletes nothing of it, a restore never picks it).
 */
import { manifestKey, manifestsPrefix, setIdFromManifestKey } from "../../core/set-keys.js";
import { InterruptedError } from "../../errors.js";
import type { SnapshotStore } from "../../store/types.js";
import { describeError } from "../task/items.js";
import { ManifestError, parseManifest, type Manifest } from "./manifest.js";

/** One listed set: its id and manifest key, and the manifest, or why it could not be read. */
export type ListedSet =
  | { readonly id: string; readonly key: string; readonly manifest: Manifest }
  | { readonly id: string; readonly key: string; readonly problem: string };

/** Largest manifest read (a manifest of thousands of shards stays far below it). */
const MAX_MANIFEST_BYTES = 64 * 1024 * 1024;

/**
 * The set ids of `collection`: keys `backup_manifests/{c}/{id}.json` directly under its prefix; anything else there
 * is not a set and is left alone.
 * @throws the store's error when the listing fails (the caller must then delete nothing of this collection)
 */
export async function listSetIds(store: SnapshotStore, collection: string): Promise<string[]> {
  const keys = await store.listKeys(manifestsPrefix(collection));
  const ids = keys.map((k) => setIdFromManifestKey(k, collection)).filter((id): id is string => id !== undefined);
  return [...new Set(ids)];
}

/** Reads and validates the manifest of one set; never throws but for an interrupt. */
export async function readSet(store: SnapshotStore, collection: string, id: string): Promise<ListedSet> {
  const key = manifestKey(collection, id);
  try {
    const found = await store.get(key);
    if (found === undefined) return { id, key, problem: `${key} is gone (deleted while this run read it)` };
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of found.body) {
      const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
      size += buf.length;
      if (size > MAX_MANIFEST_BYTES) {
        found.body.destroy();
        return { id, key, problem: `${key} is larger than ${MAX_MANIFEST_BYTES} bytes: not a manifest` };
      }
      chunks.push(buf);
    }
    const manifest = parseManifest(Buffer.concat(chunks));
    if (manifest.collection !== collection)
      return { id, key, problem: `${key} names collection ${JSON.stringify(manifest.collection)}` };
    return { id, key, manifest };
  } catch (err) {
    if (err instanceof InterruptedError) throw err;
    const why = err instanceof ManifestError ? `invalid manifest: ${err.why}` : `cannot read it: ${describeError(err)}`;
    return { id, key, problem: `${key}: ${why}` };
  }
}

/** True when the set's manifest was read and is valid. */
export function isReadable(set: ListedSet): set is Extract<ListedSet, { manifest: Manifest }> {
  return "manifest" in set;
}
