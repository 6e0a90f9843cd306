import { mkdtemp, readFile, readdir, rm, stat, writeFile, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { StateFileError } from "../../src/errors.js";
import { STATE_FILES, StateStore, type StateKind } from "../../src/state/files.js";
import { joinKey } from "../../src/state/history.js";
import { SET_STATE_FILE_NAMES, STATE_FILE_NAMES, TOOL_STATE_FILE_NAMES } from "../support/state-names.js";

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "qbr-state-"));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const text = (name: string) => readFile(join(dir, name), "utf8");

describe("StateStore", () => {
  it("uses the bash tool's file names, then this tool's own", () => {
    const store = new StateStore(dir);
    const names = (Object.keys(STATE_FILES) as StateKind[]).map((kind) => store.path(kind));
    expect(names).toEqual(
      [...STATE_FILE_NAMES, ...SET_STATE_FILE_NAMES, ...TOOL_STATE_FILE_NAMES].map((name) => join(dir, name)),
    );
  });

  it("peek reads the rows as read does but changes nothing: a torn last line stays on the file and is returned apart", async () => {
    const file = join(dir, "snapshot_recovery_history");
    const bytes = "http://b:6333,c1-1.snapshot,ok\nhttp://b:6333,c1-2.snap";
    await writeFile(file, bytes);
    const store = new StateStore(dir);

    const peeked = await store.peek("snapshotRecoveryHistory");

    expect(peeked.rows).toEqual([{ host: "http://b:6333", snapshot: "c1-1.snapshot", status: "ok" }]);
    expect(peeked.torn).toMatch(/^http:\/\/b:6333,c1-2\.snap \(.+\)$/);
    expect(await text("snapshot_recovery_history")).toBe(bytes);
    expect(await readdir(dir)).toEqual(["snapshot_recovery_history"]);
    expect(await store.peek("snapshots")).toEqual({ rows: [] });
    expect(await readdir(dir)).toEqual(["snapshot_recovery_history"]);
  });

  it("reads a missing file as no rows and as empty", async () => {
    const store = new StateStore(dir);
    expect(await store.read("snapshots")).toEqual([]);
    expect(await store.isEmpty("snapshots")).toBe(true);
  });

  it("reads files the bash tool wrote into typed rows", async () => {
    await writeFile(join(dir, "snapshots"), "http://a:6333,c1,c1-1.snapshot\nhttp://a:6333,c2,c2-1.snapshot\n");
    await writeFile(join(dir, "snapshot_recovery_history"), "http://b:6333,c1-1.snapshot,ok\n");
    const store = new StateStore(dir);
    expect(await store.read("snapshots")).toEqual([
      { host: "http://a:6333", collection: "c1", snapshot: "c1-1.snapshot" },
      { host: "http://a:6333", collection: "c2", snapshot: "c2-1.snapshot" },
    ]);
    expect(await store.read("snapshotRecoveryHistory")).toEqual([
      { host: "http://b:6333", snapshot: "c1-1.snapshot", status: "ok" },
    ]);
  });

  it("treats a file of blank lines as empty, and anything else as not", async () => {
    const store = new StateStore(dir);
    await writeFile(store.path("collections"), "");
    expect(await store.isEmpty("collections")).toBe(true);
    await writeFile(store.path("collections"), "\uFEFF\n \r\n\t\n");
    expect(await store.isEmpty("collections")).toBe(true);
    expect(await store.read("collections")).toEqual([]);
    await writeFile(store.path("collections"), "\n\nh,c");
    expect(await store.isEmpty("collections")).toBe(false);
  });

  it("appends plain rows the bash tool can read, creating the directory and file", async () => {
    const nested = join(dir, "deep", "state");
    const store = new StateStore(nested);
    await store.append("collections", { host: "http://a:6333", collection: "c1" });
    await store.append("collections", { host: "http://a:6333", collection: "c2" });
    expect(await readFile(join(nested, "collections"), "utf8")).toBe("http://a:6333,c1\nhttp://a:6333,c2\n");
    expect((await stat(join(nested, "collections"))).mode & 0o777).toBe(0o644 & ~process.umask());
  });

  it("writes columns in the file's order whatever the object's key order", async () => {
    const store = new StateStore(dir);
    await store.append("aliasRecoveryHistory", { status: "ok", alias: "a1", collection: "c1" });
    expect(await text("alias_recovery_history")).toBe("c1,a1,ok\n");
  });

  it("quotes hostile values and reads them back intact", async () => {
    const store = new StateStore(dir);
    const rows = [
      { collection: "c,1", alias: 'say "hi"' },
      { collection: "multi\nline", alias: " padded " },
      { collection: "ünï😀", alias: "x".repeat(255) },
    ];
    await store.appendMany("collectionAliases", rows);
    expect(await store.read("collectionAliases")).toEqual(rows);
  });

  it("keeps 200 concurrent appends intact and unmixed", async () => {
    const store = new StateStore(dir);
    const rows = Array.from({ length: 200 }, (_, i) => ({
      host: `http://host-${i % 7}:6333`,
      collection: `coll,${i}`,
      snapshot: `snap-${i}-${"z".repeat(i)}.snapshot`,
    }));
    await Promise.all(rows.map((row) => store.append("snapshots", row)));
    await store.close();
    const read = await new StateStore(dir).read("snapshots");
    expect(read).toHaveLength(200);
    const key = (r: { snapshot: string }) => r.snapshot;
    expect(read.map(key).sort()).toEqual(rows.map(key).sort());
    expect((await text("snapshots")).split("\n")).toHaveLength(201);
  });

  it("keeps concurrent appends from two stores on the same directory whole (O_APPEND, one write each)", async () => {
    const a = new StateStore(dir);
    const b = new StateStore(dir);
    const rows = Array.from({ length: 100 }, (_, i) => ({ host: "h", snapshot: `s${i}`, status: "ok" }));
    await Promise.all(rows.map((row, i) => (i % 2 === 0 ? a : b).append("snapshotRecoveryHistory", row)));
    expect(await a.read("snapshotRecoveryHistory")).toHaveLength(100);
  });

  it("adds the missing newline before appending to a hand-edited file", async () => {
    await writeFile(join(dir, "collections"), "http://a:6333,c1");
    const store = new StateStore(dir);
    await store.append("collections", { host: "http://a:6333", collection: "c2" });
    expect(await text("collections")).toBe("http://a:6333,c1\nhttp://a:6333,c2\n");
  });

  it("does not add a newline to a CRLF file or an empty file", async () => {
    await writeFile(join(dir, "collections"), "h,c1\r\n");
    await writeFile(join(dir, "snapshots"), "");
    const store = new StateStore(dir);
    await store.append("collections", { host: "h", collection: "c2" });
    await store.append("snapshots", { host: "h", collection: "c", snapshot: "s" });
    expect(await text("collections")).toBe("h,c1\r\nh,c2\n");
    expect(await text("snapshots")).toBe("h,c,s\n");
  });

  it("appends many rows in one go, and nothing for an empty list", async () => {
    const store = new StateStore(dir);
    await store.appendMany("collections", []);
    await expect(stat(store.path("collections"))).rejects.toMatchObject({ code: "ENOENT" });
    await store.appendMany("collections", [
      { host: "h", collection: "a" },
      { host: "h", collection: "b" },
    ]);
    expect(await text("collections")).toBe("h,a\nh,b\n");
  });

  it("sees its own pending appends when reading", async () => {
    const store = new StateStore(dir);
    const pending = store.append("collections", { host: "h", collection: "a" });
    expect(await store.read("collections")).toEqual([{ host: "h", collection: "a" }]);
    expect(await store.isEmpty("collections")).toBe(false);
    await pending;
  });

  it("rejects a row with a missing field or a NUL byte, writing nothing", async () => {
    const store = new StateStore(dir);
    const incomplete = { host: "h" } as unknown as { host: string; collection: string };
    await expect(store.append("collections", incomplete)).rejects.toThrow(/collection/);
    await expect(store.append("collections", { host: "h", collection: "a\u0000" })).rejects.toThrow(/NUL/);
    expect(await store.isEmpty("collections")).toBe(true);
  });

  it("reports a malformed file as a StateFileError naming path and line", async () => {
    await writeFile(join(dir, "snapshots"), "h,c,s\nh,c\n");
    const err = await new StateStore(dir).read("snapshots").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StateFileError);
    expect(err).toMatchObject({ file: join(dir, "snapshots"), line: 2 });
  });

  it("reports invalid UTF-8 with its line", async () => {
    await writeFile(join(dir, "collections"), Buffer.concat([Buffer.from("h,a\nh,b\nh,"), Buffer.from([0xff, 0x0a])]));
    const err = await new StateStore(dir).read("collections").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StateFileError);
    expect(err).toMatchObject({ line: 3, message: expect.stringContaining("invalid UTF-8") });
  });

  it("reports an unreadable path as a StateFileError", async () => {
    await mkdir(join(dir, "collections"));
    await expect(new StateStore(dir).read("collections")).rejects.toBeInstanceOf(StateFileError);
    await expect(new StateStore(dir).append("collections", { host: "h", collection: "c" })).rejects.toBeInstanceOf(
      StateFileError,
    );
  });

  it("reports a write failure as a StateFileError", async () => {
    // A state "directory" that is a regular file fails for root too (ENOTDIR), unlike a chmod-ed directory.
    const notADir = join(dir, "plain-file");
    await writeFile(notADir, "x");
    await expect(new StateStore(notADir).append("collections", { host: "h", collection: "c" })).rejects.toBeInstanceOf(
      StateFileError,
    );
  });

  it("keeps appending after one append failed", async () => {
    const store = new StateStore(dir);
    await mkdir(join(dir, "collections"));
    await expect(store.append("collections", { host: "h", collection: "c" })).rejects.toBeInstanceOf(StateFileError);
    await rm(join(dir, "collections"), { recursive: true });
    await store.append("collections", { host: "h", collection: "c" });
    expect(await text("collections")).toBe("h,c\n");
  });

  it("waits for pending appends on close, then refuses new ones", async () => {
    const store = new StateStore(dir);
    const pending = Array.from({ length: 10 }, (_, i) =>
      store.append("collections", { host: "h", collection: `c${i}` }),
    );
    await store.close();
    expect((await text("collections")).split("\n")).toHaveLength(11);
    await Promise.all(pending);
    await expect(store.append("collections", { host: "h", collection: "late" })).rejects.toThrow(/closed/);
    await store.close();
  });

  describe("reset", () => {
    const now = new Date(2026, 0, 29, 11, 44, 3); // local time, like `date +%F_%H-%M-%S`

    async function seed(store: StateStore) {
      await store.append("collections", { host: "h", collection: "c" });
      await store.append("snapshots", { host: "h", collection: "c", snapshot: "s" });
      await store.append("aliasRecoveryHistory", { collection: "c", alias: "a", status: "ok" });
    }

    it("deletes the state files that exist and leaves other files alone", async () => {
      const store = new StateStore(dir);
      await seed(store);
      await writeFile(join(dir, "notes.txt"), "keep me");
      const result = await store.reset({ bkp: false, now });
      expect(result.backedUp).toEqual([]);
      expect(result.removed).toEqual(
        ["collections", "snapshots", "alias_recovery_history"].map((name) => join(dir, name)),
      );
      expect(await readdir(dir)).toEqual(["notes.txt"]);
      expect(await store.read("collections")).toEqual([]);
    });

    it("renames the state files to timestamped backups with --bkp", async () => {
      const store = new StateStore(dir);
      await seed(store);
      const result = await store.reset({ bkp: true, now });
      expect(result.removed).toEqual([]);
      expect(result.backedUp).toEqual(
        ["collections", "snapshots", "alias_recovery_history"].map((name) =>
          join(dir, `${name}-2026-01-29_11-44-03.bkp`),
        ),
      );
      expect((await readdir(dir)).sort()).toEqual([
        "alias_recovery_history-2026-01-29_11-44-03.bkp",
        "collections-2026-01-29_11-44-03.bkp",
        "snapshots-2026-01-29_11-44-03.bkp",
      ]);
      expect(await text("collections-2026-01-29_11-44-03.bkp")).toBe("h,c\n");
      expect(await store.isEmpty("collections")).toBe(true);
    });

    it("never overwrites an earlier backup taken in the same second", async () => {
      const store = new StateStore(dir);
      await store.append("collections", { host: "h", collection: "first" });
      await store.reset({ bkp: true, now });
      await store.append("collections", { host: "h", collection: "second" });
      await store.reset({ bkp: true, now });
      await store.append("collections", { host: "h", collection: "third" });
      const result = await store.reset({ bkp: true, now });
      expect(result.backedUp).toEqual([join(dir, "collections-2026-01-29_11-44-03-2.bkp")]);
      expect(await text("collections-2026-01-29_11-44-03.bkp")).toBe("h,first\n");
      expect(await text("collections-2026-01-29_11-44-03-1.bkp")).toBe("h,second\n");
      expect(await text("collections-2026-01-29_11-44-03-2.bkp")).toBe("h,third\n");
    });

    it("does nothing on an empty or missing directory", async () => {
      expect(await new StateStore(dir).reset({ bkp: true, now })).toEqual({ removed: [], backedUp: [] });
      expect(await new StateStore(join(dir, "absent")).reset({ bkp: false, now })).toEqual({
        removed: [],
        backedUp: [],
      });
    });

    it("runs after appends already requested", async () => {
      const store = new StateStore(dir);
      const pending = store.append("collections", { host: "h", collection: "c" });
      const result = await store.reset({ bkp: false, now });
      await pending;
      expect(result.removed).toEqual([join(dir, "collections")]);
      expect(await store.isEmpty("collections")).toBe(true);
    });
  });
});

describe("joinKey", () => {
  it("does not confuse keys whose parts contain separator-like characters", () => {
    expect(joinKey("a,b", "c")).not.toBe(joinKey("a", "b,c"));
    expect(joinKey("a,b", "c")).toBe(joinKey("a,b", "c"));
  });
});

describe("StateStore with dryRun", () => {
  it("keeps appends and replaces in memory for later reads and writes no byte; reset and moveAside only name their targets", async () => {
    const torn = "http://a:6333,c1,c1-1.snapshot\nhttp://a:6333,c2";
    await writeFile(join(dir, "snapshots"), torn);
    await writeFile(join(dir, "collections"), "http://a:6333,c1\n");
    await writeFile(join(dir, "collections-2026-01-29_11-44-05.bkp"), "older\n");
    const before = (await readdir(dir)).sort();
    const warnings: string[] = [];
    const store = new StateStore(dir, { dryRun: true, warn: (m) => warnings.push(m) });
    expect(store.dryRun).toBe(true);

    // The torn last line is not used, and left in place.
    expect(await store.read("snapshots")).toEqual([
      { host: "http://a:6333", collection: "c1", snapshot: "c1-1.snapshot" },
    ]);
    expect(warnings).toEqual([expect.stringContaining("dry run: left in place")]);
    await store.append("snapshots", { host: "http://b:6333", collection: "c2", snapshot: "c2-1.snapshot" });
    expect((await store.read("snapshots")).map((r) => r.host)).toEqual(["http://a:6333", "http://b:6333"]);
    await store.appendMany("collectionAliases", [{ collection: "c1", alias: "a1" }]);
    expect(await store.isEmpty("collectionAliases")).toBe(false);
    await store.replace("collections", Buffer.from("http://z:6333,c9\n"));
    expect(await store.read("collections")).toEqual([{ host: "http://z:6333", collection: "c9" }]);

    const at = new Date(2026, 0, 29, 11, 44, 5);
    expect(await store.reset({ bkp: true, now: at })).toEqual({
      removed: [],
      backedUp: [join(dir, "collections-2026-01-29_11-44-05-1.bkp"), join(dir, "snapshots-2026-01-29_11-44-05.bkp")],
    });
    expect(await store.reset({ bkp: false, now: at })).toEqual({
      removed: [join(dir, "collections"), join(dir, "snapshots")],
      backedUp: [],
    });
    expect(await store.moveAside("snapshots", at, ".local.bkp")).toBe(
      join(dir, "snapshots-2026-01-29_11-44-05.local.bkp"),
    );
    expect(await store.read("snapshots")).toEqual([]);
    await store.close();

    expect((await readdir(dir)).sort()).toEqual(before);
    expect(await text("snapshots")).toBe(torn);
    expect(await text("collections")).toBe("http://a:6333,c1\n");
  });
});
