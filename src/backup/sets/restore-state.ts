/**
 * The resume state of a set's restore, as the bash tool keeps it: `shard_recovery_history` in the state directory
 * (`target,collection,set_id,shard_id,ok`, one line per shard recovered) and its durable copy per (collection, set)
 * in the bucket, `restore_state/{c}/{set}.csv`, so that a restore in a fresh pod resumes where the last one died.
 * The target is the first restore host (QDRANT_RESTORE_HOSTS[0]), as in the bash tool. Before its first shard is
 * recovered, a restore records `target,collection,set_id,-,started`, so that a run killed before any shard's line
 * was written (the node may have recovered shards the run never heard of) is still resumed, not refused as a
 * collection holding data; the bash tool's resume test (any line `target,c,set,`) reads it the same way.
 */
import { Readable } from "node:stream";
import { restoreStateKey, RESTORE_STATE_PREFIX } from "../../core/set-keys.js";
import { formatCsvRow, parseCsvRows } from "../../state/csv.js";
import type { Row } from "../../state/files.js";
import { describeError, isFatal } from "../task/items.js";
import type { Deps } from "../task/deps.js";

type HistoryRow = Row<"shardRecoveryHistory">;
type StateDeps = Pick<Deps, "state" | "store" | "log">;

const rowText = (rows: readonly HistoryRow[]) =>
  rows.map((r) => formatCsvRow([r.target, r.collection, r.set, r.shard, r.status])).join("");

function parseRows(text: string, file: string): HistoryRow[] {
  return parseCsvRows(text, { file, columns: 5 }).map(([target, collection, set, shard, status]) => ({
    target: target!,
    collection: collection!,
    set: set!,
    shard: shard!,
    status: status!,
  }));
}

const same = (a: HistoryRow, b: HistoryRow) =>
  a.target === b.target &&
  a.collection === b.collection &&
  a.set === b.set &&
  a.shard === b.shard &&
  a.status === b.status;

/**
 * Merges the durable copy of (collection, set) into the local history (lines the local file lacks are appended).
 * A missing copy is a fresh start; one that cannot be read is warned about loudly and the restore goes on from the
 * local history alone.
 */
export async function mergeDurableState(deps: StateDeps, collection: string, setId: string): Promise<void> {
  const key = restoreStateKey(collection, setId);
  let text: string | undefined;
  try {
    const found = await deps.store().get(key);
    if (found === undefined) return;
    const chunks: Buffer[] = [];
    for await (const chunk of found.body) chunks.push(Buffer.from(chunk as Uint8Array));
    text = Buffer.concat(chunks).toString("utf8");
  } catch (err) {
    if (isFatal(err) && !isStoreError(err)) throw err;
    deps.log.warn(
      `WARNING: the resume state ${key} cannot be read (${describeError(err)}); going on from the local shard_recovery_history alone`,
    );
    return;
  }
  const remote = parseRows(text, key);
  const local = await deps.state.read("shardRecoveryHistory");
  const missing = remote.filter((r) => !local.some((l) => same(l, r)));
  if (missing.length > 0) {
    await deps.state.appendMany("shardRecoveryHistory", missing);
    const shards = missing.filter((r) => r.status === "ok").length;
    deps.log.info(
      `Resume state ${key}: ${shards > 0 ? `${shards} shard(s) already recovered` : "a restore begun"} by an earlier run`,
    );
  }
}

/** The shard ids recorded `ok` for (target, collection, set). */
export async function recoveredShards(
  deps: Pick<Deps, "state">,
  target: string,
  collection: string,
  setId: string,
): Promise<Set<number>> {
  const rows = await deps.state.read("shardRecoveryHistory");
  return new Set(
    rows
      .filter((r) => r.target === target && r.collection === collection && r.set === setId && r.status === "ok")
      .map((r) => Number(r.shard)),
  );
}

/** True when the history holds any line of (target, collection, set): a restore of it was under way. */
export async function isResumable(deps: Pick<Deps, "state">, target: string, collection: string, setId: string) {
  const rows = await deps.state.read("shardRecoveryHistory");
  return rows.some((r) => r.target === target && r.collection === collection && r.set === setId);
}

/**
 * Records, once, that a restore of (target, collection, set) has begun (`-,started`), mirrored like a shard's line:
 * called before the first shard recovery is sent, so that a run killed at any later point is resumed.
 */
export async function recordStarted(deps: StateDeps, target: string, collection: string, setId: string) {
  if (await isResumable(deps, target, collection, setId)) return;
  await appendAndMirror(deps, { target, collection, set: setId, shard: "-", status: "started" });
}

/** Records shard `shard` recovered, then mirrors the (collection, set) lines of every target (a failed mirror warns). */
export async function recordShard(
  deps: StateDeps,
  target: string,
  collection: string,
  setId: string,
  shard: number,
): Promise<void> {
  await appendAndMirror(deps, { target, collection, set: setId, shard: String(shard), status: "ok" });
}

async function appendAndMirror(deps: StateDeps, row: HistoryRow): Promise<void> {
  await deps.state.append("shardRecoveryHistory", row);
  await mirror(deps, row.collection, row.set);
}

/** Per state store, per durable copy: the mirror uploads still to come, in order. */
const mirrorQueues = new WeakMap<object, Map<string, Promise<void>>>();

/**
 * Uploads the (collection, set) lines of the local history to their durable copy. Uploads of one copy run one after
 * the other, each reading the history when its turn comes: shards finishing at once on several peers never leave an
 * upload that read fewer lines landing last (a lost line would make a new pod recover that shard again).
 */
function mirror(deps: StateDeps, collection: string, setId: string): Promise<void> {
  const key = restoreStateKey(collection, setId);
  let queues = mirrorQueues.get(deps.state);
  if (queues === undefined) mirrorQueues.set(deps.state, (queues = new Map()));
  const upload = (queues.get(key) ?? Promise.resolve()).then(async () => {
    const rows = (await deps.state.read("shardRecoveryHistory")).filter(
      (r) => r.collection === collection && r.set === setId,
    );
    await putText(deps, key, rowText(rows), "mirror");
  });
  const settled = upload.catch(() => undefined);
  queues.set(key, settled);
  void settled.then(() => {
    if (queues.get(key) === settled) queues.delete(key);
  });
  return upload;
}

/**
 * Before a collection is (re)created: this target's lines of the collection are removed from the local history and
 * from every durable copy under `restore_state/{c}/` (a copy left empty is deleted). Other targets' lines stay.
 */
export async function purgeTarget(deps: StateDeps, target: string, collection: string): Promise<void> {
  const local = await deps.state.read("shardRecoveryHistory");
  const keep = local.filter((r) => !(r.target === target && r.collection === collection));
  if (keep.length !== local.length)
    await deps.state.replace("shardRecoveryHistory", Buffer.from(rowText(keep), "utf8"));
  const store = deps.store();
  for (const key of await store.listKeys(`${RESTORE_STATE_PREFIX}/${collection}/`)) {
    if (!key.endsWith(".csv")) continue;
    const found = await store.get(key);
    if (found === undefined) continue;
    const chunks: Buffer[] = [];
    for await (const chunk of found.body) chunks.push(Buffer.from(chunk as Uint8Array));
    const rows = parseRows(Buffer.concat(chunks).toString("utf8"), key);
    const left = rows.filter((r) => r.target !== target);
    if (left.length === rows.length) continue;
    if (left.length === 0) await store.delete(key);
    else await putText(deps, key, rowText(left), "purge");
  }
}

async function putText(deps: StateDeps, key: string, text: string, what: "mirror" | "purge"): Promise<void> {
  const bytes = Buffer.from(text, "utf8");
  try {
    await deps.store().put(key, Readable.from([bytes]), { contentType: "text/csv; charset=utf-8", size: bytes.length });
  } catch (err) {
    if (what === "purge") throw err;
    deps.log.warn(`resume state ${key} not updated (${describeError(err)}); the local shard_recovery_history has it`);
  }
}

function isStoreError(err: unknown): boolean {
  return err instanceof Error && err.name === "UpstreamError";
}
