// The variables of recover_snap_shards, validated as the bash tool validates them.
import { describe, expect, it } from "vitest";
import { configProblems } from "../support/config-problems.js";
import { buildConfig } from "../../src/config.js";

const cwd = "/work/dir";
const problemsOf = (env: Record<string, string>): string[] => configProblems(env, cwd);

describe("recover_snap_shards variables", () => {
  it("defaults: no force, the version gate on, 1800 s to turn green, polls 5 s apart, 300 random probes", () => {
    expect(buildConfig({}, { cwd }).restore).toEqual({
      force: false,
      skipVersionCheck: false,
      greenTimeoutSeconds: 1800,
      pollIntervalSeconds: 5,
      samplePoints: 300,
    });
    expect(buildConfig({ QDRANT_VERIFY_SAMPLE_POINTS: "0" }, { cwd }).restore.samplePoints).toBe(0);
    expect(buildConfig({ QDRANT_RESTORE_FORCE: "true" }, { cwd }).restore.force).toBe(true);
  });

  it.each([
    ["QDRANT_RESTORE_FORCE", "TRUE"],
    ["QDRANT_RESTORE_FORCE", "1"],
    ["QDRANT_SKIP_VERSION_CHECK", "yes"],
    ["QDRANT_VERIFY_GREEN_TIMEOUT_SECONDS", "30m"],
    ["QDRANT_VERIFY_POLL_INTERVAL_SECONDS", "0"],
    ["QDRANT_VERIFY_SAMPLE_POINTS", "-1"],
    ["QDRANT_VERIFY_SAMPLE_POINTS", "all"],
  ])("refuses %s=%s, naming the variable", (name, value) => {
    const problems = problemsOf({ [name]: value });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(name);
  });
});
