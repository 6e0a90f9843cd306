// prune_snap against the rig: synthetic snapshot objects (the policy is about names) in an S3 bucket and in a
// directory destination, emulator nodes on local storage (with copies in a directory, as transfer mode leaves them)
// and on S3 storage (the nodes' objects are the destination's), a cluster found through /cluster; every safety rule.
import { mkdir, readdir, utimes, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
import { run } from "../../src/commands/prune_snap.js";
import type { TaskSummary } from "../../src/backup/task/deps.js";
import { EXIT, UpstreamError } from "../../src/errors.js";
import { createTestDeps, type TestDeps } from "../support/deps.js";
import { startEmulator, type Emulator, type EmulatorOptions } from "../support/emulator/index.js";
import { qdrantCall, seedCollection } from "../support/emulator/seed.js";
import { clearS3Faults, setS3Faults } from "../support/s3/fault-admin.js";
import { itWithS3Faults } from "../support/s3/impl.js";
import { makeTempDir } from "../support/tmp.js";
import { manualClock, readStateFile, startRig, type Rig } from "./helpers/rig.js";

const DAY = 86_400_000;
/** daily 3, weekly 2, no limit on the share deleted. */
const POLICY = {
  QDRANT_KEEP_LAST: "0",
  QDRANT_KEEP_DAILY: "3",
  QDRANT_KEEP_WEEKLY: "2",
  QDRANT_KEEP_MONTHLY: "0",
  QDRANT_KEEP_YEARLY: "0",
  QDRANT_PRUNE_MAX_DELETE_PCT: "100",
};
const ZERO = { ...POLICY, QDRANT_KEEP_DAILY: "0", QDRANT_KEEP_WEEKLY: "0" };

/** `YYYY-MM-DD-HH-MM-SS` (UTC) of `n` times one day apart, the newest (`newest`) first. */
function stamps(newest: string, n: number): string[] {
  return Array.from({ length: n }, (_, i) =>
    new Date(Date.parse(newest) - i * DAY).toISOString().slice(0, 19).replace(/[T:]/g, "-"),
  );
}

/**
 * The synthetic destination: c1 from peer 1 (20 nightly, 11-01…11-20), c1 from peer 2 (2), shard c1/0 (5), full
 * snapshots of h1:6333 (4), metadata for c1/1 and the full ones, and keys outside the layout.
 * With POLICY: c1/1 keeps 11-20, 11-19, 11-18 (daily) and 11-15 (weekly 2026-W46); shard c1/0 loses 11-16 and
 * 11-17 (one ISO week only); the full group loses 11-17; c1/2 keeps both.
 */
function synthetic() {
  const c1 = stamps("2026-11-20T02:00:00Z", 20).map((t) => `snapshots/c1/c1-1-${t}.snapshot`);
  const peer2 = stamps("2026-11-20T03:00:00Z", 2).map((t) => `snapshots/c1/c1-2-${t}.snapshot`);
  const shard = stamps("2026-11-20T04:00:00Z", 5).map((t) => `snapshots/c1/shards/0/c1-shard-0-${t}.snapshot`);
  const full = stamps("2026-11-20T05:00:00Z", 4).map((t) => `full_snapshots/h1:6333/full-snapshot-${t}.snapshot`);
  const meta = (k: string) => `backup_metadata/${k.replace(/^snapshots\//, "")}.json`;
  const foreign = [
    "snapshots/c1/notes.txt",
    "snapshots/c1/c1-1-2026-11-01-02-00-00.snapshot.checksum",
    "snapshots/full-snapshot-2026-01-01-00-00-00.snapshot",
    "snapshots/c1/deep/c1-1-2026-01-01-00-00-00.snapshot",
    "full_snapshots/h1:6333/readme.json",
    "backup_metadata/c1/orphan.snapshot.json",
    "elsewhere/c1-1-2026-01-01-00-00-00.snapshot",
  ];
  const deleted = [...c1.filter((k) => !/-11-(20|19|18|15)-/.test(k)), ...shard.slice(3), ...full.slice(3)];
  const metadata = [...c1, ...full].map(meta);
  return {
    all: [...c1, ...peer2, ...shard, ...full, ...metadata, ...foreign],
    deleted,
    deletedMeta: deleted.filter((k) => !k.includes("shard")).map(meta),
    foreign,
  };
}

interface Destination {
  location: string;
  put(keys: readonly string[], mtime?: Date): Promise<void>;
  keys(): Promise<string[]>;
  deps(env?: Record<string, string>): TestDeps;
  pruned(): Promise<string | undefined>;
  rig?: Rig;
}

async function startDestination(
  kind: "s3" | "dir",
  label: string,
  emulator: Omit<EmulatorOptions, "storage"> = {},
): Promise<Destination> {
  if (kind === "s3") {
    const rig = await startRig(label, emulator);
    return {
      rig,
      location: `s3://${rig.bucket.name}`,
      put: (keys) => rig.bucket.put(keys),
      keys: () => rig.bucket.keys(),
      deps: (env = {}) => rig.deps(env),
      pruned: () => readStateFile(rig.dir, "pruned_snapshots"),
    };
  }
  const [state, backup] = [await makeTempDir(`${label}-state`), await makeTempDir(`${label}-dest`)];
  const closers: (() => Promise<void>)[] = [];
  onTestFinished(async () => {
    for (const close of closers) await close();
    await Promise.all([state.cleanup(), backup.cleanup()]);
  });
  return {
    location: backup.dir,
    put: async (keys, mtime) => {
      for (const key of keys) {
        const file = path.join(backup.dir, ...key.split("/"));
        await mkdir(path.dirname(file), { recursive: true });
        await writeFile(file, "x");
        if (mtime) await utimes(file, mtime, mtime);
      }
    },
    keys: async () =>
      (await readdir(backup.dir, { recursive: true, withFileTypes: true }))
        .filter((e) => e.isFile())
        .map((e) => path.relative(backup.dir, path.join(e.parentPath, e.name)).split(path.sep).join("/"))
        .sort(),
    deps: (env = {}) => {
      const deps = createTestDeps({ QDRANT_BACKUP_DIR: backup.dir, ...env }, { stateDir: state.dir });
      closers.push(() => deps.close());
      return deps;
    },
    pruned: () => readStateFile(state.dir, "pruned_snapshots"),
  };
}

async function startNodes(opts: EmulatorOptions): Promise<Emulator> {
  const emu = await startEmulator(opts);
  onTestFinished(() => emu.stop());
  return emu;
}

const keysOf = (s: TaskSummary, action: string, outcome?: string) =>
  s.items
    .filter((i) => i["action"] === action && (outcome === undefined || i["outcome"] === outcome))
    .map((i) => i["key"] ?? "")
    .sort();
const minus = (a: readonly string[], b: readonly string[]) => a.filter((k) => !b.includes(k));
/** pruned_snapshots as `location key` lines, sorted, after checking every deleted_at is an ISO time. */
function prunedLines(text: string | undefined): string[] {
  const rows = (text ?? "")
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => l.split(","));
  for (const row of rows) expect(row[2]).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
  return rows.map((r) => `${r[0]} ${r[1]}`).sort();
}
const names = async (url: string, route: string) => {
  const list = await qdrantCall(url, "GET", route);
  return (Array.isArray(list) ? list : [])
    .map((s: unknown) => (typeof s === "object" && s !== null && "name" in s ? String(s.name) : ""))
    .sort();
};

describe.each(["s3", "dir"] as const)("prune_snap on a %s destination", (kind) => {
  it("dry run reports each snapshot with its rules and deletes nothing; --confirm deletes exactly that, with its metadata", async () => {
    const dest = await startDestination(kind, `prune-${kind}-policy`);
    const data = synthetic();
    await dest.put(data.all);
    const deps = dest.deps(POLICY);

    const dry = await run({}, deps);

    expect(dry).toMatchObject({ done: 0, skipped: 31, failed: 0, exitCode: EXIT.ok });
    expect(dry.message).toBe(
      "Dry run: 19 of 31 snapshots in 4 groups would be deleted, 12 kept; --confirm deletes them",
    );
    expect(keysOf(dry, "delete")).toEqual([...data.deleted].sort());
    const rules = Object.fromEntries(
      dry.items.filter((i) => i["action"] === "keep").map((i) => [i["key"], i["rules"]]),
    );
    expect(rules["snapshots/c1/c1-1-2026-11-20-02-00-00.snapshot"]).toBe("daily 2026-11-20, weekly 2026-W47");
    expect(rules["snapshots/c1/c1-1-2026-11-15-02-00-00.snapshot"]).toBe("weekly 2026-W46");
    expect(rules["full_snapshots/h1:6333/full-snapshot-2026-11-18-05-00-00.snapshot"]).toBe("daily 2026-11-18");
    expect(dry.items.find((i) => i["key"] === "snapshots/c1/c1-1-2026-11-01-02-00-00.snapshot")).toMatchObject({
      group: "collection c1 peer 1",
      places: dest.location,
      time: "2026-11-01T02:00:00.000Z",
    });
    expect(deps.lines.some((l) => l.includes("would delete snapshots/c1/c1-1-2026-11-01-02-00-00.snapshot"))).toBe(
      true,
    );
    expect(
      deps.lines.some((l) => /keep snapshots\/c1\/c1-2-2026-11-19-03-00-00\.snapshot .*daily 2026-11-19/.test(l)),
    ).toBe(true);
    expect(await dest.keys()).toEqual([...data.all].sort());
    expect(await dest.pruned()).toBeUndefined();

    const confirmed = await run({ confirm: true }, dest.deps(POLICY));

    expect(confirmed).toMatchObject({ done: 19, failed: 0, exitCode: EXIT.ok });
    expect(confirmed.message).toBe("Deleted 19 of 31 snapshots in 4 groups, 12 kept, 0 failed");
    expect(keysOf(confirmed, "delete", "done")).toEqual(keysOf(dry, "delete"));
    expect(await dest.keys()).toEqual(minus(data.all, [...data.deleted, ...data.deletedMeta]).sort());
    for (const key of data.foreign) expect(await dest.keys()).toContain(key);
    expect(prunedLines(await dest.pruned())).toEqual(
      [...data.deleted, ...data.deletedMeta].map((k) => `${dest.location} ${k}`).sort(),
    );

    const again = await run({}, dest.deps(POLICY));
    expect(again.message).toBe(
      "Dry run: 0 of 12 snapshots in 4 groups would be deleted, 12 kept; --confirm deletes them",
    );
  });

  it("with every count 0 keeps the newest snapshot of each group, and nothing outside the layout", async () => {
    const dest = await startDestination(kind, `prune-${kind}-zero`);
    const data = synthetic();
    await dest.put(data.all);

    const summary = await run({ confirm: true }, dest.deps(ZERO));

    expect(summary).toMatchObject({ done: 27, failed: 0, exitCode: EXIT.ok });
    const left = (await dest.keys()).filter((k) => k.endsWith(".snapshot") && !data.foreign.includes(k));
    expect(left).toEqual([
      "full_snapshots/h1:6333/full-snapshot-2026-11-20-05-00-00.snapshot",
      "snapshots/c1/c1-1-2026-11-20-02-00-00.snapshot",
      "snapshots/c1/c1-2-2026-11-20-03-00-00.snapshot",
      "snapshots/c1/shards/0/c1-shard-0-2026-11-20-04-00-00.snapshot",
    ]);
    expect(summary.items.filter((i) => i["action"] === "keep").map((i) => i["rules"])).toEqual([
      "newest",
      "newest",
      "newest",
      "newest",
    ]);
    for (const key of data.foreign) expect(await dest.keys()).toContain(key);
  });

  it("refuses a group where more than QDRANT_PRUNE_MAX_DELETE_PCT would go (exit 3), prunes the others; --force prunes it", async () => {
    const dest = await startDestination(kind, `prune-${kind}-pct`);
    const data = synthetic();
    await dest.put(data.all);
    const env = { ...POLICY, QDRANT_PRUNE_MAX_DELETE_PCT: "50" };
    const c1Deleted = data.deleted.filter((k) => k.startsWith("snapshots/c1/c1-1-"));

    const dry = await run({}, dest.deps(env));
    expect(dry).toMatchObject({ failed: 0, exitCode: EXIT.ok });
    expect(keysOf(dry, "refused")).toEqual([...c1Deleted].sort());
    expect(dry.message).toContain("1 group refused (16 more to delete, over 50%; --force allows it)");

    const deps = dest.deps(env);
    const refused = await run({ confirm: true }, deps);

    // c1 peer 1 would lose 16 of 20 (80%): left alone; shard (2 of 5) and full (1 of 4) are pruned.
    expect(refused).toMatchObject({ done: 3, failed: 1, exitCode: EXIT.partial });
    expect(refused.items.find((i) => i["outcome"] === "failed")).toMatchObject({
      group: "collection c1 peer 1",
      action: "refused",
    });
    expect(
      deps.lines.some((l) =>
        l.includes("WARNING: collection c1 peer 1: refused: would delete 16 of 20 snapshots (80%)"),
      ),
    ).toBe(true);
    for (const key of c1Deleted) expect(await dest.keys()).toContain(key);
    expect(await dest.keys()).not.toContain("snapshots/c1/shards/0/c1-shard-0-2026-11-16-04-00-00.snapshot");

    const forced = await run({ confirm: true, force: true }, dest.deps(env));
    expect(forced).toMatchObject({ done: 16, failed: 0, exitCode: EXIT.ok });
    expect(await dest.keys()).toEqual(minus(data.all, [...data.deleted, ...data.deletedMeta]).sort());
  });
});

describe("prune_snap: configuration", () => {
  it("needs a destination or source hosts, and at most one destination (exit 2)", async () => {
    const state = await makeTempDir("prune-config");
    onTestFinished(() => state.cleanup());
    const deps = (env: Record<string, string>) => createTestDeps(env, { stateDir: state.dir });
    await expect(run({}, deps({}))).rejects.toMatchObject({
      exitCode: EXIT.usage,
      message: expect.stringMatching(/^prune_snap: nothing to prune: set QDRANT_S3_BUCKET_NAME or QDRANT_BACKUP_DIR/),
    });
    await expect(
      run({}, deps({ QDRANT_S3_BUCKET_NAME: "some-bucket", QDRANT_BACKUP_DIR: state.dir })),
    ).rejects.toMatchObject({
      exitCode: EXIT.usage,
      message: expect.stringContaining("both set; choose one backup destination"),
    });
  });
});

describe("prune_snap: listing failures refuse to act", () => {
  itWithS3Faults("one failed S3 listing: exit 4, nothing deleted", async () => {
    const dest = await startDestination("s3", "prune-s3-listfail");
    const data = synthetic();
    await dest.put(data.all);
    const rig = dest.rig!;
    // No SDK retries, and only the first listing of the three (snapshots/, full_snapshots/, backup_metadata/) fails.
    await setS3Faults(rig.s3info.endpoint, {
      rate: 1,
      statuses: [500],
      operations: ["ListObjectsV2"],
      bucket: rig.bucket.name,
      limit: 1,
    });
    onTestFinished(() => clearS3Faults(rig.s3info.endpoint, rig.bucket.name));

    const failed = run({ confirm: true, force: true }, dest.deps({ ...ZERO, QDRANT_RETRIES: "0" }));

    await expect(failed).rejects.toThrow(UpstreamError);
    await expect(failed).rejects.toThrow(/^prune_snap: cannot list s3:\/\/.+; refusing to prune, nothing was deleted$/);
    await clearS3Faults(rig.s3info.endpoint, rig.bucket.name);
    expect(await dest.keys()).toEqual([...data.all].sort());
    expect(await dest.pruned()).toBeUndefined();
  });

  it("one failed node listing: exit 4, nothing deleted in the destination or on the nodes", async () => {
    const clock = manualClock("2026-11-18T02:00:00Z");
    const emu = await startNodes({ nodes: 2, clock: clock.now, peerIds: [11, 12] });
    const dest = await startDestination("dir", "prune-node-listfail");
    await dest.put(synthetic().all);
    for (const [i, url] of emu.urls.entries()) await seedCollection(url, `n${i}`, { points: 2, dim: 2 });
    for (const day of ["18", "19", "20"]) {
      clock.set(`2026-11-${day}T02:00:00Z`);
      for (const [i, url] of emu.urls.entries()) await qdrantCall(url, "POST", `/collections/n${i}/snapshots`);
    }
    emu.faults.add({ node: 1, method: "GET", path: "/collections/n1/snapshots", status: 500 });
    const before = await dest.keys();

    const failed = run({ confirm: true, force: true }, dest.deps({ ...ZERO, QDRANT_SOURCE_HOSTS: emu.urls.join(",") }));

    await expect(failed).rejects.toThrow(
      /^prune_snap: cannot list the snapshots of n1 on http:\/\/127\.0\.0\.1:\d+: .*500.*nothing was deleted$/,
    );
    expect(emu.requests().filter((r) => r.method === "DELETE")).toEqual([]);
    expect(await names(emu.urls[0] ?? "", "/collections/n0/snapshots")).toHaveLength(3);
    expect(await dest.keys()).toEqual(before);
    expect(await dest.pruned()).toBeUndefined();
  });
});

describe("prune_snap: times and nodes", () => {
  it("dates a snapshot whose name has no time by its modification time", async () => {
    const dest = await startDestination("dir", "prune-dir-mtime");
    await dest.put(["snapshots/c9/manual-old.snapshot"], new Date("2026-01-01T10:00:00Z"));
    await dest.put(["snapshots/c9/manual-new.snapshot"], new Date("2026-03-01T10:00:00Z"));

    const summary = await run({ confirm: true }, dest.deps({ ...ZERO, QDRANT_KEEP_MONTHLY: "1" }));

    expect(summary.items.map((i) => [i["key"], i["group"], i["time"], i["action"], i["rules"]])).toEqual([
      [
        "snapshots/c9/manual-new.snapshot",
        "collection c9 (no peer in name)",
        "2026-03-01T10:00:00.000Z",
        "keep",
        "monthly 2026-03",
      ],
      ["snapshots/c9/manual-old.snapshot", "collection c9 (no peer in name)", "2026-01-01T10:00:00.000Z", "delete", ""],
    ]);
    expect(await dest.keys()).toEqual(["snapshots/c9/manual-new.snapshot"]);
  });

  it("nodes on local storage with copies in the destination: each copy goes, rows per place; a failed delete is counted", async () => {
    const clock = manualClock("2026-11-15T02:00:00Z");
    const emu = await startNodes({ nodes: 2, clock: clock.now, peerIds: [11, 12] });
    const [n0 = "", n1 = ""] = emu.urls;
    const host0 = new URL(n0).host;
    await seedCollection(n0, "c1", { points: 3, dim: 2 });
    await seedCollection(n1, "c2", { points: 3, dim: 2 });
    for (const day of ["15", "16", "17", "18", "19", "20"]) {
      clock.set(`2026-11-${day}T02:00:00Z`);
      await qdrantCall(n0, "POST", "/collections/c1/snapshots");
      await qdrantCall(n1, "POST", "/collections/c2/snapshots");
      clock.set(`2026-11-${day}T03:00:00Z`);
      if (day >= "18") await qdrantCall(n0, "POST", "/snapshots");
    }
    const dest = await startDestination("dir", "prune-local-nodes");
    const copied = ["15", "16", "20"].map((d) => `snapshots/c1/c1-11-2026-11-${d}-02-00-00.snapshot`);
    const fullCopy = `full_snapshots/${host0}/full-snapshot-2026-11-18-03-00-00.snapshot`;
    await dest.put([...copied, "backup_metadata/c1/c1-11-2026-11-15-02-00-00.snapshot.json", fullCopy]);
    emu.faults.add({
      node: 1,
      method: "DELETE",
      path: "/collections/c2/snapshots/c2-12-2026-11-17-02-00-00.snapshot",
      status: 500,
    });
    const env = { ...ZERO, QDRANT_KEEP_DAILY: "2", QDRANT_SOURCE_HOSTS: emu.urls.join(",") };

    const dry = await run({}, dest.deps(env));
    expect(dry.message).toBe("Dry run: 9 of 15 snapshots in 3 groups would be deleted, 6 kept; --confirm deletes them");
    expect(dry.items.find((i) => i["key"] === copied[0])).toMatchObject({
      places: `${dest.location}, ${n0}`,
      action: "delete",
    });
    expect(emu.requests().filter((r) => r.method === "DELETE")).toEqual([]);

    const deps = dest.deps(env);
    const summary = await run({ confirm: true }, deps);

    expect(summary).toMatchObject({ done: 8, failed: 1, exitCode: EXIT.partial });
    expect(summary.items.find((i) => i["outcome"] === "failed")).toMatchObject({
      key: "snapshots/c2/c2-12-2026-11-17-02-00-00.snapshot",
    });
    expect(
      deps.lines.some((l) =>
        /ERROR: Cannot delete snapshots\/c2\/c2-12-2026-11-17-02-00-00\.snapshot .*http:\/\/127\.0\.0\.1:\d+: DELETE .* 500/.test(
          l,
        ),
      ),
    ).toBe(true);
    expect(await names(n0, "/collections/c1/snapshots")).toEqual([
      "c1-11-2026-11-19-02-00-00.snapshot",
      "c1-11-2026-11-20-02-00-00.snapshot",
    ]);
    expect(await names(n1, "/collections/c2/snapshots")).toEqual([
      "c2-12-2026-11-17-02-00-00.snapshot",
      "c2-12-2026-11-19-02-00-00.snapshot",
      "c2-12-2026-11-20-02-00-00.snapshot",
    ]);
    expect(await names(n0, "/snapshots")).toEqual([
      "full-snapshot-2026-11-19-03-00-00.snapshot",
      "full-snapshot-2026-11-20-03-00-00.snapshot",
    ]);
    expect(await dest.keys()).toEqual([copied[2]]);
    const c1 = (d: string) => `snapshots/c1/c1-11-2026-11-${d}-02-00-00.snapshot`;
    const c2 = (d: string) => `snapshots/c2/c2-12-2026-11-${d}-02-00-00.snapshot`;
    expect(prunedLines(await dest.pruned())).toEqual(
      [
        ...["15", "16"].map((d) => `${dest.location} ${c1(d)}`),
        `${dest.location} backup_metadata/c1/c1-11-2026-11-15-02-00-00.snapshot.json`,
        `${dest.location} ${fullCopy}`,
        ...["15", "16", "17", "18"].map((d) => `${n0} ${c1(d)}`),
        `${n0} ${fullCopy}`,
        ...["15", "16", "18"].map((d) => `${n1} ${c2(d)}`),
      ].sort(),
    );
  });

  it("nodes on S3 storage in the destination bucket: each snapshot counted once, deleted once", async () => {
    const clock = manualClock("2026-11-17T02:00:00Z");
    const dest = await startDestination("s3", "prune-s3-nodes", { nodes: 1, clock: clock.now, peerIds: [7] });
    const node = dest.rig?.urls[0] ?? "";
    await seedCollection(node, "c1", { points: 4, dim: 2, shards: 2 });
    for (const day of ["17", "18", "19", "20"]) {
      clock.set(`2026-11-${day}T02:00:00Z`);
      await qdrantCall(node, "POST", "/collections/c1/snapshots");
      await qdrantCall(node, "POST", "/collections/c1/shards/0/snapshots");
      // On S3 storage a full snapshot leaves its collection snapshot (03:00) in the bucket too.
      clock.set(`2026-11-${day}T03:00:00Z`);
      if (day >= "18") await qdrantCall(node, "POST", "/snapshots");
    }
    dest.rig?.emu.resetRequests();
    const env = { ...ZERO, QDRANT_KEEP_DAILY: "2", QDRANT_SOURCE_HOSTS: node };

    const summary = await run({ confirm: true }, dest.deps(env));

    // c1: 4 at 02:00 + 3 at 03:00, keeps 11-20 and 11-19 at 03:00; shard 0: 4, keeps 2; full: 3, keeps 2.
    expect(summary).toMatchObject({ done: 8, failed: 0, exitCode: EXIT.ok });
    const keys = summary.items.map((i) => i["key"]);
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys).toHaveLength(14);
    expect(summary.items.find((i) => i["key"] === "snapshots/c1/c1-7-2026-11-17-02-00-00.snapshot")?.["places"]).toBe(
      `${dest.location}, ${node}`,
    );
    expect(await dest.keys()).toEqual([
      "snapshots/c1/c1-7-2026-11-19-03-00-00.snapshot",
      "snapshots/c1/c1-7-2026-11-20-03-00-00.snapshot",
      "snapshots/c1/shards/0/c1-shard-0-2026-11-19-02-00-00.snapshot",
      "snapshots/c1/shards/0/c1-shard-0-2026-11-20-02-00-00.snapshot",
      "snapshots/full-snapshot-2026-11-19-03-00-00.snapshot",
      "snapshots/full-snapshot-2026-11-20-03-00-00.snapshot",
    ]);
    const deletes = dest.rig?.requests("DELETE", /./) ?? [];
    // The full snapshot goes through the node's API; no collection snapshot is ever deleted as a full one.
    expect(deletes.filter((r) => r.path.startsWith("/snapshots/"))).toEqual([
      {
        node: 0,
        method: "DELETE",
        path: "/snapshots/full-snapshot-2026-11-18-03-00-00.snapshot",
        status: 200,
        ms: expect.any(Number),
        arrivedAt: expect.any(Number),
      },
    ]);
    // The node's copy of a collection snapshot is the bucket object the destination already deleted: 404, not a failure.
    expect(deletes.filter((r) => r.path.startsWith("/collections/")).map((r) => r.status)).toEqual([
      404, 404, 404, 404, 404,
    ]);
    const host = new URL(node).host;
    expect(prunedLines(await dest.pruned())).toEqual(
      [
        ...["17-02", "18-02", "19-02", "20-02", "18-03"].map(
          (t) => `${dest.location} snapshots/c1/c1-7-2026-11-${t}-00-00.snapshot`,
        ),
        ...["17", "18"].map((d) => `${dest.location} snapshots/c1/shards/0/c1-shard-0-2026-11-${d}-02-00-00.snapshot`),
        `${node} full_snapshots/${host}/full-snapshot-2026-11-18-03-00-00.snapshot`,
      ].sort(),
    );
  });

  it("GET_PEERS_FROM_CLUSTER_INFO=true prunes every peer of the cluster", async () => {
    const clock = manualClock("2026-11-18T02:00:00Z");
    const emu = await startNodes({ cluster: { peers: 2, shards: 2 }, clock: clock.now, peerIds: [21, 22] });
    const [p0 = "", p1 = ""] = emu.urls;
    await seedCollection(p0, "c1", { points: 4, dim: 2 });
    for (const day of ["18", "19", "20"]) {
      clock.set(`2026-11-${day}T02:00:00Z`);
      for (const url of emu.urls) await qdrantCall(url, "POST", "/collections/c1/snapshots");
    }
    const dest = await startDestination("dir", "prune-cluster");
    const env = {
      ...ZERO,
      QDRANT_SOURCE_HOSTS: p0,
      GET_PEERS_FROM_CLUSTER_INFO: "true",
      QDRANT_HTTP_PORT: String(emu.nodes[0]?.port),
    };

    const summary = await run({ confirm: true }, dest.deps(env));

    expect(summary).toMatchObject({ done: 4, failed: 0, exitCode: EXIT.ok });
    expect(await names(p0, "/collections/c1/snapshots")).toEqual(["c1-21-2026-11-20-02-00-00.snapshot"]);
    expect(await names(p1, "/collections/c1/snapshots")).toEqual(["c1-22-2026-11-20-02-00-00.snapshot"]);
  });
});

describe("prune_snap: leftovers of killed writes in a directory destination", () => {
  it("lists .partial- files older than a day in a dry run, removes them with --confirm, keeps younger ones", async () => {
    const state = await makeTempDir("prune-partials-state");
    const backup = await makeTempDir("prune-partials-dir");
    onTestFinished(() => Promise.all([state.cleanup(), backup.cleanup()]).then(() => undefined));
    const dir = path.join(backup.dir, "snapshots", "c1");
    await mkdir(dir, { recursive: true });
    const old = "c1-1.snapshot.partial-0123456789ab";
    const young = "c1-2.snapshot.partial-ba9876543210";
    const notOurs = "c1-3.snapshot.partial-notours"; // not a name put writes: never touched
    for (const name of [old, young, notOurs]) await writeFile(path.join(dir, name), "half of it");
    const twoDaysAgo = new Date(Date.now() - 48 * 3600 * 1000);
    await utimes(path.join(dir, old), twoDaysAgo, twoDaysAgo);
    await utimes(path.join(dir, notOurs), twoDaysAgo, twoDaysAgo);

    const dry = createTestDeps({ QDRANT_BACKUP_DIR: backup.dir }, { stateDir: state.dir });
    onTestFinished(() => dry.close());
    expect((await run({}, dry)).exitCode).toBe(EXIT.ok);
    expect(dry.lines.join("\n")).toContain(
      `would remove 1 temporary file of interrupted writes, older than a day, in ${backup.dir}: snapshots/c1/${old}`,
    );
    expect((await readdir(dir)).sort()).toEqual([old, young, notOurs].sort());

    const real = createTestDeps({ QDRANT_BACKUP_DIR: backup.dir }, { stateDir: state.dir });
    onTestFinished(() => real.close());
    expect((await run({ confirm: true }, real)).exitCode).toBe(EXIT.ok);
    expect(real.lines.join("\n")).toContain("removed 1 temporary file of interrupted writes");
    expect((await readdir(dir)).sort()).toEqual([young, notOurs].sort());
  });
});
