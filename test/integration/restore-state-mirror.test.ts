// The durable resume state of a set's restore (`restore_state/{c}/{set}.csv`): shards finishing at once on several
// peers each upload the copy; an upload that read fewer lines must never land last (a new pod would recover that
// shard again). It failed in the gateway pass, whose uploads finish in another order than the fake's.
import { readFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
import { recordShard } from "../../src/backup/sets/restore-state.js";
import { restoreStateKey } from "../../src/core/set-keys.js";
import type { SnapshotStore } from "../../src/store/types.js";
import { createTestDeps } from "../support/deps.js";
import { makeTempDir } from "../support/tmp.js";

describe("the durable copy of a set's restore state", () => {
  it("holds every shard's line when shards finish at once and the first upload is the slowest", async () => {
    const dest = await makeTempDir("restore-state-mirror-dest");
    const state = await makeTempDir("restore-state-mirror-state");
    onTestFinished(async () => {
      await dest.cleanup();
      await state.cleanup();
    });
    const deps = createTestDeps({ QDRANT_BACKUP_DIR: dest.dir }, { stateDir: state.dir });
    onTestFinished(() => deps.close());
    const inner = deps.store();
    let puts = 0;
    // The first upload takes 300 ms, the later ones none: without an order, the first (one line) lands last.
    const slowFirst: SnapshotStore = {
      ...inner,
      put: async (key, body, opts) => {
        const mine = ++puts;
        if (mine === 1) await new Promise((r) => setTimeout(r, 300));
        return inner.put(key, body, opts);
      },
    };
    const run = { ...deps, store: () => slowFirst };

    // Shard 0's upload (one line) is under way when shards 1 and 2 finish.
    const first = recordShard(run, "http://t:6333", "docs", "2026-12-07T00-00-00Z-x", 0);
    while (puts === 0) await new Promise((r) => setTimeout(r, 5));
    await Promise.all(
      [1, 2].map((shard) => recordShard(run, "http://t:6333", "docs", "2026-12-07T00-00-00Z-x", shard)),
    );
    await first;

    const copy = await readFile(path.join(dest.dir, restoreStateKey("docs", "2026-12-07T00-00-00Z-x")), "utf8");
    expect(copy.trim().split("\n").sort()).toEqual([
      "http://t:6333,docs,2026-12-07T00-00-00Z-x,0,ok",
      "http://t:6333,docs,2026-12-07T00-00-00Z-x,1,ok",
      "http://t:6333,docs,2026-12-07T00-00-00Z-x,2,ok",
    ]);
  });
});
