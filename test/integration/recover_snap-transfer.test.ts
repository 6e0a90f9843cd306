// recover_snap in transfer mode: how a restore host gets a snapshot (QDRANT_RECOVER_VIA). By presigned URL with the
// metadata's checksum, so Qdrant refuses other bytes; by upload streamed out of the S3 bucket or QDRANT_BACKUP_DIR,
// one stream per restore host; failed uploads recorded with their cause and picked up by the next run. Every
// emulator snapshot-storage mode (local disk, S3) against every destination (bucket, directory) where it applies.
import { describe, expect, it } from "vitest";
import { run } from "../../src/commands/recover_snap.js";
import { EXIT } from "../../src/errors.js";
import { collectionSnapshotKey, metadataKeyOf } from "../../src/core/keys.js";
import type { SnapshotStore } from "../../src/store/types.js";
import { readAllPoints } from "../support/emulator/seed.js";
import { csv, okAndVerified, sortedLines } from "./helpers/rig.js";
import {
  API_KEY,
  C1,
  C2,
  digestOf,
  otherArchiveOfC1,
  RECOVER,
  replaceObject,
  stagedBackup,
  UPLOAD,
  type Staged,
  type StagedOptions,
} from "./helpers/restore.js";
import type { TestDeps } from "../support/deps.js";
import { existsSync } from "node:fs";
import { join } from "node:path";

const KEY1 = collectionSnapshotKey("c1", C1);

async function expectRestored(s: Staged, targets: readonly string[]): Promise<void> {
  for (const c of ["c1", "c2"]) {
    const expected = await readAllPoints(s.src, c, API_KEY);
    expect(expected.length).toBeGreaterThan(0);
    for (const t of targets) expect(await readAllPoints(t, c, API_KEY)).toEqual(expected);
  }
}

function allOk(s: Staged): string[] {
  return okAndVerified([`${s.t1},${C1},ok`, `${s.t1},${C2},ok`, `${s.t2},${C1},ok`, `${s.t2},${C2},ok`]);
}

/** Deps whose destination records every get (object reads) on the way. */
function countingGets(d: TestDeps): { deps: TestDeps; gets: string[] } {
  const gets: string[] = [];
  const real = d.store();
  const store: SnapshotStore = { ...real, get: (k, o) => (gets.push(k), real.get(k, o)) };
  return { deps: { ...d, store: () => store }, gets };
}

async function bytesOf(store: SnapshotStore, key: string): Promise<Buffer> {
  const found = await store.get(key);
  if (!found) throw new Error(`missing ${key}`);
  const chunks: Buffer[] = [];
  for await (const c of found.body) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(c as Uint8Array));
  return Buffer.concat(chunks);
}

const URL_MODES: StagedOptions[] = [
  { emuStorage: "s3", dest: "s3" },
  { emuStorage: "local", dest: "s3" },
];
const UPLOAD_MODES: StagedOptions[] = [
  { emuStorage: "s3", dest: "s3" },
  { emuStorage: "local", dest: "s3" },
  { emuStorage: "local", dest: "dir" },
  { emuStorage: "s3", dest: "dir" },
];

describe.each(URL_MODES)("QDRANT_RECOVER_VIA=url (emulator storage $emuStorage, destination $dest)", (mode) => {
  it("recovers every snapshot on both hosts from presigned URLs with the metadata's checksum, verified", async () => {
    const s = await stagedBackup(`via-url-${mode.emuStorage}`, mode);
    const d = s.deps();

    const summary = await run({}, d);

    expect(summary).toMatchObject({ done: 4, failed: 0, exitCode: EXIT.ok });
    expect(summary.items.every((i) => i["verified"] === "full")).toBe(true);
    expect(sortedLines(await s.read("snapshot_recovery_history"))).toEqual(allOk(s));
    expect(s.requests("PUT", RECOVER)).toHaveLength(4);
    expect(s.requests("POST", UPLOAD)).toEqual([]);
    expect(d.lines.filter((l) => l.includes("checksum verified by Qdrant"))).toHaveLength(4);
    await expectRestored(s, [s.t1, s.t2]);
  });

  it("a swapped object is refused by Qdrant (checksum mismatch): recorded as `checksum`, the target left untouched", async () => {
    const s = await stagedBackup(`via-url-tampered-${mode.emuStorage}`, mode);
    await replaceObject(s.store(), KEY1, await otherArchiveOfC1(s));

    const summary = await run({}, s.deps());

    expect(summary).toMatchObject({ done: 2, failed: 2, exitCode: EXIT.partial });
    expect(sortedLines(await s.read("failed_snapshot_recovery"))).toEqual(
      [`${s.t1},${C1},checksum`, `${s.t2},${C1},checksum`].sort(),
    );
    expect(sortedLines(await s.read("snapshot_recovery_history"))).toEqual(
      okAndVerified([`${s.t1},${C2},ok`, `${s.t2},${C2},ok`]),
    );
    expect(summary.items.find((i) => i["outcome"] === "failed")?.["error"]).toMatch(/Snapshot checksum mismatch/);
    // Refused before anything changed: the collection was never created.
    await expect(readAllPoints(s.t1, "c1", API_KEY)).rejects.toThrow(/404/);
  });
});

describe("QDRANT_RECOVER_VIA=url without metadata", () => {
  it("sends no checksum and fails nothing when a snapshot has no metadata (bash-era backups)", async () => {
    const s = await stagedBackup("via-url-nometa", { emuStorage: "s3", dest: "s3", metadata: false });
    // The bytes differ from those the (unwritten) metadata describes: without a checksum nothing can tell.
    await replaceObject(s.store(), KEY1, await otherArchiveOfC1(s));
    const d = s.deps();

    const summary = await run({}, d);

    expect(summary).toMatchObject({ done: 4, failed: 0, exitCode: EXIT.ok });
    expect(d.lines.some((l) => l.includes("checksum verified"))).toBe(false);
    expect((await readAllPoints(s.t1, "c1", API_KEY)).some((p) => p.id === 777)).toBe(true);
  });
});

describe.each(UPLOAD_MODES)("QDRANT_RECOVER_VIA=upload (emulator storage $emuStorage, destination $dest)", (mode) => {
  it("streams each snapshot into every restore host's upload endpoint, one read of the destination per host", async () => {
    const s = await stagedBackup(`via-upload-${mode.emuStorage}-${mode.dest}`, mode);
    // A directory destination needs no variable (upload is its default); S3 asks for it.
    const { deps, gets } = countingGets(s.deps(mode.dest === "s3" ? { QDRANT_RECOVER_VIA: "upload" } : {}));
    expect(deps.config.recoverVia).toBe("upload");
    if (mode.dest === "dir") {
      // …and the snapshots list comes from the directory, as get_snap_s3 lists the bucket.
      await s.write("snapshots", "");
      await s.write("collections", "");
    }

    const summary = await run({}, deps);

    expect(summary).toMatchObject({ done: 4, failed: 0, exitCode: EXIT.ok });
    expect(summary.items.every((i) => i["verified"] === "full")).toBe(true);
    // Collections are listed in parallel, so the rows' order between collections is not fixed.
    if (mode.dest === "dir")
      expect(sortedLines(await s.read("snapshots"))).toEqual(sortedLines(csv(["", "c1", C1], ["", "c2", C2])));
    expect(sortedLines(await s.read("snapshot_recovery_history"))).toEqual(allOk(s));
    expect(s.requests("PUT", RECOVER)).toEqual([]);
    expect(
      s
        .requests("POST", UPLOAD)
        .map((r) => `${r.node} ${r.path} ${r.status}`)
        .sort(),
    ).toEqual([
      "1 /collections/c1/snapshots/upload 200",
      "1 /collections/c2/snapshots/upload 200",
      "2 /collections/c1/snapshots/upload 200",
      "2 /collections/c2/snapshots/upload 200",
    ]);
    // Each host got its own stream of the object; the metadata was read once per snapshot.
    expect(gets.filter((k) => k === KEY1)).toHaveLength(2);
    expect(gets.filter((k) => k === metadataKeyOf(KEY1))).toHaveLength(1);
    // Qdrant keeps an upload under its file name: the snapshot's name.
    for (const node of [s.emu.nodes[1], s.emu.nodes[2]])
      expect(existsSync(join(node?.snapshotsDir ?? "", "c1", C1))).toBe(true);
    await expectRestored(s, [s.t1, s.t2]);
  });
});

describe("QDRANT_RECOVER_VIA=upload failures", () => {
  it("a tampered object is refused (checksum); a re-run with the object repaired recovers only the failed items", async () => {
    const s = await stagedBackup("upload-tampered", { emuStorage: "local", dest: "dir" });
    const original = await bytesOf(s.store(), KEY1);
    await replaceObject(s.store(), KEY1, await otherArchiveOfC1(s));

    const first = await run({}, s.deps());

    expect(first).toMatchObject({ done: 2, failed: 2, exitCode: EXIT.partial });
    expect(sortedLines(await s.read("failed_snapshot_recovery"))).toEqual(
      [`${s.t1},${C1},checksum`, `${s.t2},${C1},checksum`].sort(),
    );
    expect(first.items.find((i) => i["outcome"] === "failed")?.["error"]).toMatch(/Checksum mismatch/);

    await replaceObject(s.store(), KEY1, original);
    expect((await digestOf(s.store(), KEY1)).sha256).toBe(s.metadata.c1.sha256);
    s.emu.resetRequests();
    const second = await run({}, s.deps());

    expect(second).toMatchObject({ done: 2, skipped: 2, failed: 0, exitCode: EXIT.ok });
    expect(s.requests("POST", UPLOAD).map((r) => r.path)).toEqual([
      "/collections/c1/snapshots/upload",
      "/collections/c1/snapshots/upload",
    ]);
    expect(sortedLines(await s.read("snapshot_recovery_history"))).toEqual(allOk(s));
    await expectRestored(s, [s.t1, s.t2]);
  });

  it("records an upload the host refuses (http-500) or drops (transport), and a re-run picks them up", async () => {
    const s = await stagedBackup("upload-http-fail", { emuStorage: "s3", dest: "s3" });
    // A dropped upload is ambiguous: the collection is looked at (within QDRANT_VERIFY_TIMEOUT) before each new attempt.
    const env = { QDRANT_RECOVER_VIA: "upload", QDRANT_VERIFY_TIMEOUT: "1" };
    const refuse = s.emu.faults.add({ node: 2, method: "POST", path: "/collections/c2/snapshots/upload", status: 500 });
    const drop = s.emu.faults.add({ node: 1, method: "POST", path: "/collections/c1/snapshots/upload", reset: true });

    const first = await run({}, s.deps(env));

    expect(first).toMatchObject({ done: 2, failed: 2, exitCode: EXIT.partial });
    expect(sortedLines(await s.read("failed_snapshot_recovery"))).toEqual(
      [`${s.t1},${C1},transport`, `${s.t2},${C2},http-500`].sort(),
    );

    refuse();
    drop();
    const second = await run({}, s.deps(env));

    expect(second).toMatchObject({ done: 2, skipped: 2, failed: 0, exitCode: EXIT.ok });
    expect(sortedLines(await s.read("snapshot_recovery_history"))).toEqual(allOk(s));
    await expectRestored(s, [s.t1, s.t2]);
  });

  it("records a snapshot missing from the destination as `missing`", async () => {
    const s = await stagedBackup("upload-missing", { emuStorage: "local", dest: "dir" });
    await s.store().delete(KEY1);

    const summary = await run({}, s.deps());

    expect(summary).toMatchObject({ done: 2, failed: 2, exitCode: EXIT.partial });
    expect(sortedLines(await s.read("failed_snapshot_recovery"))).toEqual(
      [`${s.t1},${C1},missing`, `${s.t2},${C1},missing`].sort(),
    );
    expect(summary.items.find((i) => i["outcome"] === "failed")?.["error"]).toContain(`/${KEY1} does not exist`);
    expect(s.requests("POST", /\/collections\/c1\//)).toEqual([]);
  });

  it("records a read error of the destination during the upload as `store-read`", async () => {
    const s = await stagedBackup("upload-read-error", { emuStorage: "local", dest: "dir" });
    const d = s.deps({ QDRANT_RESTORE_HOSTS: s.t1 });
    const real = d.store();
    const broken: SnapshotStore = {
      ...real,
      get: async (k, o) => {
        const found = await real.get(k, o);
        if (!found || k !== KEY1) return found;
        // The stream fails after its first chunk, as a disk or connection would mid-read.
        let sent = false;
        found.body.on("data", () => {
          if (!sent) {
            sent = true;
            found.body.destroy(new Error("EIO: i/o error, read"));
          }
        });
        return found;
      },
    };

    const summary = await run({}, { ...d, store: () => broken });

    expect(summary).toMatchObject({ done: 1, failed: 1, exitCode: EXIT.partial });
    expect(await s.read("failed_snapshot_recovery")).toBe(csv([s.t1, C1, "store-read"]));
    expect(summary.items.find((i) => i["outcome"] === "failed")?.["error"]).toContain("EIO: i/o error, read");
  });

  it("with QDRANT_WAIT_ON_TASK=false records `accepted` and does not check the collection", async () => {
    const s = await stagedBackup("upload-nowait", { emuStorage: "local", dest: "dir" });

    const summary = await run({}, s.deps({ QDRANT_WAIT_ON_TASK: "false" }));

    expect(summary).toMatchObject({ done: 0, accepted: 4, failed: 0, exitCode: EXIT.ok });
    expect(sortedLines(await s.read("snapshot_recovery_history"))).toEqual(
      [`${s.t1},${C1},accepted`, `${s.t1},${C2},accepted`, `${s.t2},${C1},accepted`, `${s.t2},${C2},accepted`].sort(),
    );
    expect(s.requests("GET", /^\/collections\/c\d$/)).toEqual([]);
    expect(s.requests("POST", /\/points\/(count|scroll)$/)).toEqual([]);
  });
});
