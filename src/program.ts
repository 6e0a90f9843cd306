import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { ConfigError, EXIT_CODE_TABLE } from "./errors.js";
import { findTask, TASKS, type TaskDef } from "./tasks.js";
import { VARIABLES } from "./variables.js";

/** Global flags. */
export interface GlobalOptions {
  stateDir?: string;
  envFile?: string;
  json: boolean;
  quiet: boolean;
  verbose: boolean;
}

/** What the command line asks for: tasks in order, with their options. */
export type ParsedArgs =
  | { kind: "run"; tasks: TaskDef[]; bkp: boolean; global: GlobalOptions }
  | { kind: "exit"; code: 0 | 2 };

const VARIABLE_BY_NAME = new Map(VARIABLES.map((v) => [v.name, v] as const));

function variablesHelp(task: TaskDef): string {
  const lines = task.variables.map((name) => {
    const v = VARIABLE_BY_NAME.get(name)!;
    const dflt = "default" in v && v.default !== "" ? ` (default ${v.default})` : "";
    return `  ${name.padEnd(34)}${v.description}${dflt}`;
  });
  return `\nEnvironment variables read:\n${lines.join("\n")}\n`;
}

function exitCodesHelp(): string {
  return `\nExit codes:\n${EXIT_CODE_TABLE.map(([code, text]) => `  ${String(code).padEnd(5)}${text}`).join("\n")}\n`;
}

function parseBkp(value: string): boolean {
  if (value === "true") return true;
  if (value === "false") return false;
  throw new InvalidArgumentError("expected true or false.");
}

/**
 * Parses argv (without node and script) with commander. Help and version are written through `out`,
 * errors through `err`; nothing here exits the process.
 */
export function parseArgs(argv: readonly string[], version: string, out: (s: string) => void, err: (s: string) => void): ParsedArgs {
  let parsed: ParsedArgs | undefined;
  const program = new Command("qdrant-backup-restore")
    .description("Back up Qdrant collections to S3 and restore them onto other Qdrant hosts; a drop-in port of qdrant_backup_recovery.sh.\nSeveral tasks may be given; they run in order and stop at the first that fails.")
    .usage("[options] <task> [more tasks...]")
    .version(version, "-V, --version")
    .option("--state-dir <dir>", "directory of the state files (env QDRANT_STATE_DIR; default: current directory)")
    .option("--env-file <path>", "load variables from this file instead of ./.env (the real environment wins)")
    .option("--json", "print one JSON summary on stdout", false)
    .option("-q, --quiet", "log only warnings and errors", false)
    .option("-v, --verbose", "log every request (method, host, path, status, ms) and stacks", false)
    .configureOutput({ writeOut: out, writeErr: err })
    .exitOverride()
    .showHelpAfterError("(run with --help for usage)")
    .addHelpText("after", `\nVariables are read from the environment and from ./.env (or --env-file). Run '<task> --help' for the variables a task reads.\n${exitCodesHelp()}`);

  for (const task of TASKS) {
    const cmd = program
      .command(task.name)
      .aliases([...task.aliases])
      .description(task.summary)
      .argument("[more...]", "further tasks to run after this one, in order")
      .addOption(new Option("--bkp <bool>", "reset: keep .bkp copies of the state files instead of deleting them (true|false)").argParser(parseBkp))
      .addHelpText("after", variablesHelp(task) + exitCodesHelp())
      .action((more: string[], opts: { bkp?: boolean }) => {
        const tasks = [task];
        const unknown: string[] = [];
        for (const name of more) {
          const t = findTask(name);
          if (t) tasks.push(t);
          else unknown.push(name);
        }
        if (unknown.length) throw new ConfigError(unknown.map((u) => `unknown task "${u}" (tasks: ${TASKS.map((t) => t.name).join(", ")})`));
        parsed = { kind: "run", tasks, bkp: opts.bkp ?? false, global: program.opts<GlobalOptions>() };
      });
    cmd.configureOutput({ writeOut: out, writeErr: err }).exitOverride();
  }

  try {
    program.parse([...argv], { from: "user" });
  } catch (e) {
    if (e instanceof ConfigError) {
      for (const p of e.problems) err(`error: ${p}\n`);
      return { kind: "exit", code: 2 };
    }
    if (e instanceof CommanderError) {
      // --help and --version exit 0; a missing task shows the help as an error (exit 2), like any usage error.
      return { kind: "exit", code: e.exitCode === 0 ? 0 : 2 };
    }
    throw e;
  }
  if (!parsed) throw new Error("commander finished without running a task action");
  return parsed;
}
