// The drill tests' rig: the live collection restored on the target, and reading collections and drill_history.
import { parse } from "csv-parse/sync";
import { expect } from "vitest";
import { EXIT } from "../../../src/errors.js";
import { run as recoverSets } from "../../../src/commands/recover_snap_shards.js";
import { listAliases, qdrantCall, readAllPoints } from "../../support/emulator/seed.js";
import { readStateFile } from "./rig.js";
import { DOCS, KEY, SET_NEW, setsRig, type SetsRig } from "./sets-restore.js";

export const SCRATCH = /^docs__drill_\d{8}T\d{6}Z$/;

export async function collectionsOf(url: string, apiKey: string): Promise<string[]> {
  const got = (await qdrantCall(url, "GET", "/collections", apiKey)) as { collections: { name: string }[] };
  return got.collections.map((c) => c.name).sort();
}

/** drill_history as objects keyed by its columns. */
export async function history(dir: string): Promise<Record<string, string>[]> {
  const columns =
    "started_at,collection,scratch,kind,backup,key,location,targets,expected,found,seconds,cleanup_seconds,detail,verdict";
  const text = (await readStateFile(dir, "drill_history")) ?? "";
  return parse(text, { columns: columns.split(","), relax_column_count: false }) as Record<string, string>[];
}

/** The sets rig with `docs` already restored on the target (the live collection and its alias `docs-live`). */
export async function liveTarget(label: string, edit?: Parameters<SetsRig["writeSet"]>[1]) {
  const s = await setsRig(label);
  await s.writeSet(SET_NEW, edit);
  expect(await recoverSets({}, s.rig.deps(s.env))).toMatchObject({ exitCode: EXIT.ok });
  const t = s.target.urls[0]!;
  const before = { points: await readAllPoints(t, DOCS, KEY), aliases: await listAliases(t, KEY) };
  const untouched = async () => {
    expect(await readAllPoints(t, DOCS, KEY)).toEqual(before.points);
    expect(await listAliases(t, KEY)).toEqual(before.aliases);
  };
  return { ...s, t, untouched };
}
