// Fault injection and the request log: every fault kind, scoping, counting and reproducibility.
import { request } from "node:http";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type Emulator } from "../support/emulator/index.js";
import { seedCollection } from "../support/emulator/seed.js";
import { call, eventually } from "../support/emulator/test-http.js";
import { expectError, expectOk } from "../support/emulator/validators.js";

let emu: Emulator;
let a = "";
let b = "";

beforeAll(async () => {
  emu = await startEmulator({ nodes: 2 });
  [a, b] = [emu.urls[0] ?? "", emu.urls[1] ?? ""];
  await seedCollection(a, "f", { points: 5, dim: 2 });
});
afterEach(() => emu.faults.clear());
afterAll(() => emu.stop());

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t = performance.now();
  const v = await fn();
  return [v, performance.now() - t];
}

describe("faults", () => {
  it("adds latency, on the matching node and path only, without consuming times", async () => {
    emu.faults.add({ node: 0, path: /^\/collections$/, latencyMs: 150 });
    const [slow, ms] = await timed(() => call(a, "GET", "/collections"));
    expect(slow.status).toBe(200);
    expect(ms).toBeGreaterThanOrEqual(140);
    const hits = emu.faults.hits();
    await call(b, "GET", "/collections");
    await call(a, "GET", "/collections/f");
    expect(emu.faults.hits()).toBe(hits);
    emu.faults.add({ path: "/collections", status: 503, times: 1 });
    expect((await call(a, "GET", "/collections")).status).toBe(503);
    expect((await call(a, "GET", "/collections")).status).toBe(200);
  });

  it("answers a status N times with a Qdrant error envelope, without doing the work", async () => {
    const before = emu.faults.hits();
    emu.faults.add({
      method: "POST",
      path: /\/snapshots$/,
      status: 500,
      error: "Service internal error: boom",
      times: 2,
    });
    for (let i = 0; i < 2; i++) {
      const r = await call(a, "POST", "/collections/f/snapshots");
      expect(r.status).toBe(500);
      expect(expectError(r.json)).toBe("Service internal error: boom");
    }
    expect(expectOk((await call(a, "GET", "/collections/f/snapshots")).json)).toEqual([]);
    expect((await call(a, "POST", "/collections/f/snapshots")).status).toBe(200);
    expect(emu.faults.hits() - before).toBe(2);
  });

  it("fires at a seeded rate, reproducibly", async () => {
    const pattern = async (): Promise<number[]> => {
      const remove = emu.faults.add({ path: "/collections", status: 502, rate: 0.5, seed: 42 });
      const statuses: number[] = [];
      for (let i = 0; i < 20; i++) statuses.push((await call(a, "GET", "/collections")).status);
      remove();
      return statuses;
    };
    const first = await pattern();
    expect(await pattern()).toEqual(first);
    expect(first.filter((s) => s === 502).length).toBeGreaterThan(2);
    expect(first.filter((s) => s === 200).length).toBeGreaterThan(2);
  });

  it("resets the connection", async () => {
    emu.faults.add({ path: "/collections", reset: true, times: 1 });
    const error = await new Promise<string>((resolve) => {
      const req = request(`${a}/collections`, (res) => resolve(`status ${res.statusCode}`));
      req.on("error", (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
      req.end();
    });
    expect(error).toBe("ECONNRESET");
    await eventually(async () => emu.requests().find((e) => e.status === 0));
  });

  it("streams the real body slowly", async () => {
    emu.faults.add({ path: "/collections/f", slowBodyMs: 300 });
    const [r, ms] = await timed(() => call(a, "GET", "/collections/f"));
    expect(r.status).toBe(200);
    expect(expectOk(r.json)).toMatchObject({ points_count: 5 });
    expect(ms).toBeGreaterThanOrEqual(250);
  });

  it("answers an nginx-style HTML 502", async () => {
    emu.faults.add({ path: "/collections", html: true });
    const r = await call(a, "GET", "/collections");
    expect(r.status).toBe(502);
    expect(r.headers.get("content-type")).toBe("text/html");
    expect(r.text).toContain("<title>502 Bad Gateway</title>");
    expect(r.json).toBeUndefined();
  });

  it("removes a single rule with the returned function", async () => {
    const remove = emu.faults.add({ path: "/collections", status: 500 });
    expect((await call(a, "GET", "/collections")).status).toBe(500);
    remove();
    expect((await call(a, "GET", "/collections")).status).toBe(200);
  });
});

describe("request log", () => {
  it("records node, method, pathname, status and duration; reset clears it", async () => {
    emu.resetRequests();
    const remove = emu.faults.add({ node: 1, latencyMs: 50 });
    await call(a, "GET", "/collections/f");
    await call(b, "GET", "/collections/missing?x=1");
    remove();
    // The server logs when the response closes, which can trail the client by a moment.
    const log = await eventually(async () => (emu.requests().length === 2 ? emu.requests() : undefined));
    expect(log).toEqual([
      {
        node: 0,
        method: "GET",
        path: "/collections/f",
        status: 200,
        ms: expect.any(Number),
        arrivedAt: expect.any(Number),
      },
      {
        node: 1,
        method: "GET",
        path: "/collections/missing",
        status: 404,
        ms: expect.any(Number),
        arrivedAt: expect.any(Number),
      },
    ]);
    expect(log?.[1]?.ms, "the injected latency is part of the duration").toBeGreaterThanOrEqual(49);
    emu.resetRequests();
    expect(emu.requests()).toEqual([]);
  });
});
