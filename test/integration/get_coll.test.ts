// get_coll against two emulator nodes (S3 snapshot storage): every source host, skip when listed, fail whole.
import { closedPort } from "../support/net.js";
import { describe, expect, it } from "vitest";
import { run } from "../../src/commands/get_coll.js";
import { EXIT, ToolError } from "../../src/errors.js";
import { seedCollection } from "../support/emulator/seed.js";
import { csv, startRig } from "./helpers/rig.js";

describe("get_coll", () => {
  it("lists the collections of every source host, one host,collection row each", async () => {
    const rig = await startRig("get-coll-all", { nodes: 2 });
    const [a = "", b = ""] = rig.urls;
    await seedCollection(a, "alpha", { points: 3, dim: 2 });
    await seedCollection(a, "beta", { points: 3, dim: 2 });
    await seedCollection(b, "beta", { points: 3, dim: 2 });
    await seedCollection(b, "gamma", { points: 3, dim: 2 });
    const deps = rig.deps({ QDRANT_SOURCE_HOSTS: `${a},${b}` });

    const summary = await run({}, deps);

    expect(summary).toMatchObject({ task: "get_coll", done: 4, skipped: 0, failed: 0, exitCode: EXIT.ok });
    const expected = csv([a, "alpha"], [a, "beta"], [b, "beta"], [b, "gamma"]);
    expect(await rig.read("collections")).toBe(expected);
    expect(await deps.state.read("collections")).toEqual([
      { host: a, collection: "alpha" },
      { host: a, collection: "beta" },
      { host: b, collection: "beta" },
      { host: b, collection: "gamma" },
    ]);
    expect(
      rig
        .requests("GET", /^\/collections$/)
        .map((r) => r.node)
        .sort(),
    ).toEqual([0, 1]);
    for (const name of ["snapshots", "collection_aliases"] as const) expect(await rig.read(name)).toBeUndefined();
  });

  it("does nothing, without a request, when collections already has rows", async () => {
    const rig = await startRig("get-coll-skip", { nodes: 1 });
    const [a = ""] = rig.urls;
    await seedCollection(a, "fresh", { points: 1, dim: 2 });
    // The bash tool's plain lines, without a final newline.
    const before = "http://old:6333,kept\nhttp://old:6333,also kept";
    await rig.write("collections", before);
    rig.emu.resetRequests();

    const summary = await run({}, rig.deps({ QDRANT_SOURCE_HOSTS: a }));

    expect(summary).toMatchObject({ done: 0, skipped: 2, failed: 0, exitCode: EXIT.ok });
    expect(summary.message).toMatch(/already lists 2 collections/);
    expect(rig.emu.requests()).toEqual([]);
    expect(await rig.read("collections")).toBe(before);
  });

  it("fails with an upstream error (exit 4) and writes nothing when one source host is unreachable", async () => {
    const rig = await startRig("get-coll-down", { nodes: 1 });
    const [a = ""] = rig.urls;
    await seedCollection(a, "alpha", { points: 1, dim: 2 });
    const down = `http://127.0.0.1:${await closedPort()}`;
    const deps = rig.deps({ QDRANT_SOURCE_HOSTS: `${a},${down}` });

    const failure = await run({}, deps).then(
      () => undefined,
      (err: unknown) => err,
    );

    expect(failure).toBeInstanceOf(ToolError);
    expect(failure).toMatchObject({ exitCode: EXIT.upstream });
    expect(String(failure)).toContain(down);
    expect(await rig.read("collections")).toBeUndefined();
  });

  it("fails with exit 4 when a source host refuses the API key", async () => {
    const rig = await startRig("get-coll-401", { nodes: 1, apiKey: "right-key-1234" });
    const deps = rig.deps({ QDRANT_SOURCE_HOSTS: rig.urls[0] ?? "", QDRANT_API_KEY: "wrong-key-5678" });

    await expect(run({}, deps)).rejects.toMatchObject({ exitCode: EXIT.upstream });

    expect(await rig.read("collections")).toBeUndefined();
    expect(deps.lines.join("\n")).not.toContain("wrong-key-5678");
  });
});
