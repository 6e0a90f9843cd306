// The problems buildConfig reports for an environment, one line each (none: []); any other error is thrown.
import { buildConfig } from "../../src/config.js";
import { ConfigError } from "../../src/errors.js";

export function configProblems(env: Record<string, string>, cwd: string): string[] {
  try {
    buildConfig(env, { cwd });
  } catch (e) {
    if (e instanceof ConfigError) return [...e.problems];
    throw e;
  }
  return [];
}
