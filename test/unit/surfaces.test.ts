import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parse as parseDotenv } from "dotenv";
import { describe, expect, it } from "vitest";
import { EXIT_CODE_TABLE } from "../../src/errors.js";
import { parseArgs } from "../../src/program.js";
import { TASKS } from "../../src/tasks.js";
import { VARIABLES } from "../../src/variables.js";

// README.md, .env.sample and --help are public surfaces: each must say what the code does.
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const readme = readFileSync(path.join(root, "README.md"), "utf8");
const sample = readFileSync(path.join(root, ".env.sample"), "utf8");

function help(argv: string[]): string {
  let out = "";
  const r = parseArgs(
    argv,
    "0.0.0",
    (s) => (out += s),
    (s) => (out += s),
  );
  expect(r).toEqual({ kind: "exit", code: 0 });
  return out;
}

describe("README.md", () => {
  it("starts with the two commands a newcomer needs", () => {
    const firstBlock = /```bash\n([\s\S]*?)```/.exec(readme)?.[1] ?? "";
    expect(firstBlock).toMatch(/^npm ci && npm run demo\b/m);
    expect(firstBlock).toMatch(/^npm test\b/m);
  });

  it("documents every variable with its default", () => {
    for (const v of VARIABLES) {
      const row = readme.split("\n").find((l) => l.startsWith(`| \`${v.name}\` |`));
      expect(row, v.name).toBeDefined();
      if ("default" in v && v.default !== "") expect(row, v.name).toContain(`\`${v.default}\``);
    }
  });

  it("documents every task and its long alias", () => {
    for (const t of TASKS) {
      expect(readme).toContain(`\`${t.name}`);
      for (const a of t.aliases) expect(readme).toContain(`\`${a}\``);
    }
  });

  it("lists the exit codes of errors.ts", () => {
    for (const [code] of EXIT_CODE_TABLE) expect(readme).toMatch(new RegExp(`^\\| ${code} \\|`, "m"));
  });
});

describe(".env.sample", () => {
  it("sets every variable (MC_CONFIG_DIR only as a comment), with the documented default where there is one", () => {
    const values = parseDotenv(sample);
    for (const v of VARIABLES) {
      if (v.name === "MC_CONFIG_DIR") {
        expect(sample).toMatch(/^# export MC_CONFIG_DIR=/m);
        continue;
      }
      expect(Object.keys(values), v.name).toContain(v.name);
      if ("default" in v && v.default !== "") expect(values[v.name], v.name).toBe(v.default);
    }
    for (const name of Object.keys(values))
      expect(
        VARIABLES.map((v) => v.name),
        name,
      ).toContain(name);
  });
});

describe("--help", () => {
  it("lists every task and the exit codes", () => {
    const out = help(["--help"]);
    for (const t of TASKS) expect(out).toContain(t.name);
    for (const [code, text] of EXIT_CODE_TABLE) expect(out).toContain(`${String(code).padEnd(5)}${text}`);
  });

  it("lists the variables each task reads", () => {
    for (const t of TASKS) {
      const out = help([t.name, "--help"]);
      for (const v of t.variables) expect(out, `${t.name} ${v}`).toContain(v);
      expect(out).toContain("Exit codes:");
    }
  });

  it("shows in '<task> --help' only the flags of that task, and each task's own flags", () => {
    const all = [...new Set(TASKS.flatMap((t) => t.flags ?? []))];
    expect(all).toEqual(expect.arrayContaining(["--confirm", "--dry-run", "--probe-write", "--bkp", "--file"]));
    for (const t of TASKS) {
      const options = help([t.name, "--help"]).split(/\nEnvironment variables read:/)[0]!;
      const shown = all.filter((f) => new RegExp(`^\\s+${f}\\b`, "m").test(options));
      expect(shown.sort(), t.name).toEqual([...(t.flags ?? [])].sort());
    }
  });

  it("keeps every task flag accepted by every task, so a chain takes a later task's flag", () => {
    const parsed = parseArgs(
      ["create_snap", "prune_snap", "--confirm"],
      "0.0.0",
      () => {},
      () => {},
    );
    expect(parsed).toMatchObject({ kind: "run", options: { confirm: true } });
    expect(parsed.kind === "run" && parsed.tasks.map((t) => t.name)).toEqual(["create_snap", "prune_snap"]);
    const doctor = parseArgs(
      ["get_coll", "doctor", "--probe-write"],
      "0.0.0",
      () => {},
      () => {},
    );
    expect(doctor).toMatchObject({ kind: "run", options: { probeWrite: true } });
  });

  it("names in a flag's help only the tasks that take it", () => {
    for (const t of TASKS) {
      const options = help([t.name, "--help"]).split(/\nEnvironment variables read:/)[0]!;
      const named = TASKS.filter((o) => new RegExp(`\\b${o.name}:`).test(options)).map((o) => o.name);
      // A flag's text may name other tasks that take it too; each must list that flag.
      for (const other of named) {
        const flagsOfOther = TASKS.find((o) => o.name === other)!.flags ?? [];
        expect(
          flagsOfOther.some((f) => (t.flags ?? []).includes(f)),
          `${t.name} help names ${other}`,
        ).toBe(true);
      }
    }
  });

  it("keeps the global flags in the program's help", () => {
    const out = help(["--help"]);
    for (const flag of ["--state-dir", "--env-file", "--json", "--items", "--quiet", "--verbose", "--break-lock"])
      expect(out).toContain(flag);
  });

  it("lists the completion command, whose install line README.md gives for bash and zsh", () => {
    expect(help(["--help"])).toMatch(/^ {2}completion <shell> +print a completion script/m);
    expect(help(["completion", "--help"])).toContain("bash or zsh");
    for (const shell of ["bash", "zsh"])
      expect(readme).toContain(`source <(qdrant-backup-restore completion ${shell})`);
  });

  it("shows the flags of this issue only on their tasks' help", () => {
    const shownOn = (flag: string) =>
      TASKS.filter((t) =>
        new RegExp(`^\\s+${flag}\\b`, "m").test(help([t.name, "--help"]).split(/\nEnvironment variables read:/)[0]!),
      ).map((t) => t.name);
    expect(shownOn("--only-failed")).toEqual(["create_snap"]);
    expect(shownOn("--dry-run").sort()).toEqual(
      ["create_snap_shards", "prune_snap", "recover_colla", "recover_snap", "reset"].sort(),
    );
  });

  it("works for the long aliases", () => {
    expect(help(["create_snapshot", "--help"])).toContain("QDRANT_SOURCE_HOSTS");
  });
});
