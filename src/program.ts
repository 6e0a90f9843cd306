import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { ConfigError, EXIT_CODE_TABLE } from "./errors.js";
import { findTask, TASKS, type TaskDef } from "./tasks.js";
import { VARIABLES } from "./variables.js";
import type { TaskOptions } from "./backup/task/deps.js";
import { LOG_FORMATS, type LogFormat } from "./log.js";

/** Global flags. */
export interface GlobalOptions {
  stateDir?: string;
  envFile?: string;
  json: boolean;
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

function parseBkp(value: string): boolean {
  if (value === "true") return true;
  if (value === "false") return false;
  throw new InvalidArgumentError("expected true or false.");
}

function parseShard(value: string): number {
  if (!/^\d{1,9}$/.test(value)) throw new InvalidArgumentError("expected a shard id (a whole number).");
  return Number(value);
}

function parseChecksum(value: string): string {
  const hex = value.trim().toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(hex)) throw new InvalidArgumentError("expected a SHA-256 digest (64 hex digits).");
  return hex;
}

function parsePriority(value: string): "snapshot" | "replica" | "no_sync" {
  if (value === "snapshot" || value === "replica" || value === "no_sync") return value;
  throw new InvalidArgumentError("expected snapshot, replica or no_sync.");
}

function parseHost(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError("expected a URL such as http://qdrant:6333.");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw new InvalidArgumentError("expected an http:// or https:// URL.");
  return value.replace(/\/+$/, "");
}

function parseLogFormat(value: string): LogFormat {
  const format = LOG_FORMATS.find((f) => f === value.toLowerCase());
  if (format === undefined) throw new InvalidArgumentError(`expected ${LOG_FORMATS.join(" or ")}.`);
  return format;
}

function parseName(value: string): string {
  if (value === "") throw new InvalidArgumentError("must not be empty.");
  return value;
}

/** The task flags, fresh for each subcommand; every subcommand takes them all, so `create_snap prune_snap --confirm` works. */
const taskFlags = (): Option[] => [
  new Option(
    "--bkp <bool>",
    "reset: keep .bkp copies of the state files instead of deleting them (true|false)",
  ).argParser(parseBkp),
  new Option("--confirm", "prune_snap: delete for real (default: a dry run that only lists)"),
  new Option(
    "--dry-run",
    "create_snap_shards: show the plan (which shard on which peer, the manifest keys) and change nothing; prune_snap: list only, even with --confirm",
  ),
  new Option(
    "--legacy",
    "prune_snap: only the day-0 cleanup of legacy collection snapshots, the newest QDRANT_LEGACY_KEEP_RUNS per collection and peer (never sets)",
  ),
  new Option(
    "--force",
    "prune_snap: delete even more than QDRANT_PRUNE_MAX_DELETE_PCT of a group; upload_snap: upload again to hosts that already recovered this file",
  ),
  new Option(
    "--all",
    "recover_snap: recover every listed snapshot, oldest first, as the bash tool does (default: the newest per collection and source peer)",
  ),
  new Option(
    "--collection <name>",
    "download_snap, upload_snap: the collection; recover_snap_shards: restore only this collection",
  ).argParser(parseName),
  new Option(
    "--as <name>",
    "recover_snap_shards: restore the one collection under this name (a restore drill next to the live one; aliases untouched)",
  ).argParser(parseName),
  new Option(
    "--snapshot <name>",
    "download_snap: the snapshot's name (upload_snap: the default --file ./<snapshot>); recover_full_snap: restore this full snapshot",
  ).argParser(parseName),
  new Option("--shard <id>", "download_snap, upload_snap: a shard snapshot of this shard").argParser(parseShard),
  new Option("--full", "download_snap: a full-storage snapshot"),
  new Option(
    "--host <url>",
    "download_snap: the node to download from (default: the first source host; with --from-store --full: the host's folder); recover_full_snap: the source host whose full snapshot to restore",
  ).argParser(parseHost),
  new Option("--from-store", "download_snap: download from the backup destination instead of a node"),
  new Option(
    "--file <path>",
    "download_snap: where to write (default ./<snapshot>); upload_snap: the file to upload; recover_full_snap: the full-snapshot archive to restore",
  ).argParser(parseName),
  new Option(
    "--checksum <sha256>",
    "download_snap: the expected SHA-256 (default: Qdrant's checksum, else the backup metadata's); upload_snap: Qdrant verifies it (default: the file's SHA-256)",
  ).argParser(parseChecksum),
  new Option("--priority <p>", "upload_snap: snapshot, replica or no_sync (Qdrant's default: snapshot)").argParser(
    parsePriority,
  ),
  new Option(
    "--probe-write",
    "doctor: also check that Qdrant writes its snapshots to the bucket (creates, snapshots and removes a probe collection)",
  ),
];

/** The long name of a flag (`--dry-run`). */
const flagName = (o: Option): string => o.long ?? o.flags;

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
      parsed = {
        kind: "run",
        tasks,
        options: { ...opts, bkp: opts.bkp ?? false },
        global: program.opts<GlobalOptions>(),
      };
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
