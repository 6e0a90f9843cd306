/**
 * A drill from legacy snapshots, by recover_snap's machinery: each restore host recovers the chosen snapshots
 * (oldest first, the newest per source peer) into the scratch collection, by URL or upload (backup/recover-source.ts, an
 * ambiguous failure settled by backup/ambiguous-recover.ts), always waiting for the outcome; then each host's scratch is
 * checked against the last snapshot's backup metadata (backup/verify.ts), as QDRANT_VERIFY_AFTER_RECOVER does after a
 * restore. Qdrant recovers a collection snapshot into whatever collection the request names, so the scratch is the
 * backup under another name; the backup's objects are only read.
 */
import { collectionSnapshotKey } from "../../core/keys.js";
import { recoverResolved } from "../ambiguous-recover.js";
import { lookUpMetadata, recoverFromStore } from "../recover-source.js";
import { countRange, rangeText } from "../count-range.js";
import { VerificationError, verifyRecovery } from "../verify.js";
import { describeError, isFatal } from "../task/items.js";
import type { Deps } from "../task/deps.js";
import type { Restored } from "./restored.js";

export async function restoreSnapshots(
  deps: Deps,
  collection: string,
  names: readonly string[],
  scratch: string,
): Promise<Restored> {
  const last = names.at(-1)!;
  const key = collectionSnapshotKey(collection, last);
  const { metadata, problem } = await lookUpMetadata(deps, collection, last);
  const range = metadata ? countRange(metadata, deps.config.verifyTolerancePct) : undefined;
  const out: Restored = {
    passed: false,
    backup: names.join(";"),
    key,
    expected: range ? rangeText(range) : "unknown",
    found: "unknown",
    detail: "",
  };
  // Each snapshot's metadata (its checksum), read once for every restore host.
  const metas = new Map([[last, metadata]]);
  for (const name of names)
    if (!metas.has(name)) metas.set(name, (await lookUpMetadata(deps, collection, name)).metadata);
  const failures: string[] = [];
  const checked: string[] = [];
  for (const host of deps.config.restoreHosts) {
    try {
      for (const name of names) {
        const meta = metas.get(name);
        const snap = {
          collection: scratch,
          name,
          key: collectionSnapshotKey(collection, name),
          ...(meta?.sha256 ? { sha256: meta.sha256 } : {}),
        };
        await recoverResolved(deps, host, scratch, meta, () => recoverFromStore(deps, host, snap, { wait: true }));
      }
      const result = await verifyRecovery(deps, host, scratch, metadata, {
        timeoutMs: deps.config.verifyTimeoutMs,
        tolerancePct: deps.config.verifyTolerancePct,
      });
      if (problem) throw new VerificationError("metadata", `${scratch} on ${host} cannot be checked: ${problem}`);
      checked.push(result.checked === "full" ? `${host} verified` : `${host} green (no backup metadata: status only)`);
    } catch (err) {
      if (isFatal(err) || deps.signal.aborted) throw err;
      failures.push(`${host}: ${describeError(err)}`);
    }
    out.found = await deps.qdrant.countPoints(host, scratch).then(
      (n) => (out.found === "unknown" || out.found === String(n) ? String(n) : `${out.found}/${n}`),
      () => out.found,
    );
  }
  out.passed = failures.length === 0;
  out.detail = out.passed
    ? `recovered and checked as recover_snap does: ${checked.join(", ")}`
    : `FAILED: ${failures.join("; ")}`;
  return out;
}
