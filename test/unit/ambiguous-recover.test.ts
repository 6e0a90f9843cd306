// A recovery whose failure is ambiguous (src/backup/ambiguous-recover.ts), against a scripted node: adopted when the
// settled collection matches the backup metadata, never sent again while a shard is still recovering, sent again once
// the collection settled without matching.
import { describe, expect, it } from "vitest";
import { recoverResolved } from "../../src/backup/ambiguous-recover.js";
import { METADATA_FORMAT, type BackupMetadata } from "../../src/backup/metadata.js";
import { buildConfig } from "../../src/config.js";
import { createLogger } from "../../src/log.js";
import { Redactor } from "../../src/lib/redact.js";
import { QdrantError } from "../../src/qdrant/errors.js";
import type { CollectionClusterInfo } from "../../src/qdrant/cluster-types.js";
import type { CollectionInfo } from "../../src/qdrant/types.js";

const HOST = "http://q:6333";
const lost = () => new QdrantError("http", "PUT", HOST, "/collections/c/snapshots/recover", 504, "Gateway Time-out");

/** A node whose collection `c` shows, poll after poll, the states and counts of `script` (the last one repeats). */
function scriptedNode(script: { state: string; count: number }[]) {
  let poll = 0;
  const now = () => script[Math.min(poll, script.length - 1)]!;
  return {
    polls: () => poll,
    qdrant: {
      getCollectionCluster: (): Promise<CollectionClusterInfo> => {
        const seen = now();
        poll++;
        return Promise.resolve({
          peer_id: "1",
          local_shards: [{ shard_id: 0, peer_id: "1", state: seen.state }],
          remote_shards: [],
          shard_transfers: [],
          resharding_operations: 0,
        });
      },
      getCollection: (): Promise<CollectionInfo> => Promise.resolve({ status: "green" }),
      countPoints: (): Promise<number> => Promise.resolve(script[Math.min(poll - 1, script.length - 1)]!.count),
    },
  };
}

function deps(node: ReturnType<typeof scriptedNode>, verifyTimeout = "2") {
  const warnings: string[] = [];
  const config = buildConfig({ QDRANT_VERIFY_TIMEOUT: verifyTimeout, QDRANT_RETRIES: "2" }, { cwd: "/tmp" });
  const log = createLogger({
    level: "normal",
    sink: (line) => void (line.includes("WARNING: ") && warnings.push(line)),
    redactor: new Redactor(),
  });
  return { warnings, d: { config, log, signal: new AbortController().signal, qdrant: node.qdrant } };
}

const meta: BackupMetadata = {
  format: METADATA_FORMAT,
  kind: "collection",
  snapshot: "c-1.snapshot",
  collection: "c",
  source: { host: "http://src:6333" },
  pointsCount: 40,
  aliases: [],
  size: 1,
  createdAt: "2026-03-01T10:00:00.000Z",
};

describe("a recovery whose answer was lost", () => {
  it("is adopted, not sent again, once the collection has finished recovering with the backup's point count", async () => {
    const node = scriptedNode([
      { state: "Partial", count: 0 },
      { state: "Partial", count: 10 },
      { state: "Active", count: 40 },
    ]);
    const { d, warnings } = deps(node);
    let sent = 0;
    const out = await recoverResolved(d, HOST, "c", meta, () =>
      ++sent === 1 ? Promise.reject(lost()) : Promise.resolve("ok"),
    );
    expect(out).toBe("ok");
    expect(sent).toBe(1);
    expect(node.polls()).toBe(3);
    expect(warnings.at(-1)).toContain(
      "c on http://q:6333 settled with 40 points, as the backup metadata of c-1.snapshot says: the recovery whose answer was lost is adopted, not sent again",
    );
  });

  it("is not sent again while a shard is still recovering at QDRANT_VERIFY_TIMEOUT: the item fails, naming the state", async () => {
    const node = scriptedNode([{ state: "Partial", count: 0 }]);
    const { d } = deps(node, "1");
    let sent = 0;
    const err: unknown = await recoverResolved(d, HOST, "c", meta, () => (++sent, Promise.reject(lost()))).catch(
      (e: unknown) => e,
    );
    expect(sent).toBe(1);
    expect(err).toBeInstanceOf(QdrantError);
    expect((err as QdrantError).message).toMatch(
      /504 Gateway Time-out; c on http:\/\/q:6333 is still recovering \(local shards 0:Partial\) after 1 s \(QDRANT_VERIFY_TIMEOUT\), so the recovery is not sent again now/,
    );
  });

  it("is sent again once the collection settled without matching the backup metadata (and only then)", async () => {
    const node = scriptedNode([{ state: "Active", count: 7 }]);
    const { d, warnings } = deps(node, "1");
    let sent = 0;
    const out = await recoverResolved(d, HOST, "c", meta, () =>
      ++sent === 1 ? Promise.reject(lost()) : Promise.resolve("ok"),
    );
    expect(out).toBe("ok");
    expect(sent).toBe(2);
    expect(warnings.at(-1)).toContain(
      "settled (green, 7 points, local shards 0:Active) without matching the backup metadata: recovering it again (retry 1 of 2)",
    );
  });

  it("a failure that is not ambiguous (500) is thrown at once, without looking", async () => {
    const node = scriptedNode([{ state: "Active", count: 40 }]);
    const { d } = deps(node);
    const final = new QdrantError("http", "PUT", HOST, "/collections/c/snapshots/recover", 500, "boom");
    await expect(recoverResolved(d, HOST, "c", meta, () => Promise.reject(final))).rejects.toBe(final);
    expect(node.polls()).toBe(0);
  });
});
