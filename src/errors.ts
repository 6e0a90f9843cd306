/**
 * The one table of exit codes (README.md, "Exit codes"). main.ts (reportError) maps every error to one of these and
 * cli.ts exits with it; `--help` lists them.
 */
export const EXIT = {
  ok: 0,
  internal: 1,
  usage: 2,
  partial: 3,
  upstream: 4,
  locked: 5,
  interrupted: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** Rows for `--help` and the README, in code order. */
export const EXIT_CODE_TABLE: ReadonlyArray<readonly [ExitCode, string]> = [
  [EXIT.ok, "everything asked for is done (including nothing to do on a resumed run)"],
  [EXIT.internal, "internal error (a bug); run with --verbose for the stack"],
  [
    EXIT.usage,
    "usage or configuration error: unknown task or flag, missing or invalid variable, unreadable state file",
  ],
  [EXIT.partial, "partial: the run finished but some items failed; they are recorded in the state files, run it again"],
  [EXIT.upstream, "upstream unavailable or refusing: Qdrant or S3 unreachable, 401/403, bucket missing"],
  [EXIT.locked, "another run holds the lock on this state"],
  [EXIT.interrupted, "interrupted (SIGINT/SIGTERM); everything finished before the signal is recorded"],
];

/** Base class: every error the tool raises on purpose carries its exit code and a one-line message. */
export class ToolError extends Error {
  readonly exitCode: ExitCode;
  constructor(message: string, exitCode: ExitCode, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.exitCode = exitCode;
  }
}

/** Bad flags, variables or state files (exit 2). `problems` lists every issue found, one line each. */
export class ConfigError extends ToolError {
  readonly problems: readonly string[];
  constructor(problems: string | readonly string[]) {
    const list = typeof problems === "string" ? [problems] : problems;
    super(list.join("; "), EXIT.usage);
    this.problems = list;
  }
}

/** A state file that cannot be read or parsed (exit 2). Names the file and, when known, the line. */
export class StateFileError extends ToolError {
  constructor(
    readonly file: string,
    readonly line: number | undefined,
    detail: string,
  ) {
    super(`state file ${file}${line === undefined ? "" : ` line ${line}`}: ${detail}`, EXIT.usage);
  }
}

/** Qdrant or S3 unreachable or refusing (exit 4). */
export class UpstreamError extends ToolError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, EXIT.upstream, options);
  }
}

/** The run was interrupted by a signal (exit 130). */
export class InterruptedError extends ToolError {
  constructor(message = "interrupted") {
    super(message, EXIT.interrupted);
  }
}

/** Another run holds the lock or the lease on this state, or this run lost its lease (exit 5). One line, naming the holder. */
export class LockedError extends ToolError {
  constructor(message: string) {
    super(message, EXIT.locked);
  }
}
