// Collection and alias names with commas, spaces, quotes, newlines, tabs, S3-reserved characters, unicode and the
// maximum length, taken through a full backup and restore by the built CLI (bash defect 6): the state files stay
// valid RFC 4180 and parse back to the same names, and the targets end up with the same data.
import { copyFile, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createAlias, listAliases, readAllPoints, seedCollection } from "../support/emulator/seed.js";
import { makeTempDir } from "../support/tmp.js";
import { expectExit, expectLogLines, readStateRows, snapshotDir } from "./harness.js";
import { startRig, type Rig } from "./rig.js";

const s3 = inject("s3");
// Qdrant refuses < > : " \ | ? * / in collection names; everything else goes.
const COLLECTIONS = [
  "a,b c",
  "it's 'single', quoted",
  " edge spaces ",
  "line\nbreak",
  "crlf\r\nbreak",
  "100% [done] {x} ~#^`",
  "tab\there",
  "semi;colon=eq&amp+plus",
  // Long, but short enough that the snapshot file (`{name}-{peer id}-{time}.snapshot`, 46 more bytes) and the local
  // S3 server's companion files (`…._S3rver_metadata.json`) fit in a 255-byte file name.
  "y".repeat(180),
];
const ALIASES: [collection: string, alias: string][] = [
  ["a,b c", 'alias, with "double" quotes'],
  ["line\nbreak", "multi\nline\nalias"],
  [" edge spaces ", "ünï-alias 集合 🚀"],
  ["100% [done] {x} ~#^`", "a".repeat(255)],
  ["it's 'single', quoted", "tab\talias"],
  ["tab\there", '"'],
];
const UNICODE = "ünïcödé 集合 🚀";
let rig: Rig;
let src = "";
const temps: (() => Promise<void>)[] = [];

async function tempDir(label: string): Promise<string> {
  const t = await makeTempDir(label);
  temps.push(t.cleanup);
  return t.dir;
}

const sortStrings = (xs: string[]): string[] => [...xs].sort();

beforeAll(async () => {
  rig = await startRig(s3, { label: "hostile-names", sourceNodes: 1, targetNodes: 2 });
  src = rig.source.urls[0] ?? "";
  for (const [i, name] of COLLECTIONS.entries())
    await seedCollection(src, name, { points: 5 + i, dim: 3, apiKey: rig.apiKey });
  for (const [collection, alias] of ALIASES) await createAlias(src, collection, alias, rig.apiKey);
});

afterAll(async () => {
  await rig?.stop();
  for (const cleanup of temps) await cleanup();
});

describe("hostile collection and alias names, full round trip", () => {
  let dir = "";
  beforeAll(async () => {
    dir = await tempDir("hostile");
  });

  it("create_snap get_colla, then recover_snap recover_colla: exit 0 both times", async () => {
    const backup = await rig.run(["create_snap", "get_colla"], dir);
    expectExit(backup, 0);
    expectLogLines(backup.stderr);
    expect(backup.stdout).toMatch(new RegExp(`Snapshots created: ${COLLECTIONS.length}, accepted: 0, failed: 0`));
    const restore = await rig.run(["recover_snap", "recover_colla"], dir);
    expectExit(restore, 0);
    expectLogLines(restore.stderr);
    expect(restore.stdout).toContain(
      `Snapshots recovered: ${COLLECTIONS.length * 2}, accepted: 0, already recovered: 0, failed: 0`,
    );
    expect(restore.stdout).toContain(`Aliases recovered: ${ALIASES.length * 2}, already recovered: 0, failed: 0`);
  });

  it("the state files are valid RFC 4180 and parse back to exactly the names", async () => {
    const collections = await readStateRows(dir, "collections", 2);
    expect(sortStrings(collections.map((r) => r[1] ?? ""))).toEqual(sortStrings(COLLECTIONS));
    expect(collections.every((r) => r[0] === src)).toBe(true);
    const snapshots = await readStateRows(dir, "snapshots", 3);
    expect(sortStrings(snapshots.map((r) => r[1] ?? ""))).toEqual(sortStrings(COLLECTIONS));
    for (const [, collection, name] of snapshots)
      expect(name?.startsWith(`${collection}-`) && name.endsWith(".snapshot")).toBe(true);
    const aliases = await readStateRows(dir, "collection_aliases", 2);
    expect(sortStrings(aliases.map((r) => r.join("\0")))).toEqual(sortStrings(ALIASES.map((a) => a.join("\0"))));
    const history = await readStateRows(dir, "snapshot_recovery_history", 3);
    expect(sortStrings(history.map((r) => `${r[0]}\0${r[1]}\0${r[2]}`))).toEqual(
      sortStrings(
        rig.target.urls.flatMap((t) => snapshots.flatMap((s) => [`${t}\0${s[2]}\0ok`, `${t}\0${s[2]}\0verified`])),
      ),
    );
    const aliasHistory = await readStateRows(dir, "alias_recovery_history", 3);
    expect(aliasHistory).toHaveLength(ALIASES.length * 2);
  });

  it("the targets hold the same points and aliases as the source", async () => {
    const want = await listAliases(src, rig.apiKey);
    expect(want).toHaveLength(ALIASES.length);
    for (const t of rig.target.urls) {
      for (const c of COLLECTIONS)
        expect(await readAllPoints(t, c, rig.apiKey)).toEqual(await readAllPoints(src, c, rig.apiKey));
      expect(await listAliases(t, rig.apiKey)).toEqual(want);
    }
  });

  it("a re-run reads its own files back: nothing to do, nothing changed", async () => {
    const before = await snapshotDir(dir);
    rig.target.resetRequests();
    const r = await rig.run(["recover_snap", "recover_colla"], dir);
    expectExit(r, 0);
    expect(r.stdout).toContain(`already recovered: ${COLLECTIONS.length * 2}, failed: 0`);
    expect(rig.target.requests().filter((q) => q.method !== "GET")).toEqual([]);
    expect(await snapshotDir(dir)).toEqual(before);
  });

  /** Runs get_snap_s3 in a fresh dir, with a `collections` file (every field quoted) or none (list the bucket). */
  async function listFromBucket(withCollections: boolean): Promise<void> {
    const d = await tempDir("hostile-s3");
    if (withCollections) {
      const quote = (f: string | undefined): string => `"${(f ?? "").replaceAll('"', '""')}"`;
      const rows = await readStateRows(dir, "collections", 2);
      await writeFile(path.join(d, "collections"), rows.map((r) => `${quote(r[0])},${quote(r[1])}\r\n`).join(""));
    }
    const want = (await readStateRows(dir, "snapshots", 3)).map((row) => `${row[1]}\0${row[2]}`);
    const r = await rig.run(["get_snap_s3"], d);
    expectExit(r, 0);
    const rows = await readStateRows(d, "snapshots", 3);
    expect(sortStrings(rows.map((row) => `${row[1]}\0${row[2]}`))).toEqual(sortStrings(want));
  }

  it("get_snap_s3 finds the same snapshots under Qdrant's encoded keys, from `collections` (CRLF, all quoted)", async () => {
    await listFromBucket(true);
  });

  it("get_snap_s3 finds the same snapshots from the bucket alone", async () => {
    await listFromBucket(false);
  });
});

describe("a collection name too long to snapshot (255 characters)", () => {
  // Qdrant allows 255-character collection names, but the snapshot's file name (46 bytes longer) exceeds the 255-byte
  // file-name limit: Qdrant writes it to disk before uploading it; here the local S3 server, which stores objects as
  // files, refuses it the same way (500).
  it("fails that snapshot (exit 3): no snapshots row, only its failure recorded for --only-failed", async () => {
    const name = "z".repeat(255);
    await seedCollection(src, name, { points: 2, dim: 2, apiKey: rig.apiKey });
    const dir = await tempDir("hostile-255");
    await writeFile(path.join(dir, "collections"), `${src},${name}\n`);
    const before = await snapshotDir(dir);
    const r = await rig.run(["create_snap"], dir);
    expectExit(r, 3);
    expectLogLines(r.stderr);
    expect(r.stdout).toBe("[create_snap] Snapshots created: 0, accepted: 0, failed: 1\n");
    expect(r.stderr).toContain(name);
    const after = await snapshotDir(dir);
    expect(after["collections"]).toEqual(before["collections"]);
    expect(Object.keys(after).sort()).toEqual(["collections", "snapshot_failures"]);
    expect(await readFile(path.join(dir, "snapshot_failures"), "utf8")).toBe(`${src},${name},failed\n`);
  });
});

describe("a unicode collection name", () => {
  // Qdrant's object store percent-encodes every non-ASCII byte of a key segment (object_store PathPart), so the
  // snapshots of this collection live under `snapshots/%C3%BCn%C3%AF…/`.
  it("survives backup, listing and restore", async () => {
    await seedCollection(src, UNICODE, { points: 7, dim: 3, apiKey: rig.apiKey });
    await createAlias(src, UNICODE, `${UNICODE} alias`, rig.apiKey);
    const dir = await tempDir("hostile-unicode");
    await writeFile(path.join(dir, "collections"), `${src},${UNICODE}\n`);
    await writeFile(path.join(dir, "collection_aliases"), `${UNICODE},${UNICODE} alias\n`);
    expectExit(await rig.run(["create_snap"], dir), 0);
    const listed = await tempDir("hostile-unicode-s3");
    await copyFile(path.join(dir, "collections"), path.join(listed, "collections"));
    expectExit(await rig.run(["get_snap_s3"], listed), 0, { soft: true });
    expect.soft(await readStateRows(listed, "snapshots", 3)).toEqual(await readStateRows(dir, "snapshots", 3));
    expectExit(await rig.run(["recover_snap", "recover_colla"], dir), 0);
    for (const t of rig.target.urls) {
      expect(await readAllPoints(t, UNICODE, rig.apiKey)).toEqual(await readAllPoints(src, UNICODE, rig.apiKey));
    }
  });
});
