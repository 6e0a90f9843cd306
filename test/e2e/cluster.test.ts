// Cluster discovery through the built CLI: three peers on one port (like pods behind a headless service), one of
// them given as the source; every peer holding shards of a collection is snapshotted exactly once (bash defect 5),
// at its URI from /cluster with the p2p port replaced by QDRANT_HTTP_PORT (bash defect 4).
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { runCli } from "../support/cli.js";
import { startEmulator, type Emulator } from "../support/emulator/index.js";
import { isObject } from "../support/emulator/json.js";
import { qdrantCall, seedCollection } from "../support/emulator/seed.js";
import { createTestBucket } from "../support/s3/client.js";
import { makeTempDir } from "../support/tmp.js";
import { expectExit, expectLogLines, parseJsonSummary, plainLines, readStateText, s3Storage } from "./harness.js";
import { randomApiKey } from "./rig.js";
import { assertNoSecrets } from "./secret-scan.js";

const s3 = inject("s3");
const apiKey = randomApiKey("cluster");
let emu: Emulator;
let dir = "";
let cleanup: () => Promise<void> = async () => undefined;
/** Collection → indexes (into emu.nodes) of the peers holding at least one of its shards. */
const holders = new Map<string, number[]>();
const COLLECTIONS = {
  docs: { shards: 3, rf: 2 }, // every peer holds two shards: the bash tool snapshotted each remote peer twice
  pair: { shards: 2, rf: 1 },
  solo: { shards: 1, rf: 1 },
} as const;

/** The peers holding shards of `collection`, from every peer's own view (GET /collections/{c}/cluster). */
async function findHolders(collection: string): Promise<number[]> {
  const out: number[] = [];
  for (const [index, node] of emu.nodes.entries()) {
    const info = await qdrantCall(node.url, "GET", `/collections/${collection}/cluster`, apiKey);
    if (!isObject(info) || !Array.isArray(info["local_shards"])) throw new Error("bad cluster info");
    if (info["local_shards"].length > 0) out.push(index);
  }
  return out;
}

beforeAll(async () => {
  const bucket = await createTestBucket(s3, "cluster");
  emu = await startEmulator({
    cluster: { peers: 3, shards: 3, replicationFactor: 2 },
    apiKey,
    storage: s3Storage(s3, bucket),
  });
  for (const [name, { shards, rf }] of Object.entries(COLLECTIONS)) {
    await seedCollection(emu.urls[0] ?? "", name, { points: 40, dim: 4, shards, rf, apiKey });
    holders.set(name, await findHolders(name));
  }
  ({ dir, cleanup } = await makeTempDir("cluster"));
});

afterAll(async () => {
  await emu?.stop();
  await cleanup();
});

describe("create_snap with GET_PEERS_FROM_CLUSTER_INFO=true", () => {
  it("peers share one port on their own loopback addresses, and their URIs carry the p2p port", async () => {
    expect(new Set(emu.nodes.map((n) => n.port)).size).toBe(1);
    const cluster = await qdrantCall(emu.urls[0] ?? "", "GET", "/cluster", apiKey);
    expect(JSON.stringify(cluster)).toContain(":6335/");
    expect(holders.get("docs")).toEqual([0, 1, 2]);
    expect(holders.get("solo")).toHaveLength(1);
  });

  it("snapshots each collection once on every peer holding it, and records the peers' HTTP URLs", async () => {
    const port = String(emu.nodes[0]?.port ?? 0);
    const env = {
      QDRANT_API_KEY: apiKey,
      QDRANT_SOURCE_HOSTS: emu.urls[0] ?? "",
      GET_PEERS_FROM_CLUSTER_INFO: "true",
      QDRANT_HTTP_PORT: port,
    };
    emu.resetRequests();
    const r = await runCli(["create_snap", "--json"], { env, cwd: dir });
    await assertNoSecrets({ stdout: r.stdout, stderr: r.stderr, stateDir: dir, secrets: [apiKey, s3.secretKey] });
    expectExit(r, 0);
    expectLogLines(r.stderr);
    expect(r.stderr).toMatch(/Discovered 3 peers/);
    expect(r.stderr).not.toMatch(/:6335/);

    const expectedCount = [...holders.values()].reduce((n, h) => n + h.length, 0);
    const summary = parseJsonSummary(r.stdout);
    expect(summary.tasks[0]).toMatchObject({ task: "create_snap", done: expectedCount, failed: 0 });

    // The emulator's request log: one POST …/snapshots per (collection, holding peer), none elsewhere.
    const posts = emu.requests().filter((q) => q.method === "POST" && /^\/collections\/[^/]+\/snapshots$/.test(q.path));
    expect(posts.every((q) => q.status === 200)).toBe(true);
    for (const collection of Object.keys(COLLECTIONS)) {
      const nodes = posts
        .filter((q) => q.path === `/collections/${collection}/snapshots`)
        .map((q) => q.node)
        .sort();
      expect({ collection, nodes }).toEqual({ collection, nodes: holders.get(collection) });
    }
    expect(posts).toHaveLength(expectedCount);
    // Discovery asks the given peer only.
    expect(
      emu
        .requests()
        .filter((q) => q.path === "/cluster")
        .map((q) => q.node),
    ).toEqual([0]);

    const rows = plainLines(await readStateText(dir, "snapshots")).map((l) => l.split(","));
    expect(rows).toHaveLength(expectedCount);
    for (const collection of Object.keys(COLLECTIONS)) {
      const mine = rows.filter((row) => row[1] === collection);
      const want = (holders.get(collection) ?? []).map((i) => emu.nodes[i]);
      expect(mine.map((row) => row[0]).sort()).toEqual(want.map((n) => n?.url).sort());
      for (const [host, , name] of mine) {
        const node = emu.nodes.find((n) => n.url === host);
        expect(host).toBe(`http://${node?.host}:${port}`);
        expect(name).toMatch(new RegExp(`^${collection}-${node?.peerId}-[-0-9]+\\.snapshot$`));
      }
    }
  });
});
