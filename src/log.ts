import { itemContext } from "./lib/item-context.js";
import type { Redactor } from "./lib/redact.js";

export type LogLevel = "quiet" | "normal" | "verbose";

/** `text`: the bash tool's `[YYYY-MM-DD HH:MM:SS] message` lines; `json`: one JSON object per line (--log-format). */
export type LogFormat = "text" | "json";

/** The values of --log-format and QDRANT_LOG_FORMAT. */
export const LOG_FORMATS: readonly LogFormat[] = ["text", "json"];

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

type Severity = "info" | "warning" | "error" | "debug";

const PREFIX: Record<Severity, string> = { info: "", warning: "WARNING: ", error: "ERROR: ", debug: "DEBUG: " };

/**
 * Creates a logger; `quiet` keeps warnings and errors only. In `json` format each call is one line
 * `{"time","level","task","host","collection","message"}` (task, host and collection when the line is logged within
 * one: lib/item-context.ts), every value redacted as the text lines are.
 */
export function createLogger(opts: {
  level: LogLevel;
  sink: LineSink;
  redactor: Redactor;
  now?: () => Date;
  /** Read at every line: main learns QDRANT_LOG_FORMAT only once the .env file is read. Default text. */
  format?: () => LogFormat;
}): Logger {
  const now = opts.now ?? (() => new Date());
  const r = (s: string) => opts.redactor.redact(s);
  const emit = (severity: Severity, message: string) => {
    if (opts.format?.() === "json") {
      const { task, host, collection } = itemContext();
      const fields = { time: now().toISOString(), level: severity, task, host, collection, message };
      const redacted = Object.entries(fields).flatMap(([k, v]) => (v === undefined ? [] : [[k, r(v)] as const]));
      opts.sink(JSON.stringify(Object.fromEntries(redacted)));
      return;
    }
    for (const line of r(message).split("\n")) opts.sink(`[${formatLogTime(now())}] ${PREFIX[severity]}${line}`);
  };
  return {
    level: opts.level,
    info: (m) => opts.level !== "quiet" && emit("info", m),
    warn: (m) => emit("warning", m),
    error: (m) => emit("error", m),
    debug: (m) => opts.level === "verbose" && emit("debug", m),
  };
}
