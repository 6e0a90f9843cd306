// How a run's end is reported: an error as its exit code and one line, the state mirror's last upload as an error.
import { ConfigError, EXIT, ToolError, type ExitCode } from "./errors.js";
import type { Logger } from "./log.js";
import type { StateStore } from "./state/files.js";
import type { StateMirror } from "./state/mirror.js";
import type { TaskSummary } from "./backup/task/deps.js";

/**
 * The `schema_version` of the `--json` summary (schemas/summary.schema.json): raised when a field is removed or changes
 * meaning; a new optional field keeps it.
 */
export const SUMMARY_SCHEMA_VERSION = 2;

/**
 * The `--json` summary's one line: the run's code, its error (if one ended it) and its finished tasks, each task's
 * `items` only when asked for (`--items`).
 */
export function jsonSummary(code: ExitCode, tasks: readonly TaskSummary[], items: boolean, error?: string): string {
  const shown = tasks.map(({ items: list, ...rest }) => (items ? { ...rest, items: list } : rest));
  return JSON.stringify({
    schema_version: SUMMARY_SCHEMA_VERSION,
    ok: code === EXIT.ok,
    exitCode: code,
    ...(error === undefined ? {} : { error }),
    tasks: shown,
  });
}

/** Logs `err` as the line(s) an operator reads and returns its exit code; a stack only with --verbose. */
export function reportError(err: unknown, log: Logger, verbose: boolean): ExitCode {
  if (err instanceof ConfigError) {
    for (const p of err.problems) log.error(p);
    return err.exitCode;
  }
  if (err instanceof ToolError) {
    log.error(err.message);
    return err.exitCode;
  }
  log.error(
    `internal error: ${err instanceof Error ? err.message : String(err)}${verbose ? "" : " (run with --verbose for the stack)"}`,
  );
  if (verbose && err instanceof Error && err.stack) log.debug(err.stack);
  return EXIT.internal;
}

/** Waits for the state appends, then for the mirror's uploads; returns the upload error, if one remains. */
export async function flushState(mirror: StateMirror, state: StateStore): Promise<ToolError | undefined> {
  try {
    await state.close();
    await mirror.flush();
    return undefined;
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    const message =
      `state mirror: ${detail}; the state files in ${state.dir} are complete, ` +
      `but their copies in ${mirror.location} are behind until a later run uploads them`;
    return new ToolError(message, err instanceof ToolError ? err.exitCode : EXIT.upstream, { cause: err });
  }
}
