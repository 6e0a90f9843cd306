// `completion bash|zsh` through the built CLI: the printed script, run in a real bash (and zsh when installed), completes
// the tasks, their aliases, each task's own flags and the values of a few flags; nothing else is printed or written.
import { execFileSync, spawnSync } from "node:child_process";
import { readdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
import { runCli } from "../support/cli.js";
import { makeTempDir } from "../support/tmp.js";
import { expectExit } from "./harness.js";

async function script(shell: string): Promise<{ file: string; dir: string; text: string }> {
  const t = await makeTempDir(`e2e-completion-${shell}`);
  onTestFinished(t.cleanup);
  const r = await runCli(["completion", shell], { env: {}, cwd: t.dir });
  expectExit(r, 0);
  expect(r.stderr).toBe("");
  expect(await readdir(t.dir)).toEqual([]); // no lock, no state file
  const file = path.join(t.dir, `completion.${shell}`);
  await writeFile(file, r.stdout);
  return { file, dir: t.dir, text: r.stdout };
}

/** What bash completes for the command line `words`, the last word being the one under the cursor. */
function bashComplete(file: string, cwd: string, words: string[]): string[] {
  const program = `source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$((\${#COMP_WORDS[@]} - 1)); _qdrant_backup_restore; printf '%s\\n' "\${COMPREPLY[@]}"`;
  const out = execFileSync("bash", ["--norc", "--noprofile", "-c", program, "bash", file, ...words], {
    cwd,
    encoding: "utf8",
  });
  return out.split("\n").filter((l) => l !== "");
}

const hasZsh = spawnSync("zsh", ["--version"]).status === 0;

describe("completion (built CLI)", () => {
  it("bash: completes tasks and aliases, a task's own flags only, the values of --bkp and --priority, and files after --file", async () => {
    const { file, dir } = await script("bash");
    const bin = "qdrant-backup-restore";
    expect(bashComplete(file, dir, [bin, "recover_"]).sort()).toEqual([
      "recover_colla",
      "recover_collection_alias",
      "recover_full_snap",
      "recover_full_snapshot",
      "recover_snap",
      "recover_snap_shards",
      "recover_snapshot",
    ]);
    expect(bashComplete(file, dir, [bin, "create_snap", "--"])).toContain("--only-failed");
    expect(bashComplete(file, dir, [bin, "prune_snap", "--"])).toEqual(
      expect.arrayContaining(["--confirm", "--dry-run"]),
    );
    expect(bashComplete(file, dir, [bin, "prune_snap", "--"])).not.toContain("--bkp");
    expect(bashComplete(file, dir, [bin, "--"])).toEqual(expect.arrayContaining(["--json", "--items", "--state-dir"]));
    expect(bashComplete(file, dir, [bin, "--"])).not.toContain("--confirm");
    expect(bashComplete(file, dir, [bin, "reset", "--bkp", ""])).toEqual(["true", "false"]);
    expect(bashComplete(file, dir, [bin, "upload_snap", "--priority", "r"])).toEqual(["replica"]);
    expect(bashComplete(file, dir, [bin, "completion", ""])).toEqual(["bash", "zsh"]);
    // A chain: the flags of every task given so far.
    const chain = bashComplete(file, dir, [bin, "recover_snap", "reset", "--"]);
    expect(chain).toEqual(expect.arrayContaining(["--all", "--bkp", "--dry-run"]));
    await writeFile(path.join(dir, "env.local"), "");
    expect(bashComplete(file, dir, [bin, "--env-file", "env."])).toEqual(["env.local"]);
    // The tool's other name (package.json's bin) is registered too.
    const registered = execFileSync("bash", ["--norc", "--noprofile", "-c", `source "$1"; complete -p`, "bash", file], {
      encoding: "utf8",
    });
    expect(registered.split("\n").sort()).toEqual([
      "",
      "complete -F _qdrant_backup_restore qdrant-backup-restore",
      "complete -F _qdrant_backup_restore qdrant_backup_recovery",
    ]);
  });

  it.runIf(hasZsh)("zsh: the script loads in zsh and completes tasks, a task's flags and --bkp's values", async () => {
    const { file, dir } = await script("zsh");
    // compadd is replaced by a stub that prints its words; words and CURRENT are what zsh's completion sets.
    const complete = (...words: string[]): string[] => {
      const program = [
        "autoload -Uz compinit && compinit -u -D",
        `source "$1"; shift`,
        "compadd() { [[ $1 == -- ]] && shift; printf '%s\\n' \"$@\"; }",
        `words=("$@"); CURRENT=$#; _qdrant_backup_restore`,
      ].join("\n");
      const out = execFileSync("zsh", ["-f", "-c", program, "zsh", file, ...words], { cwd: dir, encoding: "utf8" });
      return out.split("\n").filter((l) => l !== "");
    };
    expect(complete("qdrant-backup-restore", "rec")).toContain("recover_snap_shards");
    expect(complete("qdrant-backup-restore", "recover_colla", "--")).toEqual(
      expect.arrayContaining(["--dry-run", "--json"]),
    );
    expect(complete("qdrant-backup-restore", "recover_colla", "--")).not.toContain("--confirm");
    expect(complete("qdrant-backup-restore", "reset", "--bkp", "")).toEqual(["true", "false"]);
  });

  it("zsh: the script registers both names with compdef and completes per task (its text)", async () => {
    const { text } = await script("zsh");
    expect(text.split("\n")[0]).toBe("#compdef qdrant-backup-restore qdrant_backup_recovery");
    expect(text).toContain("compdef _qdrant_backup_restore qdrant-backup-restore qdrant_backup_recovery");
    expect(text).toMatch(/^ {6}prune_snap\|prune_snapshot\) flags\+=\(--confirm --dry-run --legacy --force\) ;;$/m);
  });

  it("an unknown shell: exit 2 and one line naming the shells", async () => {
    const t = await makeTempDir("e2e-completion-fish");
    onTestFinished(t.cleanup);
    const r = await runCli(["completion", "fish"], { env: {}, cwd: t.dir });
    expectExit(r, 2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe('error: completion: unknown shell "fish" (shells: bash, zsh)\n');
  });
});
