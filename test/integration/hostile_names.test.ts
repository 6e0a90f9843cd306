// Names Qdrant allows but a naive CSV or S3 key mangles: commas, quotes, spaces at the edges, newlines, characters
// the object store percent-encodes, unicode, long names. They must survive create_snap → get_colla → recover_snap →
// recover_colla, and every state file must round-trip them (RFC 4180 quoting).
import { describe, expect, it } from "vitest";
import { run as createSnap } from "../../src/commands/create_snap.js";
import { run as getColl } from "../../src/commands/get_coll.js";
import { run as getColla } from "../../src/commands/get_colla.js";
import { run as recoverColla } from "../../src/commands/recover_colla.js";
import { run as recoverSnap } from "../../src/commands/recover_snap.js";
import { EXIT } from "../../src/errors.js";
import { createAlias, listAliases, readAllPoints, seedCollection } from "../support/emulator/seed.js";
import { startRig } from "./helpers/rig.js";

/** RFC 4180 as the state files promise it: quote a field holding , " CR LF or edge whitespace; double the quotes. */
function rfc4180(...fields: string[]): string {
  const quoted = fields.map((f) => (/[",\r\n]|^\s|\s$/.test(f) ? `"${f.replaceAll('"', '""')}"` : f));
  return `${quoted.join(",")}\n`;
}

interface Names {
  collections: string[];
  /** alias → collection */
  aliases: [string, string][];
}

/** Seeds `names` on a source node, backs up and restores onto a target node, and checks points, aliases and files. */
async function roundTrip(label: string, names: Names): Promise<void> {
  const rig = await startRig(label, { nodes: 2, peerIds: [4, 9] });
  const [src = "", target = ""] = rig.urls;
  for (const c of names.collections) await seedCollection(src, c, { points: 6, dim: 3 });
  for (const [alias, c] of names.aliases) await createAlias(src, c, alias);
  const env = { QDRANT_SOURCE_HOSTS: src, QDRANT_RESTORE_HOSTS: target, QDRANT_CONCURRENCY: "1" };
  const deps = rig.deps(env);
  const sorted = [...names.collections].sort();

  expect(await getColl({}, deps)).toMatchObject({ done: names.collections.length, exitCode: EXIT.ok });
  expect(await rig.read("collections")).toBe(sorted.map((c) => rfc4180(src, c)).join(""));

  expect(await createSnap({}, deps)).toMatchObject({ done: names.collections.length, failed: 0, exitCode: EXIT.ok });
  const snapshots = await deps.state.read("snapshots");
  expect(snapshots.map((r) => r.collection).sort()).toEqual(sorted);
  for (const r of snapshots) expect(r.snapshot).toBe(`${r.collection}-4-${r.snapshot.slice(-28, -9)}.snapshot`);
  expect(await rig.read("snapshots")).toBe(snapshots.map((r) => rfc4180(r.host, r.collection, r.snapshot)).join(""));

  expect(await getColla({}, deps)).toMatchObject({ done: names.aliases.length, exitCode: EXIT.ok });
  const expectedAliases = names.aliases.map(([alias, c]) => ({ alias_name: alias, collection_name: c }));
  const byAlias = (a: { alias_name: string }, b: { alias_name: string }) => (a.alias_name < b.alias_name ? -1 : 1);
  expect(
    (await deps.state.read("collectionAliases"))
      .map((r) => ({ alias_name: r.alias, collection_name: r.collection }))
      .sort(byAlias),
  ).toEqual([...expectedAliases].sort(byAlias));
  const aliasRows = [...expectedAliases].sort(byAlias);
  expect(await rig.read("collection_aliases")).toBe(
    aliasRows.map((a) => rfc4180(a.collection_name, a.alias_name)).join(""),
  );

  expect(await recoverSnap({}, deps)).toMatchObject({ done: names.collections.length, failed: 0, exitCode: EXIT.ok });
  expect(await rig.read("failed_snapshot_recovery")).toBeUndefined();
  // Each recovery's `ok`, and the `verified` of its passing check (in completion order).
  const recovered = (await deps.state.read("snapshotRecoveryHistory"))
    .map((r) => `${r.host} ${r.snapshot} ${r.status}`)
    .sort();
  expect(recovered).toEqual(
    snapshots.flatMap((r) => [`${target} ${r.snapshot} ok`, `${target} ${r.snapshot} verified`]).sort(),
  );
  for (const c of names.collections) expect(await readAllPoints(target, c)).toEqual(await readAllPoints(src, c));

  expect(await recoverColla({}, deps)).toMatchObject({ done: names.aliases.length, failed: 0, exitCode: EXIT.ok });
  expect(await listAliases(target)).toEqual(await listAliases(src));
  expect(await rig.read("alias_recovery_history")).toBe(
    aliasRows.map((a) => rfc4180(a.collection_name, a.alias_name, `ok@${target}`)).join(""),
  );
  const history = await deps.state.read("aliasRecoveryHistory");
  expect(history.map((r) => r.alias).sort()).toEqual(names.aliases.map(([a]) => a).sort());
  expect(history.every((r) => r.status === `ok@${target}`)).toBe(true);
}

describe("hostile names", () => {
  it("commas, quotes, edge spaces, newlines and object-store-escaped characters survive a backup and restore", async () => {
    await roundTrip("hostile-ascii", {
      collections: ["a,b c", " padded ", "line\nbreak", "it's 'quoted'", "tmp#1 [v2]~{x}^%`", "crlf\r\nend"],
      aliases: [
        ['al,i"as', "a,b c"],
        ["multi\nline alias", "line\nbreak"],
        ['"fully quoted"', " padded "],
        ["tab\there", "tmp#1 [v2]~{x}^%`"],
      ],
    });
  });

  it("long names survive a backup and restore", async () => {
    // 190 characters: the local S3 server keeps each object as files named `{key's last segment}._S3rver_…`, so the
    // snapshot name `{c}-4-{time}.snapshot` must stay well under 255 bytes there (real S3 takes 1,024-byte keys).
    // The 255-character case below covers the state files and aliases.
    await roundTrip("hostile-long", { collections: ["L".repeat(190)], aliases: [["A".repeat(255), "L".repeat(190)]] });
  });

  it("unicode names survive a backup and restore", async () => {
    await roundTrip("hostile-unicode", {
      collections: ["ünïcødé-日本-😀"],
      aliases: [["псевдоним", "ünïcødé-日本-😀"]],
    });
  });

  it("names the object store percent-encodes come back from the bucket's listing decoded", async () => {
    const rig = await startRig("hostile-bucket", { nodes: 2, peerIds: [4, 9] });
    const [src = "", target = ""] = rig.urls;
    const names = ["tmp#1 [v2]~{x}^%`", "line\nbreak", "ünïcødé-日本", "a,b c"];
    for (const c of names) await seedCollection(src, c, { points: 3, dim: 2 });
    expect(await createSnap({}, rig.deps({ QDRANT_SOURCE_HOSTS: src }))).toMatchObject({
      done: names.length,
      exitCode: EXIT.ok,
    });
    const created = await rig.deps().state.read("snapshots");
    // Qdrant's object store percent-encodes these characters in each key segment; the tool must decode them.
    const escaped = "tmp%231 %5Bv2%5D%7E%7Bx%7D%5E%25%60";
    const stamp = created.find((r) => r.collection.startsWith("tmp"))?.snapshot.slice(-28) ?? "";
    expect(await rig.bucket.keys()).toContain(`snapshots/${escaped}/${escaped}-4-${stamp}`);
    await rig.write("snapshots", "");
    await rig.write("collections", "");

    // No source host: recover_snap lists the bucket (get_snap_s3), decodes the keys and presigns them again.
    const summary = await recoverSnap({}, rig.deps({ QDRANT_RESTORE_HOSTS: target }));

    expect(summary).toMatchObject({ done: names.length, failed: 0, exitCode: EXIT.ok });
    const listed = await rig.deps().state.read("snapshots");
    expect(listed.map((r) => [r.host, r.collection, r.snapshot]).sort()).toEqual(
      created.map((r) => ["", r.collection, r.snapshot]).sort(),
    );
    for (const c of names) expect(await readAllPoints(target, c)).toEqual(await readAllPoints(src, c));
  });

  it("a 255-character collection name round-trips through collections, aliases and their history", async () => {
    const rig = await startRig("hostile-255", { nodes: 2 });
    const [src = "", target = ""] = rig.urls;
    const name = `${"x".repeat(120)},${" ".repeat(3)}'${"y".repeat(130)}`;
    expect([...name]).toHaveLength(255);
    await seedCollection(src, name, { points: 1, dim: 2 });
    await seedCollection(target, name, { points: 1, dim: 2 });
    await createAlias(src, name, name.replace(/x/g, "z"));
    const deps = rig.deps({ QDRANT_SOURCE_HOSTS: src, QDRANT_RESTORE_HOSTS: target });

    await getColl({}, deps);
    expect(await rig.read("collections")).toBe(rfc4180(src, name));
    expect(await deps.state.read("collections")).toEqual([{ host: src, collection: name }]);
    expect(await recoverColla({}, deps)).toMatchObject({ done: 1, exitCode: EXIT.ok });
    expect(await rig.read("collection_aliases")).toBe(rfc4180(name, name.replace(/x/g, "z")));
    expect(await listAliases(target)).toEqual([{ alias_name: name.replace(/x/g, "z"), collection_name: name }]);
  });
});
