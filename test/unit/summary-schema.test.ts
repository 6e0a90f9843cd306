// schemas/summary.schema.json, the documented shape of the --json summary: it compiles in ajv's strict mode, agrees
// with the code's tables (schema version, exit codes, task names), and real outputs of main() follow it. The e2e
// tests validate every --json summary they read against it too (test/e2e/harness.ts › parseJsonSummary).
import { readFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { Ajv } from "ajv";
import { afterEach, describe, expect, it } from "vitest";
import { EXIT } from "../../src/errors.js";
import { main } from "../../src/main.js";
import { SUMMARY_SCHEMA_VERSION } from "../../src/outcome.js";
import { TASKS } from "../../src/tasks.js";
import { assertValidSummary, SUMMARY_SCHEMA } from "../support/summary-schema.js";
import { makeTempDir } from "../support/tmp.js";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

/** Runs main() with --json and returns the parsed stdout. */
async function jsonOf(argv: string[], env: Record<string, string>): Promise<Record<string, unknown>> {
  const t = await makeTempDir("summary-schema");
  cleanups.push(t.cleanup);
  let out = "";
  const code = await main({
    argv: ["--json", "--state-dir", path.join(t.dir, "state"), ...argv],
    env,
    cwd: t.dir,
    stdout: (s) => (out += s),
    stderr: () => {},
    signal: new AbortController().signal,
  });
  const value = JSON.parse(out) as Record<string, unknown>;
  expect(value["exitCode"]).toBe(code);
  return value;
}

const props = SUMMARY_SCHEMA["properties"] as Record<string, Record<string, unknown>>;
const task = (SUMMARY_SCHEMA["definitions"] as Record<string, { properties: Record<string, Record<string, unknown>> }>)[
  "task"
]!.properties;

describe("schemas/summary.schema.json", () => {
  it("compiles in ajv's strict mode", () => {
    expect(() => new Ajv({ strict: true, allErrors: true }).compile(SUMMARY_SCHEMA)).not.toThrow();
  });

  it("names the code's schema version, every exit code of the table and every task", () => {
    expect(props["schema_version"]?.["const"]).toBe(SUMMARY_SCHEMA_VERSION);
    expect(props["exitCode"]?.["enum"]).toEqual(Object.values(EXIT));
    expect(task["exitCode"]?.["enum"]).toEqual(Object.values(EXIT));
    expect(task["task"]?.["enum"]).toEqual(TASKS.map((t) => t.name));
  });

  it("real outputs follow it: a success (reset) and an error exit (exit 2)", async () => {
    const ok = await jsonOf(["reset"], {});
    expect(ok).toMatchObject({ schema_version: 2, ok: true, exitCode: 0 });
    expect((ok["tasks"] as unknown[]).length).toBe(1);
    assertValidSummary(ok);
    const failed = await jsonOf(["create_snap"], {});
    expect(failed).toMatchObject({ schema_version: 2, ok: false, exitCode: 2, tasks: [] });
    expect(failed["error"]).toMatch(/QDRANT_SOURCE_HOSTS/);
    assertValidSummary(failed);
  });

  it("has a task's items only with --items; --items without --json is a usage error", async () => {
    const t = await makeTempDir("summary-items");
    cleanups.push(t.cleanup);
    const state = path.join(t.dir, "state");
    await mkdir(state);
    await writeFile(path.join(state, "snapshots"), "http://h:6333,c,c-1.snapshot\n");
    const without = await jsonOf(["--state-dir", state, "reset"], {});
    assertValidSummary(without);
    expect((without["tasks"] as Record<string, unknown>[])[0]).not.toHaveProperty("items");
    await writeFile(path.join(state, "snapshots"), "http://h:6333,c,c-1.snapshot\n");
    const withItems = await jsonOf(["--items", "--state-dir", state, "reset"], {});
    assertValidSummary(withItems);
    expect((withItems["tasks"] as Record<string, unknown>[])[0]?.["items"]).toEqual([
      { file: path.join(state, "snapshots"), action: "removed", outcome: "done" },
    ]);
    let err = "";
    const code = await main({
      argv: ["--items", "reset"],
      env: {},
      cwd: t.dir,
      stdout: () => {},
      stderr: (s) => (err += s),
      signal: new AbortController().signal,
    });
    expect(code).toBe(2);
    expect(err).toMatch(/^error: --items needs --json/);
  });

  it("README.md's example of a summary follows it", () => {
    const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
    const examples = [...readme.matchAll(/```json\n(\{"schema_version".*\})\n```/g)].map(
      (m) => JSON.parse(m[1]!) as unknown,
    );
    expect(examples).toHaveLength(1);
    assertValidSummary(examples[0]);
  });

  it("rejects what breaks it: no schema_version, an unknown field, ok with a non-zero code, an item without outcome", () => {
    const good = {
      schema_version: 2,
      ok: true,
      exitCode: 0,
      tasks: [
        {
          task: "create_snap",
          done: 1,
          skipped: 0,
          failed: 0,
          accepted: 0,
          message: "m",
          items: [{ host: "h", collection: "c", outcome: "done" }],
          exitCode: 0,
        },
      ],
    };
    expect(() => assertValidSummary(good)).not.toThrow();
    const { schema_version: _v, ...unversioned } = good;
    const broken: unknown[] = [
      unversioned,
      { ...good, extra: 1 },
      { ...good, exitCode: 3 },
      { ...good, ok: false },
      { ...good, error: "x" },
      { ...good, schema_version: 1 },
      { ...good, tasks: [{ ...good.tasks[0], items: [{ host: "h" }] }] },
      { ...good, tasks: [{ ...good.tasks[0], task: "create_snapshot" }] },
    ];
    for (const b of broken) expect(() => assertValidSummary(b), JSON.stringify(b)).toThrow(/breaks/);
  });
});
