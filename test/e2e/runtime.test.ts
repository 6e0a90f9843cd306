// The node that runs the built CLI in every e2e test: QBR_TEST_NODE (`npm run test:node24` sets it to the Docker
// image's Node 24), else the node running the tests. The spawned CLI must really run on it, or a second pass on
// another runtime would silently test the first one again.
import { execFile } from "node:child_process";
import { realpathSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { CLI_NODE, CLI_PATH, cliPath, selectNode } from "../support/cli.js";

const run = promisify(execFile);

describe("the node that runs the built CLI", () => {
  it("is the one the bundle's shebang finds on the harness's PATH, and is QBR_TEST_NODE when that is set", async () => {
    const shebang = (await readFile(CLI_PATH, "utf8")).split("\n", 1)[0];
    expect(shebang).toBe("#!/usr/bin/env -S node --");
    // The interpreter line's lookup (`env node` on the PATH the harness gives), asked where it landed.
    const { stdout } = await run("/usr/bin/env", ["node", "-p", "process.execPath + ' ' + process.version"], {
      env: { PATH: cliPath() },
    });
    const [execPath = "", version = ""] = stdout.trim().split(" ");
    expect(realpathSync(execPath)).toBe(realpathSync(CLI_NODE));
    const given = process.env["QBR_TEST_NODE"];
    if (given) expect(realpathSync(execPath)).toBe(realpathSync(given));
    else expect(version).toBe(process.version);
  });

  it("QBR_TEST_NODE must be an absolute path to an existing file", () => {
    expect(selectNode(undefined)).toBe(process.execPath);
    expect(selectNode("")).toBe(process.execPath);
    expect(selectNode(process.execPath)).toBe(process.execPath);
    expect(() => selectNode("node")).toThrow(/QBR_TEST_NODE=node: give the absolute path/);
    expect(() => selectNode("/nonexistent-qbr/node")).toThrow(/QBR_TEST_NODE=\/nonexistent-qbr\/node: no such file/);
  });
});
