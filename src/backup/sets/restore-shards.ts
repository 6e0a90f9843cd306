/**
 * Recovering a set's shards on the target, in manifest order, each on its placed peer (lib/host-scheduler.ts bounds
 * the calls per peer and in all): by presigned URL with Qdrant's checksum when the manifest has one, or by upload
 * when the snapshot's name is longer than Qdrant's temporary file name allows (91 UTF-8 bytes) or
 * QDRANT_RECOVER_VIA=upload. Always waited for; only `ok` is success. Each success is recorded at once in
 * shard_recovery_history and mirrored to `restore_state/{c}/{set}.csv`; shards recorded there are not recovered again.
 * A recovery whose answer was lost is never sent again: the peer is looked at (shard-settle.ts).
 */
import { createHostScheduler } from "../../lib/host-scheduler.js";
import { QdrantError } from "../../qdrant/errors.js";
import { recoverFromStore } from "../recover-source.js";
import { describeError, isFatal, settleAll } from "../task/items.js";
import type { Deps } from "../task/deps.js";
import type { Manifest } from "./manifest.js";
import { recordShard } from "./restore-state.js";
import { settleLostShardRecovery } from "./shard-settle.js";

/** The longest snapshot name Qdrant's URL recovery can stage (its temporary file name repeats it; NAME_MAX is 255). */
export const RESTORE_NAME_MAX_BYTES = 91;

export interface ShardsOutcome {
  recovered: number;
  skipped: number;
  /** One line per shard that failed. */
  failures: string[];
}

export async function recoverShards(
  deps: Deps,
  target: string,
  m: Manifest,
  placement: ReadonlyMap<number, string>,
  done: ReadonlySet<number>,
): Promise<ShardsOutcome> {
  const { config, log } = deps;
  const out: ShardsOutcome = { recovered: 0, skipped: 0, failures: [] };
  const scheduler = createHostScheduler({
    perHost: config.perHostConcurrency,
    total: config.concurrency,
    signal: deps.signal,
    fatal: isFatal,
  });
  await settleAll(
    m.shards.map(async (shard, index) => {
      if (done.has(shard.id)) {
        out.skipped++;
        log.info(`${m.collection} shard ${shard.id}: already recovered from set ${m.backup_set_id} (resume)`);
        return;
      }
      const peer = placement.get(shard.id)!;
      const long = Buffer.byteLength(shard.snapshot_name) > RESTORE_NAME_MAX_BYTES;
      const via = long ? "upload" : config.recoverVia;
      const checksum = shard.checksum || shard.sha256;
      if (!checksum)
        log.warn(
          `${m.collection} shard ${shard.id}: the manifest has no checksum; recovering WITHOUT integrity verification`,
        );
      try {
        // The shard's line is written inside the peer's slot: with QDRANT_CONCURRENCY=1 a restore is strictly
        // recover, record, recover, so a killed run leaves at most the shard in flight unrecorded.
        await scheduler.run(peer, index, async () => {
          const outcome = await (async () => {
            try {
              return await recoverFromStore(
                deps,
                peer,
                {
                  collection: m.collection,
                  name: shard.snapshot_name,
                  key: shard.s3_key,
                  shard: shard.id,
                  ...(checksum ? { sha256: checksum } : {}),
                },
                { via, wait: true },
              );
            } catch (err) {
              if (!(err instanceof QdrantError) || !err.ambiguous || deps.signal.aborted) throw err;
              return await lookAfterLostAnswer(deps, peer, m.collection, shard.id, err);
            }
          })();
          if (outcome !== "ok") throw new Error(`${peer} answered ${outcome}, not ok`);
          await recordShard(deps, target, m.collection, m.backup_set_id, shard.id);
        });
      } catch (err) {
        if (isFatal(err) || deps.signal.aborted) throw err;
        const line = `shard ${shard.id} on ${peer}: ${describeError(err)}`;
        log.error(`Recovery of ${m.collection} ${line}`);
        out.failures.push(line);
        return;
      }
      out.recovered++;
      log.info(
        `Recovered ${m.collection} shard ${shard.id} on ${peer} from ${shard.snapshot_name} (${via === "url" ? "by URL" : "by upload"}${long && config.recoverVia === "url" ? ", the name is too long for a URL recovery" : ""}${checksum ? ", checksum verified by Qdrant" : ""})`,
      );
    }),
  );
  return out;
}

/** Resolves a lost answer by looking: settled Active is `ok`; anything else fails the shard with both reasons. */
async function lookAfterLostAnswer(
  deps: Deps,
  peer: string,
  collection: string,
  shard: number,
  err: QdrantError,
): Promise<"ok"> {
  deps.log.warn(
    `${err.message}; the recovery of ${collection} shard ${shard} may have happened: looking at ${peer}, not sending it again`,
  );
  const settled = await settleLostShardRecovery(deps, peer, collection, shard);
  if (settled.kind === "failed")
    throw new Error(`${err.message}; the answer was lost and ${settled.why}`, { cause: err });
  deps.log.warn(
    `${collection} shard ${shard} settled Active on ${peer}: the recovery whose answer was lost is taken as done (the verification judges its data)`,
  );
  return "ok";
}
