// The emulator answers only what Qdrant's OpenAPI document allows, for every call the tool makes: the tool's own
// client (src/qdrant/client.ts, the only way it talks to Qdrant) drives each endpoint, and every answer the nodes send
// is checked against the document's response schema. An emulator that drifted from Qdrant would let a test pass
// against answers no real node gives.
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Redactor } from "../../src/lib/redact.js";
import { createLogger } from "../../src/log.js";
import { QdrantClient } from "../../src/qdrant/client.js";
import { QdrantError } from "../../src/qdrant/errors.js";
import { QdrantHttp } from "../../src/qdrant/http.js";
import { startEmulator, type AnswerRecord, type Emulator } from "../support/emulator/index.js";
import { createAlias, qdrantCall, seedCollection } from "../support/emulator/seed.js";
import { OpenApiAnswers, type Answer } from "../support/openapi-answers.js";

/** Every operation QdrantClient calls, as the document names it. */
const TOOL_OPERATIONS = [
  "GET /",
  "GET /collections",
  "GET /collections/{collection_name}",
  "PATCH /collections/{collection_name}",
  "GET /cluster",
  "GET /collections/{collection_name}/cluster",
  "GET /collections/{collection_name}/snapshots",
  "POST /collections/{collection_name}/snapshots",
  "PUT /collections/{collection_name}/snapshots/recover",
  "POST /collections/{collection_name}/snapshots/upload",
  "GET /collections/{collection_name}/snapshots/{snapshot_name}",
  "DELETE /collections/{collection_name}/snapshots/{snapshot_name}",
  "GET /snapshots",
  "POST /snapshots",
  "GET /snapshots/{snapshot_name}",
  "DELETE /snapshots/{snapshot_name}",
  "GET /collections/{collection_name}/shards/{shard_id}/snapshots",
  "POST /collections/{collection_name}/shards/{shard_id}/snapshots",
  "POST /collections/{collection_name}/shards/{shard_id}/snapshots/upload",
  "GET /collections/{collection_name}/shards/{shard_id}/snapshots/{snapshot_name}",
  "DELETE /collections/{collection_name}/shards/{shard_id}/snapshots/{snapshot_name}",
  "POST /collections/{collection_name}/points/count",
  "POST /collections/{collection_name}/points/scroll",
  "GET /aliases",
  "GET /collections/{collection_name}/aliases",
  "POST /collections/aliases",
  // recover_snap_shards
  "PUT /collections/{collection_name}",
  "DELETE /collections/{collection_name}",
  "PUT /collections/{collection_name}/index",
  "POST /collections/{collection_name}/points/query",
  "PUT /collections/{collection_name}/shards/{shard_id}/snapshots/recover",
];

const schema = new OpenApiAnswers();
let answers: AnswerRecord[] = [];
let recording = false;
const record = (a: AnswerRecord): void => void (recording && answers.push(a));
let standalone: Emulator;
let cluster: Emulator;
/** Peer ids above 2^53 (a cluster made before Qdrant 1.2), with replica states, a transfer and resharding injected. */
let bigCluster: Emulator;

function toolClient(): { qdrant: QdrantClient; http: QdrantHttp } {
  const log = createLogger({ level: "normal", sink: () => undefined, redactor: new Redactor() });
  const http = new QdrantHttp({
    apiKey: undefined,
    timeoutMs: 10_000,
    retries: 0,
    signal: new AbortController().signal,
    log,
  });
  return { qdrant: new QdrantClient(http), http };
}

const asAnswer = (a: AnswerRecord): Answer => ({
  method: a.method,
  path: a.path,
  status: a.status,
  contentType: a.headers["content-type"] ?? "",
  body: a.body,
});

async function bytesOf(body: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of body) chunks.push(Buffer.from(c as Uint8Array));
  return Buffer.concat(chunks);
}

/** Runs `call` expecting a QdrantError (an error answer is an answer too: it must have the documented shape). */
async function failing(call: Promise<unknown>): Promise<QdrantError> {
  const err = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(QdrantError);
  return err as QdrantError;
}

beforeAll(async () => {
  standalone = await startEmulator({ nodes: 2, onAnswer: record });
  cluster = await startEmulator({ cluster: { peers: 3, shards: 3, replicationFactor: 2 }, onAnswer: record });
  const [a = ""] = standalone.urls;
  await seedCollection(a, "c1", { points: 5, dim: 4 });
  await createAlias(a, "c1", "c1-alias");
  await seedCollection(cluster.urls[0]!, "spread", { points: 6, dim: 4 });
  bigCluster = await startEmulator({
    cluster: { peers: 3, shards: 3, replicationFactor: 2, peerIdBase: 2n ** 63n },
    onAnswer: record,
  });
  await seedCollection(bigCluster.urls[0]!, "big", { points: 6, dim: 4 });
});
afterAll(async () => {
  await Promise.allSettled([standalone?.stop(), cluster?.stop(), bigCluster?.stop()]);
});

describe("the emulator against Qdrant's OpenAPI document", () => {
  it("answers every call of the tool's Qdrant client with a shape the document allows (successes and errors)", async () => {
    const [a = "", b = ""] = standalone.urls;
    const { qdrant, http } = toolClient();
    answers = [];
    recording = true;
    try {
      expect(await qdrant.getVersion(a)).toMatch(/^\d+\.\d+/);
      expect(await qdrant.listCollections(a)).toContain("c1");
      await qdrant.getCollection(a, "c1");
      await qdrant.triggerOptimizers(a, "c1");
      expect(await qdrant.countPoints(a, "c1")).toBe(5);
      expect(await qdrant.scrollPoints(a, "c1", 10)).toHaveLength(5);
      await qdrant.createAlias(a, "c1", "c1-second");
      expect((await qdrant.listAliases(a)).map((x) => x.alias_name).sort()).toEqual(["c1-alias", "c1-second"]);
      expect(await qdrant.getCluster(a)).toEqual({ status: "disabled" });
      await qdrant.getCollectionCluster(a, "c1");

      const created = await qdrant.createSnapshot(a, "c1", true);
      if (created.status !== "ok") throw new Error("createSnapshot(wait=true) was only accepted");
      const snap = created.snapshot;
      expect((await qdrant.listSnapshots(a, "c1")).map((s) => s.name)).toContain(snap.name);
      const ref = { kind: "collection", collection: "c1", name: snap.name } as const;
      const whole = await bytesOf((await qdrant.downloadSnapshot(a, ref)).body);
      expect(whole.length).toBe(snap.size);
      const tail = await qdrant.downloadSnapshot(a, ref, { start: 512 });
      expect((await bytesOf(tail.body)).length).toBe(snap.size - 512);
      const location = `${a}/collections/c1/snapshots/${encodeURIComponent(snap.name)}`;
      expect(
        await qdrant.recoverSnapshot(
          b,
          "c1",
          { location, priority: "snapshot", checksum: snap.checksum ?? undefined },
          true,
        ),
      ).toBe("ok");
      expect(await qdrant.recoverSnapshot(b, "c1-later", { location }, false)).toBe("accepted");
      const upload = {
        filename: snap.name,
        size: whole.length,
        wait: true,
        ...(snap.checksum ? { checksum: snap.checksum } : {}),
      };
      expect(await qdrant.uploadSnapshot(b, { collection: "c2" }, Readable.from([whole]), upload)).toBe("ok");
      expect(await qdrant.deleteSnapshot(a, ref, true)).toBe("ok");
      expect((await qdrant.createSnapshot(b, "c2", false)).status).toBe("accepted");

      const full = await qdrant.createFullSnapshot(a, true);
      if (full.status !== "ok") throw new Error("createFullSnapshot(wait=true) was only accepted");
      expect((await qdrant.listFullSnapshots(a)).map((s) => s.name)).toContain(full.snapshot.name);
      const fullRef = { kind: "full", name: full.snapshot.name } as const;
      expect((await bytesOf((await qdrant.downloadSnapshot(a, fullRef)).body)).length).toBe(full.snapshot.size);
      expect(await qdrant.deleteSnapshot(a, fullRef, false)).toBe("accepted");

      const shardMade = await qdrant.createShardSnapshot(a, "c1", 0);
      if (shardMade.status !== "ok") throw new Error("createShardSnapshot was only accepted");
      const shardSnap = shardMade.snapshot;
      expect((await qdrant.getCollectionWhole(a, "c1")).result["config"]).toBeDefined();
      expect(await qdrant.getCollectionAliases(a, "c1")).toEqual(expect.any(Array));
      expect((await qdrant.listShardSnapshots(a, "c1", 0)).map((s) => s.name)).toContain(shardSnap.name);
      const shardRef = { kind: "shard", collection: "c1", shard: 0, name: shardSnap.name } as const;
      const shardBytes = await bytesOf((await qdrant.downloadSnapshot(a, shardRef)).body);
      expect(
        await qdrant.uploadSnapshot(a, { collection: "c1", shard: 0 }, Readable.from([shardBytes]), {
          filename: shardSnap.name,
          wait: true,
        }),
      ).toBe("ok");
      // recover_snap_shards: the shard recovered from a URL (the node's own download route), a collection created
      // with a payload index and deleted, scroll pages and points/query (random sample, a vector) with vectors.
      const shardLocation = `${a}/collections/c1/shards/0/snapshots/${encodeURIComponent(shardSnap.name)}`;
      expect(
        await qdrant.recoverShardSnapshot(a, "c1", 0, { location: shardLocation, priority: "snapshot" }, true),
      ).toBe("ok");
      await failing(qdrant.recoverShardSnapshot(a, "c1", 9, { location: shardLocation, priority: "snapshot" }, true));
      expect(await qdrant.deleteSnapshot(a, shardRef, true)).toBe("ok");
      await qdrant.createCollection(a, "fresh", { vectors: { size: 4, distance: "Dot" }, shard_number: 1 });
      await failing(qdrant.createCollection(a, "fresh", { vectors: { size: 4, distance: "Dot" } }));
      await qdrant.createFieldIndex(a, "fresh", "group", "keyword");
      expect(await qdrant.deleteCollection(a, "fresh")).toBe(true);
      const page = await qdrant.scrollPage(a, "c1", { limit: 2, withVector: true });
      expect(page.points).toHaveLength(2);
      expect(page.next).toBeDefined();
      const sampled = await qdrant.queryPoints(a, "c1", { query: { sample: "random" }, limit: 3, withVector: true });
      expect(sampled).toHaveLength(3);
      const nearest = await qdrant.queryPoints(a, "c1", {
        query: sampled[0]!.vector as number[],
        limit: 1,
        withVector: false,
      });
      expect(String(nearest[0]?.id)).toBe(String(sampled[0]?.id));

      const enabled = await qdrant.getCluster(cluster.urls[0]!);
      expect(enabled.status).toBe("enabled");
      expect((await qdrant.getCollectionCluster(cluster.urls[0]!, "spread")).remote_shards.length).toBeGreaterThan(0);

      // Big peer ids, a Dead and a Partial replica, a transfer and a resharding operation in every cluster answer.
      const [p0, p1, p2] = bigCluster.cluster.peers();
      bigCluster.cluster.setReplicaState("big", 0, p1!.peerId, "Dead");
      // Placement (Qdrant's round-robin): shard 0 on p0 p1, shard 1 on p2 p0, shard 2 on p1 p2.
      const transfer = bigCluster.cluster.startTransfer({
        collection: "big",
        shard: 1,
        from: p2!.peerId,
        to: p1!.peerId,
      });
      const transfer2 = bigCluster.cluster.startTransfer({
        collection: "big",
        shard: 2,
        from: p2!.peerId,
        to: p0!.peerId,
        method: "snapshot",
        sync: false,
        comment: "half way",
      });
      const resharding = bigCluster.cluster.startResharding({
        collection: "big",
        direction: "up",
        shard: 3,
        peer: p2!.peerId,
      });
      for (const p of [p0!, p1!, p2!]) {
        expect((await qdrant.getCluster(p.url)).status).toBe("enabled");
        expect((await qdrant.getCollectionCluster(p.url, "big")).remote_shards.length).toBeGreaterThan(0);
        const shardSnap = await qdrantCall(p.url, "POST", "/collections/big/shards/0/snapshots?wait=true").catch(
          (e: unknown) => e,
        );
        if (p === p2) expect(String(shardSnap)).toMatch(/not a local or queue proxy shard/);
      }
      // p2 holds no replica of shard 0 (p1's is Dead, and still serves one).
      const abort = `{"abort_transfer":{"shard_id":2,"from_peer_id":${p2!.peerId},"to_peer_id":${p0!.peerId}}}`;
      const abortOp = { method: "POST", headers: { "content-type": "application/json" } };
      expect((await fetch(`${p0!.url}/collections/big/cluster`, { ...abortOp, body: abort })).status).toBe(200);
      expect((await fetch(`${p0!.url}/collections/big/cluster`, { ...abortOp, body: abort })).status).toBe(400);
      transfer.finish();
      transfer2.abort();
      resharding.finish();

      // Error answers the tool reads: a missing collection, a missing snapshot, a recovery from nowhere.
      expect((await failing(qdrant.getCollection(a, "missing"))).status).toBe(404);
      expect((await failing(qdrant.listSnapshots(a, "missing"))).status).toBe(404);
      expect((await failing(qdrant.downloadSnapshot(a, { ...ref, name: "gone.snapshot" }))).status).toBe(404);
      expect((await failing(qdrant.deleteSnapshot(a, { ...ref, name: "gone.snapshot" }, true))).status).toBe(404);
      await failing(qdrant.recoverSnapshot(b, "c3", { location: `${a}/collections/c1/snapshots/gone.snapshot` }, true));
    } finally {
      recording = false;
      await http.close();
    }

    const verdicts = answers.map((x) => ({ answer: x, ...schema.check(asAnswer(x)) }));
    const problems = verdicts.flatMap((v) =>
      v.problems.map((p) => `${v.answer.method} ${v.answer.path}${v.answer.query} → ${v.answer.status}: ${p}`),
    );
    expect(problems).toEqual([]);
    // The answers really went through the schema: the recorded collection info with one invented field fails it.
    const info = verdicts.find(
      (v) => v.operation === "GET /collections/{collection_name}" && v.answer.status === 200,
    )!.answer;
    const invented = { ...(JSON.parse(String(info.body)) as Record<string, Record<string, unknown>>) };
    invented["result"] = { ...invented["result"], invented_field: 1 };
    expect(schema.check({ ...asAnswer(info), body: Buffer.from(JSON.stringify(invented)) }).problems.join()).toMatch(
      /additional/,
    );
    const seen = new Set(verdicts.map((v) => v.operation));
    expect(
      TOOL_OPERATIONS.filter((op) => !seen.has(op)),
      "operations of the client not exercised",
    ).toEqual([]);
    expect(verdicts.some((v) => v.answer.status === 202) && verdicts.some((v) => v.answer.status === 404)).toBe(true);
  });

  it("answers what a restore of a backup set asks with shapes the document allows: create with a full config, payload indexes, query, shard recovery onto another topology, injected broken restores", async () => {
    const [s0 = ""] = standalone.urls;
    const c0 = cluster.urls[0] ?? "";
    const full = {
      vectors: { dense: { size: 4, distance: "Cosine" }, small: { size: 2, distance: "Euclid" } },
      shard_number: 3,
      replication_factor: 2,
      write_consistency_factor: 1,
      on_disk_payload: true,
      hnsw_config: { m: 8 },
      optimizers_config: { indexing_threshold: 0 },
      wal_config: { wal_capacity_mb: 16 },
      quantization_config: { scalar: { type: "int8" } },
      strict_mode_config: { enabled: false },
      metadata: { origin: "set-1" },
      sparse_vectors: { bm25: {} },
    };
    const points = Array.from({ length: 12 }, (_, i) => ({
      id: i + 1,
      vector: { dense: [i + 1, 1, 0, 2], small: [i, 1] },
      payload: { group: `g${i % 3}`, n: i + 1 },
    }));
    const raw = (url: string, method: string, path: string, body?: unknown) =>
      fetch(`${url}${path}`, {
        method,
        ...(body === undefined ? {} : { headers: { "content-type": "application/json" }, body: JSON.stringify(body) }),
      });
    answers = [];
    recording = true;
    const searchAnswers: unknown[] = [];
    try {
      for (const url of [c0, s0]) {
        expect((await raw(url, "PUT", "/collections/rset", full)).status).toBe(200);
        expect(
          (await raw(url, "PUT", "/collections/rset/index?wait=true", { field_name: "group", field_schema: "keyword" }))
            .status,
        ).toBe(200);
        const params = { type: "integer", lookup: true, range: false };
        expect(
          (await raw(url, "PUT", "/collections/rset/index", { field_name: "n", field_schema: params })).status,
        ).toBe(200);
        expect(
          (await raw(url, "PUT", "/collections/rset/index", { field_name: "x", field_schema: "blob" })).status,
        ).toBe(400);
      }
      expect((await raw(c0, "PUT", "/collections/rset/points?wait=true", { points })).status).toBe(200);
      expect((await raw(c0, "DELETE", "/collections/rset/index/n?wait=true")).status).toBe(200);
      await raw(c0, "GET", "/collections/rset");
      for (const body of [
        { query: { sample: "random" }, limit: 5, with_payload: true, with_vector: true },
        { query: [1, 1, 0, 2], using: "dense", limit: 3, with_payload: true },
        { query: { nearest: [3, 1] }, using: "small", limit: 2, with_vector: ["small"] },
        { query: [1, 2], using: "dense" },
        { query: [1, 1, 0, 2] },
      ])
        await raw(c0, "POST", "/collections/rset/points/query", body);
      const search = await raw(c0, "POST", "/collections/rset/points/search", {
        vector: { name: "dense", vector: [1, 1, 0, 2] },
        limit: 3,
        with_payload: true,
      });
      searchAnswers.push(...((await search.json()) as { result: unknown[] }).result);

      // Shard snapshots of the 3-peer cluster recover into the standalone node's collection: by URL and by upload.
      const [p0, p1, p2] = cluster.cluster.peers();
      const holderOf = async (sid: number): Promise<string> => {
        for (const p of [p0!, p1!, p2!]) {
          const info = await qdrantCall(p.url, "GET", "/collections/rset/cluster");
          if ((info as { local_shards: { shard_id: number }[] }).local_shards.some((x) => x.shard_id === sid))
            return p.url;
        }
        throw new Error(`no holder of shard ${sid}`);
      };
      standalone.faults.afterShardRecover({
        collection: "rset",
        shard: 0,
        leftover: { state: "Partial", polls: 1 },
        countShort: { by: 2, reads: 1 },
      });
      cluster.faults.afterShardRecover({ collection: "rset", shard: 1, leftover: { state: "Dead", polls: 1 } });
      for (const sid of [0, 1, 2]) {
        const holder = await holderOf(sid);
        const snap = (await qdrantCall(holder, "POST", `/collections/rset/shards/${sid}/snapshots?wait=true`)) as {
          name: string;
          checksum: string;
        };
        const location = `${holder}/collections/rset/shards/${sid}/snapshots/${snap.name}`;
        if (sid === 2) {
          const bytes = Buffer.from(await (await fetch(location)).arrayBuffer());
          const form = new FormData();
          form.append("snapshot", new Blob([bytes]), snap.name);
          const up = await fetch(
            `${s0}/collections/rset/shards/2/snapshots/upload?wait=true&checksum=${snap.checksum}`,
            {
              method: "POST",
              body: form,
            },
          );
          expect(up.status).toBe(200);
        } else {
          const body = { location, checksum: snap.checksum, priority: "snapshot" };
          expect(
            (await raw(s0, "PUT", `/collections/rset/shards/${sid}/snapshots/recover?wait=true`, body)).status,
          ).toBe(200);
        }
        if (sid === 1) {
          const recoverOnPeer = { location: snap.name };
          expect((await raw(holder, "PUT", `/collections/rset/shards/1/snapshots/recover`, recoverOnPeer)).status).toBe(
            200,
          );
        }
      }
      const bad = { location: "http://127.0.0.1:9/x.snapshot", checksum: "0".repeat(63) };
      expect((await raw(s0, "PUT", "/collections/rset/shards/0/snapshots/recover", bad)).status).toBe(422);
      await raw(s0, "GET", "/collections/rset/cluster"); // the lingering Partial replica
      await raw(c0, "GET", "/collections/rset/cluster"); // the lingering Dead one
      await raw(s0, "GET", "/collections/rset");
      expect(
        (
          (await (await raw(s0, "POST", "/collections/rset/points/count", { exact: true })).json()) as {
            result: { count: number };
          }
        ).result.count,
      ).toBe(10);
      standalone.faults.breakPayloads("rset", (p) => p.id === 5);
      expect((await raw(s0, "POST", "/collections/rset/points/scroll", { limit: 20, with_payload: true })).status).toBe(
        500,
      );
      expect(
        (
          await raw(s0, "POST", "/collections/rset/points/query", {
            query: { sample: "random" },
            limit: 20,
            with_payload: true,
          })
        ).status,
      ).toBe(500);
      expect((await raw(c0, "DELETE", "/collections/rset?wait=true")).status).toBe(200);
      expect((await raw(s0, "DELETE", "/collections/rset")).status).toBe(200);
    } finally {
      recording = false;
      standalone.faults.clear();
      cluster.faults.clear();
    }
    const verdicts = answers.map((x) => ({ answer: x, ...schema.check(asAnswer(x)) }));
    const problems = verdicts.flatMap((v) =>
      v.problems.map((p) => `${v.answer.method} ${v.answer.path}${v.answer.query} → ${v.answer.status}: ${p}`),
    );
    // POST /points/search left the 1.19 document (Qdrant still serves it): its points are checked as ScoredPoints.
    const searchProblems = searchAnswers.flatMap((p) => schema.checkComponent("ScoredPoint", p));
    expect([...problems.filter((p) => !p.includes("/points/search ")), ...searchProblems]).toEqual([]);
    expect(schema.checkComponent("ScoredPoint", { id: 1, score: 1 }).join()).toMatch(/version/);
    const seen = new Set(verdicts.map((v) => `${v.operation} ${v.answer.status}`));
    expect(
      [
        "PUT /collections/{collection_name} 200",
        "PUT /collections/{collection_name}/index 200",
        "PUT /collections/{collection_name}/index 400",
        "DELETE /collections/{collection_name}/index/{field_name} 200",
        "GET /collections/{collection_name} 200",
        "POST /collections/{collection_name}/points/query 200",
        "POST /collections/{collection_name}/points/query 400",
        "POST /collections/{collection_name}/points/query 500",
        "POST /collections/{collection_name}/points/scroll 500",
        "POST /collections/{collection_name}/points/count 200",
        "POST /collections/{collection_name}/shards/{shard_id}/snapshots 200",
        "PUT /collections/{collection_name}/shards/{shard_id}/snapshots/recover 200",
        "PUT /collections/{collection_name}/shards/{shard_id}/snapshots/recover 422",
        "POST /collections/{collection_name}/shards/{shard_id}/snapshots/upload 200",
        "GET /collections/{collection_name}/cluster 200",
        "DELETE /collections/{collection_name} 200",
      ].filter((op) => !seen.has(op)),
      "restore operations not exercised",
    ).toEqual([]);
    // The injected states really were in the answers that passed the schema.
    const bodies = verdicts.map((v) => String(v.answer.body));
    expect(bodies.some((b) => b.includes('"state":"Partial"'))).toBe(true);
    expect(bodies.some((b) => b.includes('"state":"Dead"'))).toBe(true);
    expect(bodies.some((b) => b.includes('"payload_schema":{"group":{"data_type":"keyword","points":'))).toBe(true);
  });

  it("finds the answers the document does not allow: a missing field, a wrong type, an unknown status, a wrong media type", () => {
    const json = (v: unknown): Buffer => Buffer.from(JSON.stringify(v));
    const snapshots = {
      method: "GET",
      path: "/collections/c1/snapshots",
      status: 200,
      contentType: "application/json",
    };
    const good = { name: "c1-1.snapshot", creation_time: "2026-01-01T00:00:00", size: 10, checksum: "ab" };
    expect(schema.check({ ...snapshots, body: json({ result: [good], status: "ok", time: 0.1 }) }).problems).toEqual(
      [],
    );
    const { size: _size, ...sizeless } = good;
    expect(
      schema.check({ ...snapshots, body: json({ result: [sizeless], status: "ok", time: 0.1 }) }).problems.join(),
    ).toMatch(/size/);
    expect(
      schema
        .check({ ...snapshots, body: json({ result: [{ ...good, size: "10" }], status: "ok", time: 0.1 }) })
        .problems.join(),
    ).toMatch(/number|integer/);
    expect(
      schema
        .check({ ...snapshots, body: json({ result: [{ ...good, size: -1 }], status: "ok", time: 0.1 }) })
        .problems.join(),
    ).toMatch(/format/);
    const info = { method: "GET", path: "/collections/c1", status: 200, contentType: "application/json" };
    expect(
      schema.check({ ...info, body: json({ result: { status: "blue" }, status: "ok", time: 0.1 }) }).problems.length,
    ).toBeGreaterThan(0);
    expect(
      schema
        .check({ ...snapshots, status: 200, contentType: "text/html", body: Buffer.from("<html>") })
        .problems.join(),
    ).toMatch(/content type/);
    expect(
      schema.check({
        method: "GET",
        path: "/nowhere/at/all",
        status: 200,
        contentType: "application/json",
        body: json({}),
      }).problems,
    ).toEqual(["no such operation in the OpenAPI document"]);
    expect(schema.operationOf("POST", "/collections/aliases")).toBe("/collections/aliases");
    expect(schema.operationOf("GET", "/collections/aliases")).toBe("/collections/{collection_name}");
  });
});
