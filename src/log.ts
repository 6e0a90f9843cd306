import type { Redactor } from "./lib/redact.js";

export type LogLevel = "quiet" | "normal" | "verbose";

/** Where lines go; stderr in the CLI, an array in tests. */
export type LineSink = (line: string) => void;

/** Timestamped logger, like the bash tool's `[YYYY-MM-DD HH:MM:SS] message` lines (local time), always redacted. */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  /** Only with --verbose: request traces and stacks. */
  debug(message: string): void;
  readonly level: LogLevel;
}

/** Formats a date as the script did with `date '+%Y-%m-%d %H:%M:%S'` (local time). */
export function formatLogTime(d: Date): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** Creates a logger; `quiet` keeps warnings and errors only. */
export function createLogger(opts: { level: LogLevel; sink: LineSink; redactor: Redactor; now?: () => Date }): Logger {
  const now = opts.now ?? (() => new Date());
  const emit = (prefix: string, message: string) => {
    for (const line of opts.redactor.redact(message).split("\n")) {
      opts.sink(`[${formatLogTime(now())}] ${prefix}${line}`);
    }
  };
  return {
    level: opts.level,
    info: (m) => opts.level !== "quiet" && emit("", m),
    warn: (m) => emit("WARNING: ", m),
    error: (m) => emit("ERROR: ", m),
    debug: (m) => opts.level === "verbose" && emit("DEBUG: ", m),
  };
}
