import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { Redactor } from "../../src/lib/redact.js";
import { createLogger } from "../../src/log.js";
import { QdrantClient } from "../../src/qdrant/client.js";
import { QdrantError } from "../../src/qdrant/errors.js";
import { QdrantHttp } from "../../src/qdrant/http.js";
import { InterruptedError } from "../../src/errors.js";
import { startEmulator, type Emulator } from "../support/emulator/index.js";
import { seedCollection } from "../support/emulator/seed.js";

// The transport's contract: envelopes unwrapped, errors typed, only transient failures retried.
let emu: Emulator;
let url: string;
const apiKey = "http-test-key-1234";

function client(opts: { retries?: number; timeoutMs?: number; signal?: AbortSignal; key?: string } = {}) {
  const lines: string[] = [];
  const log = createLogger({ level: "verbose", sink: (l) => lines.push(l), redactor: new Redactor() });
  const http = new QdrantHttp({
    apiKey: opts.key ?? apiKey,
    timeoutMs: opts.timeoutMs ?? 5000,
    retries: opts.retries ?? 3,
    signal: opts.signal ?? new AbortController().signal,
    log,
    retryBaseDelayMs: 1,
  });
  return { qdrant: new QdrantClient(http), http, lines };
}

async function failure(p: Promise<unknown>): Promise<QdrantError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(QdrantError);
  return err as QdrantError;
}

beforeAll(async () => {
  emu = await startEmulator({ nodes: 1, apiKey });
  url = emu.urls[0]!;
  await seedCollection(url, "c1", { points: 5, dim: 4, apiKey });
});
afterAll(() => emu.stop());
beforeEach(() => {
  emu.faults.clear();
  emu.resetRequests();
});

describe("QdrantHttp", () => {
  it("unwraps the envelope", async () => {
    const { qdrant, http } = client();
    expect(await qdrant.listCollections(url)).toEqual(["c1"]);
    expect((await qdrant.getCollection(url, "c1")).status).toBe("green");
    await http.close();
  });

  it("retries 503 and then succeeds", async () => {
    emu.faults.add({ path: "/collections", status: 503, times: 2 });
    const { qdrant, http, lines } = client();
    expect(await qdrant.listCollections(url)).toEqual(["c1"]);
    expect(emu.requests().filter((r) => r.path === "/collections")).toHaveLength(3);
    expect(lines.filter((l) => l.includes("retry"))).toHaveLength(2);
    await http.close();
  });

  it("gives up after QDRANT_RETRIES and reports method, host, path and status", async () => {
    emu.faults.add({ path: "/collections", status: 503 });
    const { qdrant, http } = client({ retries: 2 });
    const err = await failure(qdrant.listCollections(url));
    expect(err.message).toBe(`GET ${url}/collections: 503 Service internal error: injected fault`);
    expect(emu.requests().filter((r) => r.path === "/collections")).toHaveLength(3);
    await http.close();
  });

  it("never retries other 4xx", async () => {
    const { qdrant, http } = client();
    const err = await failure(qdrant.getCollection(url, "missing"));
    expect(err.status).toBe(404);
    expect(err.message).toContain("Not found: Collection `missing` doesn't exist!");
    expect(emu.requests().filter((r) => r.path === "/collections/missing")).toHaveLength(1);
    await http.close();
  });

  it("reports a 401 plain-text answer as a refusal", async () => {
    const { qdrant, http } = client({ key: "wrong-key-9999" });
    const err = await failure(qdrant.listCollections(url));
    expect(err.status).toBe(401);
    expect(err.refused).toBe(true);
    expect(err.message).toContain("Invalid API key or JWT");
    expect(err.exitCode).toBe(4);
    await http.close();
  });

  it("turns an ingress's HTML 502 into a clear error after retries", async () => {
    emu.faults.add({ path: "/collections", html: true });
    const { qdrant, http } = client({ retries: 1 });
    const err = await failure(qdrant.listCollections(url));
    expect(err.status).toBe(502);
    expect(err.message).toMatch(/non-JSON body \(text\/html/);
    expect(err.message).not.toContain("<");
    await http.close();
  });

  it("retries a connection reset", async () => {
    emu.faults.add({ path: "/collections", reset: true, times: 1 });
    const { qdrant, http } = client();
    expect(await qdrant.listCollections(url)).toEqual(["c1"]);
    await http.close();
  });

  it("times out a slow answer as a timeout error", async () => {
    emu.faults.add({ path: "/collections", latencyMs: 400 });
    const { qdrant, http } = client({ timeoutMs: 100, retries: 0 });
    const err = await failure(qdrant.listCollections(url));
    expect(err.kind).toBe("timeout");
    await http.close();
  });

  it("stops at once when the run is interrupted", async () => {
    emu.faults.add({ path: "/collections", latencyMs: 2000 });
    const ac = new AbortController();
    const { qdrant, http } = client({ signal: ac.signal });
    const started = Date.now();
    setTimeout(() => ac.abort(), 50);
    await expect(qdrant.listCollections(url)).rejects.toBeInstanceOf(InterruptedError);
    expect(Date.now() - started).toBeLessThan(1500);
    await http.close();
  });

  it("records accepted (wait=false) snapshot creation as accepted", async () => {
    const { qdrant, http } = client();
    expect(await qdrant.createSnapshot(url, "c1", false)).toEqual({ status: "accepted" });
    const done = await qdrant.createSnapshot(url, "c1", true);
    expect(done.status).toBe("ok");
    await http.close();
  });

  it("rejects an answer of the wrong shape", async () => {
    emu.faults.add({ path: "/aliases", status: 200, error: "x" });
    const { qdrant, http } = client({ retries: 0 });
    const err = await failure(qdrant.listAliases(url));
    expect(["http", "invalid-response"]).toContain(err.kind);
    await http.close();
  });
});
