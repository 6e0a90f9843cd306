// Helpers for backup-set tests: a store that records the order of its writes, and manifests read through the SDK view.
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { Ajv } from "ajv";
import { parseManifest, type Manifest } from "../../../src/backup/sets/manifest.js";
import type { Deps } from "../../../src/backup/task/deps.js";
import type { SnapshotStore } from "../../../src/store/types.js";

/** The bash tool's schema-2 description of a manifest. */
export const BASH_SCHEMA_2 = JSON.parse(
  readFileSync(new URL("../../support/sets/bash-manifest-schema-2.json", import.meta.url), "utf8"),
) as object;

/** Whether `text` validates against the bash tool's schema 2 (the errors otherwise). */
export function bashSchemaErrors(text: string): string | undefined {
  const ajv = new Ajv({ strict: false });
  return ajv.validate(BASH_SCHEMA_2, JSON.parse(text)) ? undefined : JSON.stringify(ajv.errors);
}

/** One store operation, with the time it ended (performance.now(), comparable to the emulator's request log). */
export interface StoreOp {
  op: "put" | "head" | "delete";
  key: string;
  at: number;
}

/** `deps` whose store records every put, head and delete in `ops`, as each one finishes. */
export function recordingStore<D extends Deps>(deps: D, ops: StoreOp[]): D {
  const wrap = (inner: SnapshotStore): SnapshotStore => ({
    ...inner,
    listKeys: (p) => inner.listKeys(p),
    listObjects: (p) => inner.listObjects(p),
    listPrefixes: (p) => inner.listPrefixes(p),
    get: (k, o) => inner.get(k, o),
    put: async (k, b, o) => {
      const n = await inner.put(k, b, o);
      ops.push({ op: "put", key: k, at: performance.now() });
      return n;
    },
    head: async (k) => {
      const h = await inner.head(k);
      ops.push({ op: "head", key: k, at: performance.now() });
      return h;
    },
    delete: async (k) => {
      await inner.delete(k);
      ops.push({ op: "delete", key: k, at: performance.now() });
    },
  });
  let store: SnapshotStore | undefined;
  return { ...deps, store: () => (store ??= wrap(deps.store())) };
}

/** Parses a manifest's bytes (throws when missing or invalid). */
export function manifestOf(bytes: Buffer | undefined): Manifest {
  if (bytes === undefined) throw new Error("no manifest");
  return parseManifest(bytes);
}
