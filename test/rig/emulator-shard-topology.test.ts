// Shard snapshots taken on a 3-peer cluster recover into the same shard ids of a collection created on 2 peers or on
// one standalone node, as Qdrant's ShardReplicaSet::restore_snapshot allows: it rewrites the snapshot's peer id,
// forces the replica Active when standalone, and checks neither the source's peers nor its shard layout.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type Emulator } from "../support/emulator/index.js";
import { readAllPoints, type PointRecord } from "../support/emulator/seed.js";
import { readTar, tarToBuffer, type TarEntry } from "../support/emulator/tar.js";
import { call, multipartBody } from "../support/emulator/test-http.js";
import { expectError, expectOk } from "../support/emulator/validators.js";

let src: Emulator;
let two: Emulator;
let solo: Emulator;
let expected: PointRecord[] = [];
/** shard id → { url of the snapshot on its source peer, its sha256, its bytes } */
const shardSnaps = new Map<number, { url: string; checksum: string; bytes: Buffer; name: string }>();
const CONFIG = { vectors: { size: 4, distance: "Cosine" }, shard_number: 3, replication_factor: 2 };

interface ClusterView {
  peer_id: number;
  local_shards: { shard_id: number; points_count: number; state: string }[];
  remote_shards: { shard_id: number; peer_id: number; state: string }[];
}
const clusterView = async (url: string, c: string): Promise<ClusterView> =>
  expectOk((await call(url, "GET", `/collections/${c}/cluster`)).json) as ClusterView;

/** The URL of a peer of `emu` holding a replica of shard `s` of `c`. */
async function holder(emu: Emulator, c: string, s: number): Promise<string> {
  for (const url of emu.urls) if ((await clusterView(url, c)).local_shards.some((x) => x.shard_id === s)) return url;
  throw new Error(`no peer holds ${c}/${s}`);
}

beforeAll(async () => {
  src = await startEmulator({ cluster: { peers: 3 } });
  two = await startEmulator({ cluster: { peers: 2 } });
  solo = await startEmulator();
  const s0 = src.urls[0] ?? "";
  await call(s0, "PUT", "/collections/src", { body: CONFIG });
  await call(s0, "PUT", "/collections/src/index?wait=true", { body: { field_name: "group", field_schema: "keyword" } });
  const pts = Array.from({ length: 90 }, (_, i) => ({
    id: i + 1,
    vector: [i + 1, 1, 2, 3],
    payload: { group: `g${i % 4}` },
  }));
  await call(s0, "PUT", "/collections/src/points?wait=true", { body: { points: pts } });
  expected = await readAllPoints(s0, "src");
  for (const s of [0, 1, 2]) {
    const url = await holder(src, "src", s);
    const d = expectOk((await call(url, "POST", `/collections/src/shards/${s}/snapshots?wait=true`)).json) as {
      name: string;
      checksum: string;
    };
    const at = `${url}/collections/src/shards/${s}/snapshots/${d.name}`;
    shardSnaps.set(s, {
      url: at,
      checksum: d.checksum,
      bytes: (await call(url, "GET", new URL(at).pathname)).bytes,
      name: d.name,
    });
  }
});
afterAll(async () => {
  await Promise.allSettled([src.stop(), two.stop(), solo.stop()]);
});

describe("shard recovery onto another topology", () => {
  it("3 peers → 2 peers: every shard by URL with its checksum, into the same shard id; all replicas Active", async () => {
    const t0 = two.urls[0] ?? "";
    await call(t0, "PUT", "/collections/dst", { body: CONFIG });
    for (const [s, snap] of shardSnaps) {
      const body = { location: snap.url, checksum: snap.checksum, priority: "snapshot" };
      const r = await call(
        await holder(two, "dst", s),
        "PUT",
        `/collections/dst/shards/${s}/snapshots/recover?wait=true`,
        { body },
      );
      expect(expectOk(r.json)).toBe(true);
    }
    for (const url of two.urls) expect(await readAllPoints(url, "dst")).toEqual(expected);
    const targetIds = two.nodes.map((n) => n.peerId).sort();
    for (const url of two.urls) {
      const v = await clusterView(url, "dst");
      expect(
        v.local_shards.every((x) => x.state === "Active") && v.remote_shards.every((x) => x.state === "Active"),
      ).toBe(true);
      // rf 2 on 2 peers: every peer holds every shard; no source peer id leaks into the target's view.
      expect(v.local_shards.map((x) => x.shard_id).sort()).toEqual([0, 1, 2]);
      expect(v.remote_shards.every((x) => targetIds.includes(x.peer_id))).toBe(true);
    }
    // The segments bring the source's payload index along although the target collection was created without it.
    const info = expectOk((await call(t0, "GET", "/collections/dst")).json) as { payload_schema: object };
    expect(info.payload_schema).toEqual({ group: { data_type: "keyword", points: 90 } });
  });

  it("3 peers → 1 standalone node: every shard by upload with its checksum", async () => {
    const u = solo.urls[0] ?? "";
    await call(u, "PUT", "/collections/dst", { body: CONFIG });
    for (const [s, snap] of shardSnaps) {
      const form = multipartBody("snapshot", snap.name, snap.bytes);
      const q = `?wait=true&priority=snapshot&checksum=${snap.checksum}`;
      const r = await call(u, "POST", `/collections/dst/shards/${s}/snapshots/upload${q}`, form);
      expect(expectOk(r.json)).toBe(true);
    }
    expect(await readAllPoints(u, "dst")).toEqual(expected);
    const v = await clusterView(u, "dst");
    expect(v.local_shards.map((x) => [x.shard_id, x.state])).toEqual([
      [0, "Active"],
      [1, "Active"],
      [2, "Active"],
    ]);
    expect(v.local_shards.reduce((n, x) => n + x.points_count, 0)).toBe(90);
  });

  it("standalone refuses a snapshot of a non-local shard (500) and any node one without data (400 Invalid snapshot)", async () => {
    const u = solo.urls[0] ?? "";
    await call(u, "PUT", "/collections/bad", { body: CONFIG });
    const entries = await readTar(shardSnaps.get(0)!.bytes);
    const rewrite = async (keep: (name: string) => boolean, isLocal: boolean): Promise<Buffer> => {
      const out: TarEntry[] = [];
      for (const [name, body] of entries) {
        if (!keep(name)) continue;
        if (name === "replica_state.json") {
          const state = JSON.parse(body.toString()) as Record<string, unknown>;
          out.push({ name, body: Buffer.from(JSON.stringify({ ...state, is_local: isLocal })) });
        } else out.push(name.endsWith("/") && body.length === 0 ? { name, dir: true } : { name, body });
      }
      return tarToBuffer(out, new Date());
    };
    const upload = (url: string, bytes: Buffer) =>
      call(
        url,
        "POST",
        "/collections/bad/shards/0/snapshots/upload?wait=true",
        multipartBody("snapshot", "x.snapshot", bytes),
      );
    const remote = await upload(u, await rewrite(() => true, false));
    expect(remote.status).toBe(500);
    expect(expectError(remote.json)).toMatch(
      /^Service internal error: Can't restore snapshot in local mode with missing data at shard: /,
    );
    const empty = await upload(u, await rewrite((n) => !n.startsWith("segments/") && !n.startsWith("wal/"), true));
    expect(empty.status).toBe(400);
    expect(expectError(empty.json)).toBe("Bad request: Invalid snapshot");
    // In a cluster the same non-local archive recovers (is_distributed): the peer's own id replaces the one inside.
    const t0 = two.urls[0] ?? "";
    await call(t0, "PUT", "/collections/bad", { body: CONFIG });
    expect((await upload(await holder(two, "bad", 0), await rewrite(() => true, false))).status).toBe(200);
  });
});
