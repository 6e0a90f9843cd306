// The variables of backup sets, validated as the bash tool validates them.
import { describe, expect, it } from "vitest";
import { configProblems } from "../support/config-problems.js";
import { buildConfig } from "../../src/config.js";

const cwd = "/work/dir";
const problemsOf = (env: Record<string, string>): string[] => configProblems(env, cwd);

describe("backup-set variables", () => {
  it("defaults: GFS retention for sets (no count), a two-day grace, a 50 % cap, two legacy runs, GIT_REF unknown", () => {
    expect(buildConfig({}, { cwd }).sets).toEqual({
      retentionSets: undefined,
      sweepGraceSeconds: 172800,
      sweepDeleteCapPct: 50,
      legacyKeepRuns: 2,
      gitRef: "unknown",
    });
    expect(buildConfig({ QDRANT_BACKUP_RETENTION_SETS: "0" }, { cwd }).sets.retentionSets).toBe(0);
    expect(buildConfig({ QDRANT_BACKUP_RETENTION_SETS: "3" }, { cwd }).sets.retentionSets).toBe(3);
  });

  it.each([
    ["QDRANT_BACKUP_RETENTION_SETS", "two"],
    ["QDRANT_BACKUP_RETENTION_SETS", "-1"],
    ["QDRANT_SWEEP_GRACE_SECONDS", "0"],
    ["QDRANT_SWEEP_GRACE_SECONDS", "2d"],
    ["QDRANT_SWEEP_DELETE_CAP_PCT", "101"],
    ["QDRANT_SWEEP_DELETE_CAP_PCT", "half"],
    ["QDRANT_LEGACY_KEEP_RUNS", "0"],
  ])("refuses %s=%s, naming the variable", (name, value) => {
    const problems = problemsOf({ [name]: value });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(name);
  });
});
