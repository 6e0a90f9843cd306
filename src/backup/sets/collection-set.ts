/**
 * One collection's backup set: the name check, the preconditions and the placement (shard-plan.ts), the count before,
 * every shard on its peer in parallel (shard-take.ts), then the count after, the aliases and the version, and the
 * manifest last (manifest-write.ts). Any failure fails the collection alone (one ERROR line naming it and why; it
 * counts as failed, exit 3) and writes no manifest.
 */
import { manifestKey } from "../../core/set-keys.js";
import { shardSnapshotKey } from "../../core/keys.js";
import { settleAll, describeError, isFatal } from "../task/items.js";
import { buildManifest, writeManifest } from "./manifest-write.js";
import type { ManifestShard } from "./manifest.js";
import type { SetRun } from "./set-run.js";
import { planCollection, refuseName, type ShardPlacement } from "./shard-plan.js";
import { ShardNotStartedError, takeShard } from "./shard-take.js";

/** Backs up `collection` as one set of `run`; `order` ranks its shard work among the collections'. */
export async function backUpCollection(run: SetRun, collection: string, order: number): Promise<void> {
  const { deps, tally } = run;
  const fail = (why: string): void => {
    deps.log.error(`Collection ${collection}: no backup set: ${why}`);
    tally.add("failed", { collection, set_id: run.setId, error: why });
  };
  const refused = refuseName(collection);
  if (refused !== undefined) return fail(refused);
  const host = deps.config.sourceHosts[0]!;
  try {
    const [whole, cluster] = await run.calls(() =>
      Promise.all([
        deps.qdrant.getCollectionWhole(host, collection),
        deps.qdrant.getCollectionCluster(host, collection),
      ]),
    );
    const plan = planCollection(whole.result, cluster, run.load);
    if (!plan.ok) return fail(`skipped: ${plan.reason}`);
    if (run.dryRun) return planOnly(run, collection, plan.shards);
    const pointsBefore = await countPoints(run, collection, "before");
    const shards: ManifestShard[] = [];
    let failed: unknown;
    await settleAll(
      plan.shards.map(async (placement) => {
        try {
          shards.push(
            await takeShard(
              {
                deps,
                peers: run.peers,
                collection,
                slotOf: (url) => (work) => run.scheduler.run(url, order, work),
                wanted: () => failed === undefined,
              },
              placement,
            ),
          );
        } catch (err) {
          if (isFatal(err)) throw err;
          if (!(err instanceof ShardNotStartedError))
            failed ??= new Error(`shard ${placement.shard}: ${describeError(err)}`);
        }
      }),
    );
    if (failed !== undefined) return fail(describeError(failed));
    const pointsAfter = await countPoints(run, collection, "after");
    const aliases = await run.calls(() => deps.qdrant.getCollectionAliases(host, collection));
    const manifest = buildManifest({
      setId: run.setId,
      collection,
      qdrantVersion: await run.qdrantVersion(),
      shardingMethod: plan.shardingMethod,
      shardNumber: plan.shardNumber,
      collectionResult: whole.result,
      aliases,
      shards,
      pointsBefore,
      pointsAfter,
      gitRef: deps.config.sets.gitRef,
    });
    const key = await writeManifest(deps.store(), manifest);
    deps.log.info(`Collection ${collection}: set ${run.setId} complete, ${shards.length} shards, manifest ${key}`);
    run.succeeded.push(collection);
    tally.add("done", { collection, set_id: run.setId, manifest: key, shards: String(shards.length) });
  } catch (err) {
    if (isFatal(err)) throw err;
    fail(describeError(err));
  }
}

/** --dry-run: the plan, logged and returned as the item; nothing is created or written. */
function planOnly(run: SetRun, collection: string, shards: ShardPlacement[]): void {
  const lines = shards.map((s) => {
    const url = run.peers.urlOf(s.peer) ?? "(not listed by /cluster)";
    const key = shardSnapshotKey(collection, s.shard, `${collection}-shard-${s.shard}-<time>.snapshot`);
    return `shard ${s.shard} → peer ${s.peer} ${url} → ${key}`;
  });
  const key = manifestKey(collection, run.setId);
  for (const line of lines) run.deps.log.info(`[dry run] ${collection}: ${line}`);
  run.deps.log.info(`[dry run] ${collection}: manifest ${key}, written last`);
  run.tally.add("done", { collection, set_id: run.setId, manifest: key, plan: lines.join("; "), dry_run: "true" });
}

/** The exact point count, or undefined (with a warning) when it cannot be read. */
async function countPoints(run: SetRun, collection: string, when: string): Promise<number | undefined> {
  try {
    return await run.calls(() => run.deps.qdrant.countPoints(run.deps.config.sourceHosts[0]!, collection));
  } catch (err) {
    if (isFatal(err)) throw err;
    run.deps.log.warn(`Cannot count the points of ${collection} ${when} its shards: ${describeError(err)}`);
    return undefined;
  }
}
