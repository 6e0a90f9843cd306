// Broken restores that still report green: a replica left Partial/Dead after a shard recovery (qdrant#7851), exact
// counts short for a few reads, payload reads failing for a region of points.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type Emulator } from "../support/emulator/index.js";
import { seedCollection } from "../support/emulator/seed.js";
import { call } from "../support/emulator/test-http.js";
import { expectError, expectOk } from "../support/emulator/validators.js";

let clu: Emulator;
let solo: Emulator;

interface ClusterView {
  local_shards: { shard_id: number; state: string }[];
  remote_shards: { shard_id: number; peer_id: number; state: string }[];
}
const view = async (url: string, c: string): Promise<ClusterView> =>
  expectOk((await call(url, "GET", `/collections/${c}/cluster`)).json) as ClusterView;
/** shard → "peer:state" of every replica, from one peer's view. */
const replicas = async (url: string, c: string, me: number): Promise<string[][]> => {
  const v = await view(url, c);
  const out: string[][] = [];
  for (const s of v.local_shards) (out[s.shard_id] ??= []).push(`${me}:${s.state}`);
  for (const s of v.remote_shards) (out[s.shard_id] ??= []).push(`${s.peer_id}:${s.state}`);
  return out.map((x) => x.sort());
};
const status = async (url: string, c: string): Promise<unknown> =>
  (expectOk((await call(url, "GET", `/collections/${c}`)).json) as { status: string }).status;
const count = async (url: string, c: string): Promise<number> =>
  (
    expectOk((await call(url, "POST", `/collections/${c}/points/count`, { body: { exact: true } })).json) as {
      count: number;
    }
  ).count;

/** Recover shard `s` of `c` on `url` from a fresh snapshot of itself (by file name). */
async function recoverShard(url: string, c: string, s: number): Promise<void> {
  const snap = expectOk((await call(url, "POST", `/collections/${c}/shards/${s}/snapshots?wait=true`)).json) as {
    name: string;
  };
  const r = await call(url, "PUT", `/collections/${c}/shards/${s}/snapshots/recover?wait=true`, {
    body: { location: snap.name },
  });
  expect(expectOk(r.json)).toBe(true);
}

beforeAll(async () => {
  // 3 peers, 1 shard, rf 2: the shard lives on the two lowest peer ids, the third is free.
  clu = await startEmulator({ cluster: { peers: 3, shards: 1, replicationFactor: 2 }, peerIds: [10, 20, 30] });
  solo = await startEmulator();
  await seedCollection(clu.urls[0]!, "c", { points: 40, dim: 4 });
  await seedCollection(solo.urls[0]!, "c", { points: 40, dim: 4, shards: 2 });
});
afterEach(() => {
  clu.faults.clear();
  solo.faults.clear();
});
afterAll(async () => {
  await Promise.allSettled([clu.stop(), solo.stop()]);
});

describe("faults.afterShardRecover", () => {
  it("leaves a surplus Partial replica on a free peer for N cluster reads, the collection green meanwhile", async () => {
    const u = clu.urls[0]!;
    clu.faults.afterShardRecover({ collection: "c", shard: 0, leftover: { state: "Partial", polls: 2 } });
    await recoverShard(u, "c", 0);
    expect(await replicas(u, "c", 10)).toEqual([["10:Active", "20:Active", "30:Partial"]]);
    expect(await replicas(clu.urls[2]!, "c", 30)).toEqual([["10:Active", "20:Active", "30:Partial"]]);
    expect(await status(u, "c")).toBe("green");
    expect(await count(u, "c")).toBe(40);
    expect(await replicas(u, "c", 10)).toEqual([["10:Active", "20:Active"]]);
  });

  it("lingers until the rule is removed when no poll count is given; fires only `times` times", async () => {
    const u = clu.urls[1]!;
    const remove = clu.faults.afterShardRecover({ leftover: { state: "Dead" }, times: 1 });
    await recoverShard(u, "c", 0);
    for (let i = 0; i < 3; i++) expect(await replicas(u, "c", 20)).toEqual([["10:Active", "20:Active", "30:Dead"]]);
    remove();
    expect(await replicas(u, "c", 20)).toEqual([["10:Active", "20:Active"]]);
    await recoverShard(u, "c", 0);
    expect(await replicas(u, "c", 20)).toEqual([["10:Active", "20:Active"]]);
  });

  it("standalone (no free peer): the recovered replica itself stays Partial, then turns Active", async () => {
    const u = solo.urls[0]!;
    const me = solo.nodes[0]!.peerId;
    solo.faults.afterShardRecover({ shard: 1, leftover: { state: "Partial", polls: 1 } });
    await recoverShard(u, "c", 0);
    await recoverShard(u, "c", 1);
    expect(await replicas(u, "c", me)).toEqual([[`${me}:Active`], [`${me}:Partial`]]);
    expect(await status(u, "c")).toBe("green");
    expect(await replicas(u, "c", me)).toEqual([[`${me}:Active`], [`${me}:Active`]]);
  });

  it("countShort: exact counts come back short for N reads after the recovery, then right", async () => {
    const u = clu.urls[0]!;
    clu.faults.afterShardRecover({ collection: "c", countShort: { by: 7, reads: 2 } });
    expect(await count(u, "c")).toBe(40);
    await recoverShard(u, "c", 0);
    expect(await status(u, "c")).toBe("green");
    expect([await count(u, "c"), await count(clu.urls[1]!, "c"), await count(u, "c")]).toEqual([33, 33, 40]);
    expect(() => clu.faults.afterShardRecover({ countShort: { by: 0, reads: 1 } })).toThrow(/positive integers/);
  });
});

describe("faults.breakPayloads", () => {
  const scroll = (url: string, body: object) => call(url, "POST", "/collections/c/points/scroll", { body });
  const query = (url: string, body: object) => call(url, "POST", "/collections/c/points/query", { body });

  it("fails payload reads over a range of ids with Qdrant's error shape while the collection stays green", async () => {
    const u = clu.urls[0]!;
    clu.faults.breakPayloads("c", (p) => typeof p.id === "number" && p.id >= 10 && p.id < 20);
    const all = await scroll(u, { limit: 100, with_payload: true });
    expect(all.status).toBe(500);
    expect(expectError(all.json)).toMatch(/^Service internal error: Failed to read payload of point 1\d: /);
    expect((await scroll(u, { limit: 9, with_payload: true })).status).toBe(200);
    expect((await scroll(u, { limit: 100, offset: 20, with_payload: true })).status).toBe(200);
    expect((await scroll(u, { limit: 100, with_payload: false })).status).toBe(200);
    expect((await query(u, { query: { sample: "random" }, limit: 100, with_payload: true })).status).toBe(500);
    expect((await query(u, { query: { sample: "random" }, limit: 100 })).status).toBe(200);
    expect((await call(u, "POST", "/collections/c/points", { body: { ids: [15] } })).status).toBe(500);
    expect(await count(u, "c")).toBe(40);
    expect(await status(u, "c")).toBe("green");
  });

  it("breaks one shard's points (with a custom status and message) until removed; other collections read fine", async () => {
    const u = solo.urls[0]!;
    const remove = solo.faults.breakPayloads("c", (p) => p.shard === 1, { status: 503, error: "Service unavailable" });
    const broken = await query(u, { query: { sample: "random" }, limit: 40, with_payload: ["n"] });
    expect(broken.status).toBe(503);
    expect(expectError(broken.json)).toBe("Service unavailable");
    await seedCollection(u, "other", { points: 5, dim: 4 });
    expect((await call(u, "POST", "/collections/other/points/scroll", { body: { with_payload: true } })).status).toBe(
      200,
    );
    remove();
    expect((await query(u, { query: { sample: "random" }, limit: 40, with_payload: true })).status).toBe(200);
  });
});
