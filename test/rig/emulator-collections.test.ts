// Collections and aliases: create/info/exists/delete and the alias action semantics.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type Emulator } from "../support/emulator/index.js";
import { createAlias, listAliases, seedCollection } from "../support/emulator/seed.js";
import { call } from "../support/emulator/test-http.js";
import {
  assertAliases,
  assertCollectionInfo,
  assertSnapshotDescription,
  assertSnapshotList,
  expectError,
  expectOk,
} from "../support/emulator/validators.js";

let emu: Emulator;
let url = "";
const aliasActions = (...actions: unknown[]) => call(url, "POST", "/collections/aliases", { body: { actions } });

beforeAll(async () => {
  emu = await startEmulator();
  url = emu.urls[0] ?? "";
  await seedCollection(url, "books", { points: 4, dim: 3 });
  await seedCollection(url, "films", { points: 2, dim: 3 });
});
afterAll(() => emu.stop());

describe("collections", () => {
  it("create accepts config diffs and reports them", async () => {
    const body = {
      vectors: { img: { size: 8, distance: "Dot" }, txt: { size: 4, distance: "Euclid" } },
      shard_number: 2,
      hnsw_config: { m: 32 },
      optimizers_config: { indexing_threshold: 0 },
    };
    expect(expectOk((await call(url, "PUT", "/collections/multi", { body })).json)).toBe(true);
    const info = expectOk((await call(url, "GET", "/collections/multi")).json);
    assertCollectionInfo(info);
    expect(info.config.params.shard_number).toBe(2);
    expect(info.config.hnsw_config.m).toBe(32);
    expect(info.config.optimizer_config.indexing_threshold).toBe(0);
  });

  it("exists answers true/false, never 404, and resolves aliases", async () => {
    await createAlias(url, "books", "library");
    expect(expectOk((await call(url, "GET", "/collections/books/exists")).json)).toEqual({ exists: true });
    expect(expectOk((await call(url, "GET", "/collections/library/exists")).json)).toEqual({ exists: true });
    expect(expectOk((await call(url, "GET", "/collections/nothing/exists")).json)).toEqual({ exists: false });
  });

  it("refuses to create a collection named like an alias", async () => {
    const r = await call(url, "PUT", "/collections/library", { body: { vectors: { size: 3, distance: "Dot" } } });
    expect(r.status).toBe(400);
    expect(expectError(r.json)).toBe(
      "Wrong input: Can't create collection with name library. Alias with the same name already exists",
    );
  });

  it("delete drops the collection's aliases but keeps its snapshot files", async () => {
    await seedCollection(url, "temp", { points: 2, dim: 2 });
    await createAlias(url, "temp", "temp-live");
    const snap = expectOk((await call(url, "POST", "/collections/temp/snapshots")).json);
    assertSnapshotDescription(snap);
    expect(expectOk((await call(url, "DELETE", "/collections/temp")).json)).toBe(true);
    expect((await listAliases(url)).map((a) => a.alias_name)).not.toContain("temp-live");
    expect(existsSync(join(emu.nodes[0]?.snapshotsDir ?? "", "temp", snap.name))).toBe(true);
    // Collection-scoped snapshot routes 404 while the collection is gone…
    expect((await call(url, "GET", "/collections/temp/snapshots")).status).toBe(404);
    // …and the old file reappears once a collection of that name exists again.
    await seedCollection(url, "temp", { points: 1, dim: 2 });
    const list = expectOk((await call(url, "GET", "/collections/temp/snapshots")).json);
    assertSnapshotList(list);
    expect(list.map((s) => s.name)).toEqual([snap.name]);
  });
});

describe("aliases", () => {
  it("lists all aliases and per collection (empty, not 404, for unknown ones)", async () => {
    const all = expectOk((await call(url, "GET", "/aliases")).json);
    assertAliases(all);
    expect(all.aliases).toContainEqual({ alias_name: "library", collection_name: "books" });
    const none = expectOk((await call(url, "GET", "/collections/unknown/aliases")).json);
    expect(none).toEqual({ aliases: [] });
  });

  it("create re-points silently, 404s for a missing collection, 409s on a collection name", async () => {
    expect((await aliasActions({ create_alias: { collection_name: "films", alias_name: "library" } })).status).toBe(
      200,
    );
    expect((await listAliases(url)).find((a) => a.alias_name === "library")?.collection_name).toBe("films");
    const missing = await aliasActions({ create_alias: { collection_name: "ghost", alias_name: "x" } });
    expect(missing.status).toBe(404);
    expect(expectError(missing.json)).toBe("Not found: Collection `ghost` doesn't exist!");
    const clash = await aliasActions({ create_alias: { collection_name: "films", alias_name: "books" } });
    expect(clash.status).toBe(409);
  });

  it("rename moves an alias; renaming a missing one is 404; delete of a missing one is fine", async () => {
    expect((await aliasActions({ rename_alias: { old_alias_name: "library", new_alias_name: "cinema" } })).status).toBe(
      200,
    );
    expect((await listAliases(url)).map((a) => a.alias_name)).toContain("cinema");
    const r = await aliasActions({ rename_alias: { old_alias_name: "nope", new_alias_name: "x" } });
    expect(r.status).toBe(404);
    expect(expectError(r.json)).toBe("Not found: Alias nope does not exists!");
    expect((await aliasActions({ delete_alias: { alias_name: "never-there" } })).status).toBe(200);
  });

  it("applies a batch atomically: a failing action leaves everything as it was", async () => {
    const before = await listAliases(url);
    const r = await aliasActions(
      { delete_alias: { alias_name: "cinema" } },
      { create_alias: { collection_name: "ghost", alias_name: "y" } },
    );
    expect(r.status).toBe(404);
    expect(await listAliases(url)).toEqual(before);
  });
});
