// recover_full_snap against emulator nodes: a full snapshot unpacked as a stream and uploaded collection by collection
// onto running targets, aliases recreated; from the node, a backup directory, S3, or a file; resumable; broken archives.
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { run as createFullSnap } from "../../src/commands/create_full_snap.js";
import { run as recoverFullSnap } from "../../src/commands/recover_full_snap.js";
import { EXIT } from "../../src/errors.js";
import { listAliases, qdrantCall } from "../support/emulator/seed.js";
import {
  API_KEY,
  expectSameStorage,
  packTar,
  readLocalSnapshot,
  seedSource,
  startFullRig,
  untar,
  type FullRig,
} from "./helpers/full-snap.js";
import { csv, sortedLines, waitUntil } from "./helpers/rig.js";

const NAME = "full-snapshot-2026-04-01-02-00-00.snapshot";
const UPLOAD = /^\/collections\/[^/]+\/snapshots\/upload$/;

/** Node 0 is the source (seeded, full snapshot taken with `env`), the others are empty targets. */
async function backedUp(
  label: string,
  nodes: number,
  storage: "local" | "s3",
  env: (rig: FullRig) => Record<string, string> = () => ({}),
) {
  const rig = await startFullRig(label, { nodes, storage });
  const [src = "", ...targets] = rig.urls;
  await seedSource(src);
  expect(await createFullSnap({}, rig.deps({ QDRANT_SOURCE_HOSTS: src, ...env(rig) }))).toMatchObject({
    done: 1,
    exitCode: EXIT.ok,
  });
  rig.emu.resetRequests();
  return { rig, src, targets };
}

const uploadsTo = (rig: FullRig, node: number) =>
  rig.emu.requests().filter((r) => r.node === node && r.method === "POST" && UPLOAD.test(r.path));

describe("recover_full_snap", () => {
  it("local storage: downloads the newest full snapshot from its node, restores every collection and alias on each target", async () => {
    const { rig, src, targets } = await backedUp("full-recover-local", 3, "local");
    const [t1 = "", t2 = ""] = targets;
    const deps = rig.deps({ QDRANT_RESTORE_HOSTS: `${t1},${t2}` });

    const summary = await recoverFullSnap({}, deps);

    expect(summary).toMatchObject({ task: "recover_full_snap", done: 10, failed: 0, skipped: 0, exitCode: EXIT.ok });
    expect(summary.message).toBe(
      `Full snapshot ${NAME}: collections recovered: 4, accepted: 0, aliases created: 6, already restored: 0, failed: 0`,
    );
    await expectSameStorage(src, t1);
    await expectSameStorage(src, t2);
    // Read once per target, straight from the source node; each inner snapshot uploaded under its own file name.
    expect(
      rig.emu
        .requests()
        .filter((r) => r.method === "GET" && r.path === `/snapshots/${NAME}`)
        .map((r) => r.node),
    ).toEqual([0, 0]);
    expect(
      uploadsTo(rig, 1)
        .map((r) => r.path)
        .sort(),
    ).toEqual(["/collections/docs-2024-7/snapshots/upload", "/collections/notes/snapshots/upload"]);
    const id = `${new URL(src).host}/${NAME}`;
    expect(sortedLines(await rig.read("snapshot_recovery_history"))).toEqual(
      [t1, t2].flatMap((h) => [`${h},${id},ok`, `${h},${id}/docs-2024-7,ok`, `${h},${id}/notes,ok`]).sort(),
    );
    expect(sortedLines(await rig.read("alias_recovery_history"))).toEqual(
      [t1, t2]
        .flatMap((h) => [`docs-2024-7,docs-live,ok@${h}`, `docs-2024-7,docs-old,ok@${h}`, `notes,notes-live,ok@${h}`])
        .sort(),
    );
    expect(await rig.read("failed_snapshot_recovery")).toBeUndefined();

    rig.emu.resetRequests();
    const again = await recoverFullSnap({}, rig.deps({ QDRANT_RESTORE_HOSTS: `${t1},${t2}` }));
    expect(again).toMatchObject({ done: 0, skipped: 2, failed: 0, exitCode: EXIT.ok });
    expect(rig.emu.requests().filter((r) => r.method !== "GET" || r.path.startsWith("/snapshots/"))).toEqual([]);
  });

  it("from a backup directory (transfer mode, node copy deleted): the node is not asked for the archive", async () => {
    const env = (rig: FullRig) => ({
      QDRANT_BACKUP_DIR: rig.backupDir,
      QDRANT_SNAPSHOT_TRANSFER: "true",
      QDRANT_DELETE_AFTER_TRANSFER: "true",
    });
    const { rig, src, targets } = await backedUp("full-recover-dir", 2, "local", env);
    const [t1 = ""] = targets;

    const summary = await recoverFullSnap({}, rig.deps({ QDRANT_RESTORE_HOSTS: t1, QDRANT_BACKUP_DIR: rig.backupDir }));

    expect(summary).toMatchObject({ done: 5, failed: 0, exitCode: EXIT.ok });
    await expectSameStorage(src, t1);
    expect(rig.emu.requests().filter((r) => r.path.startsWith("/snapshots"))).toEqual([]);
  });

  it("S3 storage + transfer into the bucket, state lost: lists the destination first, restores from it", async () => {
    const env = (rig: FullRig) => ({
      ...rig.s3Env,
      QDRANT_SNAPSHOT_TRANSFER: "true",
      QDRANT_DELETE_AFTER_TRANSFER: "true",
    });
    const { rig, src, targets } = await backedUp("full-recover-s3", 2, "s3", env);
    const [t1 = ""] = targets;
    await rig.deps().state.reset({ bkp: false, now: new Date() });
    expect(await rig.bucket.has(`snapshots/${NAME}`)).toBe(false);

    const deps = rig.deps({ ...env(rig), QDRANT_SOURCE_HOSTS: src, QDRANT_RESTORE_HOSTS: t1 });
    const summary = await recoverFullSnap({}, deps);

    expect(summary).toMatchObject({ done: 5, failed: 0, exitCode: EXIT.ok });
    await expectSameStorage(src, t1);
    expect(await rig.read("full_snapshots")).toBe(csv([src, NAME]));
    expect(deps.lines.some((l) => l.includes(`from s3://${rig.bucket.name}/full_snapshots/`))).toBe(true);
  });

  it("--file with config.json first, and with inner names outside Qdrant's rule (read a second time)", async () => {
    const { rig, src, targets } = await backedUp("full-recover-file", 3, "local");
    const [t1 = "", t2 = ""] = targets;
    const entries = await untar(await readLocalSnapshot(rig, 0, NAME));
    const config = entries.find((e) => e.name === "config.json");
    const inner = entries.filter((e) => e.name !== "config.json");
    expect(entries.at(-1)?.name).toBe("config.json"); // as Qdrant writes it
    const mapping = JSON.parse(config?.body.toString() ?? "") as {
      collections_mapping: Record<string, string>;
      collections_aliases: Record<string, string>;
    };
    const renamed = inner.map((e) => ({ name: `renamed-${e.name.length}x.snapshot`, body: e.body }));
    const renamedConfig = {
      ...mapping,
      collections_mapping: Object.fromEntries(
        Object.entries(mapping.collections_mapping).map(([c, f]) => [c, `renamed-${f.length}x.snapshot`]),
      ),
    };
    expect(new Set(renamed.map((e) => e.name)).size).toBe(2);
    const first = join(rig.dir, "..", "config-first.snapshot");
    const odd = join(rig.dir, "..", "odd-names.snapshot");
    await writeFile(first, await packTar([config!, ...inner]));
    await writeFile(
      odd,
      await packTar([...renamed, { name: "config.json", body: Buffer.from(JSON.stringify(renamedConfig)) }]),
    );

    const deps1 = rig.deps({ QDRANT_RESTORE_HOSTS: t1 });
    expect(await recoverFullSnap({ file: first }, deps1)).toMatchObject({ done: 5, failed: 0, exitCode: EXIT.ok });
    await expectSameStorage(src, t1);
    expect(deps1.lines.some((l) => l.includes("again"))).toBe(false);

    const deps2 = rig.deps({ QDRANT_RESTORE_HOSTS: t2 });
    expect(await recoverFullSnap({ file: odd }, deps2)).toMatchObject({ done: 5, failed: 0, exitCode: EXIT.ok });
    await expectSameStorage(src, t2);
    expect(deps2.lines.some((l) => l.includes("Reading odd-names.snapshot again for 2 inner snapshots"))).toBe(true);
    expect(uploadsTo(rig, 2)).toHaveLength(2);
  });

  it("a truncated archive: what streamed by is restored, no alias is claimed, exit 3; the whole archive then finishes it", async () => {
    const { rig, src, targets } = await backedUp("full-recover-cut", 2, "local");
    const [t1 = ""] = targets;
    const bytes = await readLocalSnapshot(rig, 0, NAME);
    const entries = await untar(bytes);
    const firstInner = entries[0]?.body.length ?? 0;
    const file = join(rig.dir, "..", NAME);
    // Cut inside the second inner snapshot (notes), well before config.json.
    await writeFile(file, bytes.subarray(0, 512 + firstInner + 2048));

    const summary = await recoverFullSnap({ file }, rig.deps({ QDRANT_RESTORE_HOSTS: t1 }));

    expect(summary).toMatchObject({ done: 1, failed: 1, exitCode: EXIT.partial });
    expect(summary.items.find((i) => i["outcome"] === "failed")).toMatchObject({
      kind: "archive",
      host: t1,
      error: expect.stringMatching(/cannot read the archive/),
    });
    expect(await listAliases(t1, API_KEY)).toEqual([]);
    expect(await rig.read("alias_recovery_history")).toBeUndefined();
    expect(sortedLines(await rig.read("snapshot_recovery_history"))).toEqual([`${t1},${NAME}/docs-2024-7,ok`]);
    expect(await rig.read("failed_snapshot_recovery")).toBe(csv([t1, NAME, "archive_unreadable"]));

    await writeFile(file, bytes);
    rig.emu.resetRequests();
    const resumed = await recoverFullSnap({ file }, rig.deps({ QDRANT_RESTORE_HOSTS: t1 }));
    expect(resumed).toMatchObject({ done: 4, skipped: 1, failed: 0, exitCode: EXIT.ok });
    expect(uploadsTo(rig, 1).map((r) => r.path)).toEqual(["/collections/notes/snapshots/upload"]);
    await expectSameStorage(src, t1);
  });

  it("a corrupted archive (bad tar header) fails cleanly: nothing restored, nothing claimed", async () => {
    const { rig, targets } = await backedUp("full-recover-bad", 2, "local");
    const [t1 = ""] = targets;
    const bytes = Buffer.from(await readLocalSnapshot(rig, 0, NAME));
    bytes.fill(0x41, 0, 200); // the first header's name and checksum are garbage now
    const file = join(rig.dir, "..", NAME);
    await writeFile(file, bytes);

    const summary = await recoverFullSnap({ file }, rig.deps({ QDRANT_RESTORE_HOSTS: t1 }));

    expect(summary).toMatchObject({ done: 0, failed: 1, exitCode: EXIT.partial });
    expect(uploadsTo(rig, 1)).toEqual([]);
    expect(await rig.read("snapshot_recovery_history")).toBeUndefined();
    expect(await qdrantCall(t1, "GET", "/collections", API_KEY)).toEqual({ collections: [] });
  });

  it("one collection's upload fails: its alias is not made, the rest is; a second run finishes it", async () => {
    const { rig, src, targets } = await backedUp("full-recover-500", 2, "local");
    const [t1 = ""] = targets;
    const remove = rig.emu.faults.add({
      node: 1,
      method: "POST",
      path: "/collections/notes/snapshots/upload",
      status: 500,
    });

    const summary = await recoverFullSnap({}, rig.deps({ QDRANT_RESTORE_HOSTS: t1 }));

    expect(summary).toMatchObject({ done: 3, failed: 2, exitCode: EXIT.partial });
    expect(
      summary.items
        .filter((i) => i["outcome"] === "failed")
        .map((i) => i["kind"])
        .sort(),
    ).toEqual(["alias", "collection"]);
    expect((await listAliases(t1, API_KEY)).map((a) => a.alias_name)).toEqual(["docs-live", "docs-old"]);
    const id = `${new URL(src).host}/${NAME}`;
    expect(await rig.read("failed_snapshot_recovery")).toBe(csv([t1, `${id}/notes`, "http-500"]));
    expect(sortedLines(await rig.read("snapshot_recovery_history"))).toEqual([`${t1},${id}/docs-2024-7,ok`]);

    remove();
    rig.emu.resetRequests();
    // The collection and the two aliases recorded done in the first run are skipped, not done again.
    expect(await recoverFullSnap({}, rig.deps({ QDRANT_RESTORE_HOSTS: t1 }))).toMatchObject({
      done: 2,
      skipped: 3,
      failed: 0,
      exitCode: EXIT.ok,
    });
    expect(uploadsTo(rig, 1).map((r) => r.path)).toEqual(["/collections/notes/snapshots/upload"]);
    expect(
      rig.emu.requests().filter((r) => r.node === 1 && r.method === "POST" && r.path === "/collections/aliases"),
    ).toHaveLength(1);
    await expectSameStorage(src, t1);
    expect(sortedLines(await rig.read("snapshot_recovery_history"))).toContain(`${t1},${id},ok`);
  });

  it("QDRANT_WAIT_ON_TASK=false: uploads accepted, aliases wait for the next run", async () => {
    const { rig, src, targets } = await backedUp("full-recover-nowait", 2, "local");
    const [t1 = ""] = targets;

    const summary = await recoverFullSnap({}, rig.deps({ QDRANT_RESTORE_HOSTS: t1, QDRANT_WAIT_ON_TASK: "false" }));

    expect(summary).toMatchObject({ done: 0, accepted: 2, skipped: 3, failed: 0, exitCode: EXIT.ok });
    expect(await listAliases(t1, API_KEY)).toEqual([]);
    await waitUntil("both collections exist on the target", async () => {
      const r = (await qdrantCall(t1, "GET", "/collections", API_KEY)) as { collections: unknown[] };
      return r.collections.length === 2;
    });
    expect(await recoverFullSnap({}, rig.deps({ QDRANT_RESTORE_HOSTS: t1 }))).toMatchObject({
      done: 3,
      skipped: 2,
      exitCode: EXIT.ok,
    });
    await expectSameStorage(src, t1);
  });

  it("chooses one archive: the newest; --snapshot, --host and the filter narrow it; several hosts or none are usage errors", async () => {
    const rig = await startFullRig("full-recover-choose", { nodes: 3, storage: "local" });
    const [a = "", b = "", t = ""] = rig.urls;
    await seedSource(a);
    await seedSource(b);
    const older = "full-snapshot-2026-04-01-02-00-00.snapshot";
    const newer = "full-snapshot-2026-04-02-02-00-00.snapshot";
    expect(await createFullSnap({}, rig.deps({ QDRANT_SOURCE_HOSTS: `${a},${b}` }))).toMatchObject({ done: 2 });
    rig.clock.set("2026-04-02T02:00:00Z");
    expect(await createFullSnap({}, rig.deps({ QDRANT_SOURCE_HOSTS: a }))).toMatchObject({ done: 1 });
    const env = { QDRANT_RESTORE_HOSTS: t };

    await expect(recoverFullSnap({}, rig.deps(env))).rejects.toMatchObject({
      exitCode: EXIT.usage,
      message: expect.stringMatching(/2 source hosts.*--host/),
    });
    await expect(
      recoverFullSnap({}, rig.deps({ ...env, QDRANT_SNAPSHOT_DATETIME_FILTER: "2026-05" })),
    ).rejects.toMatchObject({ exitCode: EXIT.usage, message: expect.stringMatching(/no full snapshot.*2026-05/) });
    await expect(recoverFullSnap({ host: "http://127.0.0.1:1" }, rig.deps(env))).rejects.toMatchObject({
      exitCode: EXIT.usage,
    });
    expect(rig.emu.requests().filter((r) => r.method === "GET" && r.path.startsWith("/snapshots/"))).toEqual([]);

    const newest = rig.deps(env);
    expect(await recoverFullSnap({ host: a }, newest)).toMatchObject({ failed: 0, exitCode: EXIT.ok });
    expect(newest.lines.some((l) => l.includes(`Restoring ${newer} from ${a}/snapshots/${newer}`))).toBe(true);
    const byName = rig.deps(env);
    expect(await recoverFullSnap({ host: a, snapshot: older }, byName)).toMatchObject({ failed: 0, exitCode: EXIT.ok });
    expect(byName.lines.some((l) => l.includes(`Restoring ${older} from ${a}/`))).toBe(true);
    // The filter alone picks B: only the 04-01 snapshots match, and A's is excluded with --host.
    const byFilter = rig.deps({ ...env, QDRANT_SNAPSHOT_DATETIME_FILTER: "2026-04-01" });
    expect(await recoverFullSnap({ host: b }, byFilter)).toMatchObject({ exitCode: EXIT.ok });
    expect(byFilter.lines.some((l) => l.includes(`Restoring ${older} from ${b}/`))).toBe(true);
    await expectSameStorage(b, t);
  });

  it("an empty full_snapshots without source hosts, or a missing --file, is a usage error before any request", async () => {
    const rig = await startFullRig("full-recover-usage", { nodes: 1, storage: "local" });
    const env = { QDRANT_RESTORE_HOSTS: rig.urls[0] ?? "" };
    await expect(recoverFullSnap({}, rig.deps(env))).rejects.toMatchObject({
      exitCode: EXIT.usage,
      message: expect.stringMatching(/full_snapshots is empty.*--file/),
    });
    await expect(recoverFullSnap({ file: join(rig.dir, "missing.snapshot") }, rig.deps(env))).rejects.toMatchObject({
      exitCode: EXIT.usage,
      message: expect.stringMatching(/no such file/),
    });
    expect(rig.emu.requests()).toEqual([]);
  });
});
