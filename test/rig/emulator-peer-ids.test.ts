// Peer ids above 2^53 (clusters made before Qdrant 1.2): every id the emulator prints is the exact u64 as a raw JSON
// number, and every id it reads is parsed exactly. The ids 2^60+1 … 2^60+3 all round to the same double, so any
// lossy step on either side shows.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseJsonExact, stringifyExact, exactInteger } from "../support/emulator/exact-json.js";
import { startEmulator, type Emulator } from "../support/emulator/index.js";
import { seedCollection } from "../support/emulator/seed.js";
import { readTar } from "../support/emulator/tar.js";
import { call } from "../support/emulator/test-http.js";
import { expectError, expectOk } from "../support/emulator/validators.js";

const BASE = 2n ** 60n;
const IDS = [BASE + 1n, BASE + 2n, BASE + 3n];
let emu: Emulator;

/** POST a raw JSON text (JSON.stringify cannot carry the exact ids). */
async function postRaw(url: string, path: string, text: string) {
  return call(url, "POST", path, { raw: Buffer.from(text), headers: { "content-type": "application/json" } });
}

beforeAll(async () => {
  emu = await startEmulator({ cluster: { peers: 3, shards: 3, replicationFactor: 2, peerIdBase: BASE } });
  await seedCollection(emu.urls[0]!, "big", { points: 30, dim: 4 });
});
afterAll(async () => {
  await emu.stop();
});

describe("exact JSON", () => {
  it("prints bigints as raw integers and parses integers beyond 2^53 exactly, leaving strings alone", () => {
    const big = 18446744073709551615n;
    expect(stringifyExact({ a: big, b: [1n, "18446744073709551615"], c: 1.5 })).toBe(
      '{"a":18446744073709551615,"b":[1,"18446744073709551615"],"c":1.5}',
    );
    const parsed = parseJsonExact(
      '{"s":"9007199254740993","n":[9007199254740993, 2.5e3],"m":{"x":-12345678901234567890}}',
    );
    expect(parsed).toMatchObject({ s: "9007199254740993", n: [9007199254740992, 2500] });
    const p = parsed as { n: number[]; m: object };
    expect(exactInteger(p.n, "0")).toBe(9007199254740993n);
    expect(exactInteger(p.n, "1")).toBeUndefined();
    expect(exactInteger(p.m, "x")).toBe(-12345678901234567890n);
  });
});

describe("peer ids above 2^53", () => {
  it("exposes the exact ids in peer-id order, with the nodes' URLs", () => {
    expect(emu.cluster.peers().map((p) => p.peerId)).toEqual(IDS);
    expect(emu.cluster.peers().map((p) => p.url)).toEqual(emu.nodes.map((n) => n.url));
    expect(emu.nodes.map((n) => n.peerIdExact)).toEqual(IDS);
  });

  it("GET /cluster prints peer_id, the peers' keys and the leader as the exact digits", async () => {
    for (const [i, node] of emu.nodes.entries()) {
      const { text } = await call(node.url, "GET", "/cluster");
      expect(text).toContain(`"peer_id":${IDS[i]},`);
      for (const id of IDS) expect(text).toContain(`"${id}":{"uri":`);
      expect(text).toContain(`"leader":${IDS[0]},`);
      expect(text).not.toContain(`${Number(BASE)}`);
    }
  });

  it("GET /collections/{c}/cluster prints peer_id and remote peer ids exactly", async () => {
    const { text } = await call(emu.urls[1]!, "GET", "/collections/big/cluster");
    expect(text).toContain(`"peer_id":${IDS[1]},`);
    const remote = [...text.matchAll(/"peer_id":(\d+),"state"/g)].map((m) => BigInt(m[1]!));
    expect(remote.length).toBeGreaterThan(0);
    for (const id of remote) expect([IDS[0], IDS[2]]).toContain(id);
  });

  it("names collection snapshots and writes replica_state.json with the exact id", async () => {
    const d = expectOk((await call(emu.urls[2]!, "POST", "/collections/big/snapshots")).json) as { name: string };
    expect(d.name.startsWith(`big-${IDS[2]}-`)).toBe(true);
    const tar = await readTar((await call(emu.urls[2]!, "GET", `/collections/big/snapshots/${d.name}`)).bytes);
    const state = tar.get("0/replica_state.json")?.toString() ?? "";
    expect(state).toContain(`"this_peer_id":${IDS[2]},`);
  });

  it("reads big ids in cluster operations exactly: replicate, abort an injected transfer, drop", async () => {
    const info = async () => (await call(emu.urls[0]!, "GET", "/collections/big/cluster")).text;
    // Shard 0 lives on peers 0 and 1 (round-robin placement): replicate it to peer 2, then drop that copy again.
    const replicate = `{"replicate_shard":{"shard_id":0,"from_peer_id":${IDS[0]},"to_peer_id":${IDS[2]}}}`;
    expect((await postRaw(emu.urls[0]!, "/collections/big/cluster", replicate)).status).toBe(200);
    const drop = `{"drop_replica":{"shard_id":0,"peer_id":${IDS[2]}}}`;
    expect((await postRaw(emu.urls[1]!, "/collections/big/cluster", drop)).status).toBe(200);

    const t = emu.cluster.startTransfer({ collection: "big", shard: 0, from: IDS[0]!, to: IDS[2]! });
    expect(await info()).toContain(`"shard_transfers":[{"shard_id":0,"from":${IDS[0]},"to":${IDS[2]},"sync":true`);
    const abort = `{"abort_transfer":{"shard_id":0,"from_peer_id":${IDS[0]},"to_peer_id":${IDS[2]}}}`;
    expect((await postRaw(emu.urls[2]!, "/collections/big/cluster", abort)).status).toBe(200);
    expect(await info()).toContain(`"shard_transfers":[]`);
    t.abort(); // already ended over the API: a no-op
  });

  it("refuses a peer id beyond u64 and one that is not a peer (a rounded id is not a peer)", async () => {
    const tooBig = `{"drop_replica":{"shard_id":0,"peer_id":18446744073709551616}}`;
    const r = await postRaw(emu.urls[0]!, "/collections/big/cluster", tooBig);
    expect(r.status).toBe(400);
    expect(expectError(r.json)).toMatch(
      /drop_replica\.peer_id: invalid value: integer `18446744073709551616`, expected u64/,
    );
    // What a client that read the id into a double sends back: 1152921504606847000.
    const rounded = `{"drop_replica":{"shard_id":0,"peer_id":${Number(IDS[0])}}}`;
    const r2 = await postRaw(emu.urls[0]!, "/collections/big/cluster", rounded);
    expect(r2.status).toBe(400);
    expect(expectError(r2.json)).toBe(`Bad request: Peer ${Number(IDS[0])} does not exist`);
  });

  it("keeps small random ids below 2^53 by default and takes bigint peerIds", async () => {
    const small = await startEmulator({ cluster: { peers: 2 } });
    try {
      for (const n of small.nodes) expect(n.peerIdExact <= 2n ** 53n && BigInt(n.peerId) === n.peerIdExact).toBe(true);
    } finally {
      await small.stop();
    }
    const given = await startEmulator({ nodes: 1, peerIds: [2n ** 63n + 5n] });
    try {
      await seedCollection(given.urls[0]!, "one", { points: 1, dim: 2 });
      const d = expectOk((await call(given.urls[0]!, "POST", "/collections/one/snapshots")).json) as { name: string };
      expect(d.name.startsWith(`one-${2n ** 63n + 5n}-`)).toBe(true);
    } finally {
      await given.stop();
    }
    await expect(startEmulator({ nodes: 1, peerIds: [2 ** 60] })).rejects.toThrow(/not exact: pass a bigint/);
  });
});
