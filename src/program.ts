import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { completionScript, SHELLS, type Shell } from "./completion.js";
import { ConfigError, EXIT_CODE_TABLE } from "./errors.js";
import { flagName, taskFlags } from "./task-flags.js";
import { findTask, TASKS, type TaskDef } from "./tasks.js";
import { VARIABLES } from "./variables.js";
import type { TaskOptions } from "./backup/task/deps.js";
import { LOG_FORMATS, type LogFormat } from "./log.js";

/** Global flags. */
export interface GlobalOptions {
  stateDir?: string;
  envFile?: string;
  json: boolean;
  /** With --json: each task's per-item outcomes (`items`) too. */
  items: boolean;
  quiet: boolean;
  verbose: boolean;
  /** Remove another run's lock on the state (and its lease in the bucket) before taking it. */
  breakLock: boolean;
  /** Write the run's Prometheus metrics to this file at its end (atomically). */
  metricsFile?: string;
  /** The log lines' format; undefined = QDRANT_LOG_FORMAT's. */
  logFormat?: LogFormat;
}

/** What the command line asks for: tasks in order, with their options. */
export type ParsedArgs =
  { kind: "run"; tasks: TaskDef[]; options: TaskOptions; global: GlobalOptions } | { kind: "exit"; code: 0 | 2 };

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

function parseLogFormat(value: string): LogFormat {
  const format = LOG_FORMATS.find((f) => f === value.toLowerCase());
  if (format === undefined) throw new InvalidArgumentError(`expected ${LOG_FORMATS.join(" or ")}.`);
  return format;
}

/**
 * Parses argv (without node and script) with commander. Help and version are written through `out`,
 * errors through `err`; nothing here exits the process.
 */
export function parseArgs(
  argv: readonly string[],
  version: string,
  out: (s: string) => void,
  err: (s: string) => void,
): ParsedArgs {
  let parsed: ParsedArgs | undefined;
  const program = new Command("qdrant-backup-restore")
    .description(
      "Back up Qdrant collections to S3 and restore them onto other Qdrant hosts; a drop-in port of qdrant_backup_recovery.sh.\nSeveral tasks may be given; they run in order and stop at the first that fails.",
    )
    .usage("[options] <task> [more tasks...]")
    .version(version, "-V, --version")
    .option("--state-dir <dir>", "directory of the state files (env QDRANT_STATE_DIR; default: current directory)")
    .option("--env-file <path>", "load variables from this file instead of ./.env (the real environment wins)")
    .option("--json", "print one JSON summary on stdout", false)
    .option("--items", "with --json: include each task's per-item outcomes (items)", false)
    .option(
      "--metrics-file <path>",
      "at the end of the run, write its Prometheus metrics to this file, atomically (for node_exporter's textfile collector)",
    )
    .option("-q, --quiet", "log only warnings and errors; no progress", false)
    .addOption(
      new Option(
        "--log-format <format>",
        "text: [YYYY-MM-DD HH:MM:SS] message lines (default); json: one JSON object per line on stderr (env QDRANT_LOG_FORMAT)",
      ).argParser(parseLogFormat),
    )
    .option("-v, --verbose", "log every Qdrant and S3 request (method, host, path, status, ms) and stacks", false)
    .option(
      "--break-lock",
      "remove another run's lock on the state directory (and its lease in the bucket) first; only when that run is gone",
      false,
    )
    .configureOutput({ writeOut: out, writeErr: err })
    .exitOverride()
    .showHelpAfterError("(run with --help for usage)")
    .addHelpText(
      "after",
      `\nVariables are read from the environment and from ./.env (or --env-file). Run '<task> --help' for the variables a task reads.\n${exitCodesHelp()}`,
    );

  for (const task of TASKS) {
    const cmd = program
      .command(task.name)
      .aliases([...task.aliases])
      .description(task.summary)
      .argument("[more...]", "further tasks to run after this one, in order")
      .addHelpText("after", variablesHelp(task) + exitCodesHelp());
    // Every subcommand takes every task flag (a flag may be meant for a later task in the chain); its --help shows
    // only its own.
    const own = new Set(task.flags ?? []);
    for (const flag of taskFlags()) cmd.addOption(own.has(flagName(flag)) ? flag : flag.hideHelp());
    cmd.action((more: string[], opts: TaskOptions) => {
      const tasks = [task];
      const unknown: string[] = [];
      for (const name of more) {
        const t = findTask(name);
        if (t) tasks.push(t);
        else unknown.push(name);
      }
      if (unknown.length)
        throw new ConfigError(
          unknown.map((u) => `unknown task "${u}" (tasks: ${TASKS.map((t) => t.name).join(", ")})`),
        );
      const global = program.opts<GlobalOptions>();
      const noDryRun = tasks.filter((t) => !(t.flags ?? []).includes("--dry-run")).map((t) => t.name);
      if (opts.dryRun && noDryRun.length > 0)
        throw new ConfigError([
          `--dry-run: ${noDryRun.join(", ")} has no dry run (tasks with one: ${TASKS.filter((t) =>
            t.flags?.includes("--dry-run"),
          )
            .map((t) => t.name)
            .join(", ")}); run it without --dry-run`,
        ]);
      if (global.items && !global.json)
        throw new ConfigError(["--items needs --json (it adds the items to the JSON summary)"]);
      parsed = {
        kind: "run",
        tasks,
        options: { ...opts, bkp: opts.bkp ?? false },
        global,
      };
    });
    cmd.configureOutput({ writeOut: out, writeErr: err }).exitOverride();
  }

  program
    .command("completion")
    .argument("<shell>", SHELLS.join(" or "))
    .description(
      "print a completion script for the shell (tasks, aliases, flags): source <(qdrant-backup-restore completion bash)",
    )
    .configureOutput({ writeOut: out, writeErr: err })
    .exitOverride()
    .action((shell: string) => {
      if (!(SHELLS as readonly string[]).includes(shell))
        throw new ConfigError([`completion: unknown shell "${shell}" (shells: ${SHELLS.join(", ")})`]);
      out(completionScript(shell as Shell, program));
      parsed = { kind: "exit", code: 0 };
    });

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
