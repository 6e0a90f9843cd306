// A full disk during an append to a state file: the append is all or nothing. The write is made to fail part-way
// by an injected write() that writes part of the row in short writes, then fails (the real full volume is in
// full-disk.test.ts). A torn last row left by an older version (or written by hand) is set aside, never read as data.
import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { StateFileError } from "../../src/errors.js";
import { StateStore } from "../../src/state/files.js";
import { writeFd, type WriteFd } from "../../src/lib/fd-append.js";
import { makeTempDir } from "../support/tmp.js";

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ dir, cleanup } = await makeTempDir("full-append"));
});
afterEach(async () => cleanup());

const ROW = { host: "http://a:6333", collection: "c1", snapshot: "c1-111-2026-01-01-00-00-00.snapshot" };
const enospc = (): NodeJS.ErrnoException =>
  Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" });

/** A write() that writes at most `budget` bytes in all, then fails with `error()`; short writes before that. */
function failingAfter(budget: number, error: () => NodeJS.ErrnoException = enospc): WriteFd {
  let left = budget;
  return async (fd, buffer, offset, length) => {
    if (left <= 0) throw error();
    const n = Math.min(length, left, 7); // short writes, as a nearly full file system gives
    left -= n;
    return writeFd(fd, buffer, offset, n);
  };
}

describe("an append that fails part-way", () => {
  for (const code of ["ENOSPC", "EDQUOT", "EIO"]) {
    it(`cuts the file back to its rows before the append and names the file, the reason and the cure (${code})`, async () => {
      const good = new StateStore(dir);
      await good.append("snapshots", ROW);
      const before = await readFile(good.path("snapshots"));
      await good.close();
      const store = new StateStore(dir, {
        write: failingAfter(20, () => Object.assign(new Error(`${code}: failed, write`), { code })),
      });
      const err = await store.append("snapshots", { ...ROW, collection: "c2" }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StateFileError);
      expect((err as StateFileError).exitCode).toBe(2);
      const message = (err as Error).message;
      expect(message).toContain(store.path("snapshots"));
      expect(message).toContain(`cannot append`);
      expect(message).toContain(`(${code})`);
      expect(message).toContain("nothing of it was kept");
      expect(message).toContain(
        code === "EIO" ? `check the volume that holds ${dir}` : `free space on the volume that holds ${dir}`,
      );
      expect(message).not.toContain("\n");
      expect(await readFile(store.path("snapshots"))).toEqual(before);
      // The next append (space freed) goes on from the whole rows.
      await store.close();
      const again = new StateStore(dir);
      await again.append("snapshots", { ...ROW, collection: "c2" });
      expect(await again.read("snapshots")).toEqual([ROW, { ...ROW, collection: "c2" }]);
      await again.close();
    });
  }

  it("cuts back a first append to a new file, and a row after a line without a newline, to nothing", async () => {
    await writeFile(join(dir, "collections"), "http://a:6333,c0");
    const store = new StateStore(dir, { write: failingAfter(5) });
    await expect(store.append("collections", { host: "http://a:6333", collection: "c1" })).rejects.toThrow(/ENOSPC/);
    await expect(store.append("snapshots", ROW)).rejects.toThrow(/ENOSPC/);
    expect(await readFile(join(dir, "collections"), "utf8")).toBe("http://a:6333,c0");
    expect(await readFile(join(dir, "snapshots"), "utf8")).toBe("");
    await store.close();
  });
});

describe("a torn last row", () => {
  it("written by hand is reported, set aside in <file>.torn-<time> and not used; a whole last row without a newline is used", async () => {
    const whole = "http://a:6333,c1,c1-1.snapshot\n";
    await writeFile(join(dir, "snapshots"), `${whole}http://a:6333,c2,c2-1.snap`);
    await writeFile(
      join(dir, "snapshot_recovery_history"),
      "http://b:6333,c1-1.snapshot,ok\nhttp://b:6333,c2-1.snapshot,ok",
    );
    const warnings: string[] = [];
    const store = new StateStore(dir, { warn: (m) => warnings.push(m) });
    expect(await store.read("snapshots")).toEqual([
      { host: "http://a:6333", collection: "c1", snapshot: "c1-1.snapshot" },
    ]);
    expect(await store.read("snapshotRecoveryHistory")).toHaveLength(2);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(
      /snapshots: its last line "http:\/\/a:6333,c2,c2-1\.snap" is not a whole row .*set aside in .*snapshots\.torn-\d{4}-\d\d-\d\d_\d\d-\d\d-\d\d and not used/,
    );
    const copies = (await readdir(dir)).filter((n) => n.startsWith("snapshots.torn-"));
    expect(copies).toHaveLength(1);
    expect(await readFile(join(dir, copies[0]!), "utf8")).toBe(`${whole}http://a:6333,c2,c2-1.snap`);
    expect(await readFile(join(dir, "snapshots"), "utf8")).toBe(whole);
    // An append after it starts on a line of its own; the torn bytes never come back.
    await store.append("snapshots", { host: "http://a:6333", collection: "c2", snapshot: "c2-2.snapshot" });
    expect(await readFile(join(dir, "snapshots"), "utf8")).toBe(`${whole}http://a:6333,c2,c2-2.snapshot\n`);
    await store.close();
  });

  it("alone in a file makes it empty, for the tasks that only ask whether a file is empty", async () => {
    await writeFile(join(dir, "snapshots"), "http://a:6333,c1,c1-1.snaps");
    const warnings: string[] = [];
    const store = new StateStore(dir, { warn: (m) => warnings.push(m) });
    expect(await store.isEmpty("snapshots")).toBe(true);
    expect(warnings).toHaveLength(1);
    expect(await readFile(join(dir, "snapshots"), "utf8")).toBe("");
    await store.close();
  });

  it("is set aside before an append, never glued onto a newline where it would pass for a row", async () => {
    await writeFile(join(dir, "snapshots"), "http://a:6333,c1,c1-1.snapshot\nhttp://a:6333,c2,c2-1.sn");
    const warnings: string[] = [];
    const store = new StateStore(dir, { warn: (m) => warnings.push(m) });
    await store.append("snapshots", { host: "http://a:6333", collection: "c3", snapshot: "c3-1.snapshot" });
    expect(await readFile(join(dir, "snapshots"), "utf8")).toBe(
      "http://a:6333,c1,c1-1.snapshot\nhttp://a:6333,c3,c3-1.snapshot\n",
    );
    expect(warnings).toHaveLength(1);
    await store.close();
  });

  it.each([
    ["collections", "collections", Buffer.from("h,c\nhttp://a:6333"), "not a row of 2 fields"],
    ["snapshots", "snapshots", Buffer.from('h,c,a.snapshot\nh,c,"c-1.snap'), "not a row of 3 fields"],
    [
      "snapshotRecoveryHistory",
      "snapshot_recovery_history",
      Buffer.from("h,a.snapshot,ok\nh,b.snapshot,o"),
      "not a recovery status",
    ],
    [
      "failedSnapshotRecovery",
      "failed_snapshot_recovery",
      Buffer.from("h,a.snapshot,http-500\nh,b.snapshot,http-5"),
      "not a failure status",
    ],
    [
      "aliasRecoveryHistory",
      "alias_recovery_history",
      Buffer.from("c,a,ok@http://b:6333\nc,b,ok@htt"),
      "whole restore host",
    ],
    [
      "prunedSnapshots",
      "pruned_snapshots",
      Buffer.from("s3://b,k,2026-01-01T00:00:00.000Z\ns3://b,k2,2026-01-01T00:0"),
      "not a whole deletion time",
    ],
    ["fullSnapshots", "full_snapshots", Buffer.from("h,full-1.snapshot\nh,full-2.snapsh"), "no .snapshot ending"],
    [
      "drillHistory",
      "drill_history",
      Buffer.from("t,c,s,set,b,k,l,h,1,1,1.0,0.1,ok,passed\nt,c,s,set,b,k,l,h,1,1,1.0,0.1,ok,pas"),
      "not a drill verdict",
    ],
    [
      "collectionAliases",
      "collection_aliases",
      Buffer.from("c,a\nc,\u00e9").subarray(0, -1),
      "inside a UTF-8 character",
    ],
  ] as const)("in %s is told from a whole row (%s)", async (kind, name, bytes, reason) => {
    await writeFile(join(dir, name), bytes);
    const warnings: string[] = [];
    const store = new StateStore(dir, { warn: (m) => warnings.push(m) });
    expect(await store.read(kind)).toHaveLength(1);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(reason);
    expect((await readdir(dir)).filter((n) => n.startsWith(`${name}.torn-`))).toHaveLength(1);
    await store.close();
  });
});
