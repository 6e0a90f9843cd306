/** A backed-up rig for the recover_snap tests: one source, two targets, create_snap already run. */
import { expect } from "vitest";
import { run as createSnap } from "../../../src/commands/create_snap.js";
import { EXIT } from "../../../src/errors.js";
import { readAllPoints, seedCollection } from "../../support/emulator/seed.js";
import { manualClock, sortedLines, startRig, type Rig } from "./rig.js";

export const API_KEY = "emulator-api-key-9f8e7d";
export const RECOVER = /^\/collections\/[^/]+\/snapshots\/recover$/;
export const C1 = "c1-1-2026-03-01-08-00-00.snapshot";
export const C2 = "c2-1-2026-03-01-08-00-00.snapshot";

export interface Backup {
  rig: Rig;
  clock: ReturnType<typeof manualClock>;
  src: string;
  t1: string;
  t2: string;
  /** Env for recovering onto both targets. */
  env: Record<string, string>;
}

/** Node 0 is the source (c1: 20 points, c2: 10 points in 2 shards), nodes 1 and 2 the targets; create_snap ran. */
export async function backedUp(label: string): Promise<Backup> {
  const clock = manualClock("2026-03-01T08:00:00Z");
  const rig = await startRig(label, { nodes: 3, clock: clock.now, apiKey: API_KEY, peerIds: [1, 2, 3] });
  const [src = "", t1 = "", t2 = ""] = rig.urls;
  await seedCollection(src, "c1", { points: 20, dim: 4, apiKey: API_KEY });
  await seedCollection(src, "c2", { points: 10, dim: 4, shards: 2, apiKey: API_KEY });
  const created = await createSnap({}, rig.deps({ QDRANT_SOURCE_HOSTS: src, QDRANT_API_KEY: API_KEY }));
  expect(created).toMatchObject({ done: 2, exitCode: EXIT.ok });
  expect(sortedLines(await rig.read("snapshots"))).toEqual([`${src},c1,${C1}`, `${src},c2,${C2}`]);
  rig.emu.resetRequests();
  return { rig, clock, src, t1, t2, env: { QDRANT_RESTORE_HOSTS: `${t1},${t2}`, QDRANT_API_KEY: API_KEY } };
}

export async function expectSamePoints(from: string, to: string, collection: string): Promise<void> {
  const expected = await readAllPoints(from, collection, API_KEY);
  expect(expected.length).toBeGreaterThan(0);
  expect(await readAllPoints(to, collection, API_KEY)).toEqual(expected);
}
