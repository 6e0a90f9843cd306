// The vocabulary of doctor: one check is one line with a verdict, what was seen and, when it is not ok, the cure.
import { EXIT, type ExitCode } from "../../errors.js";

export type Verdict = "ok" | "warn" | "FAIL";

export interface Check {
  /** What was checked, e.g. `qdrant http://q:6333 API key`, `s3 multipart`. */
  readonly check: string;
  readonly verdict: Verdict;
  /** What was seen (never a secret, never a presigned URL). */
  readonly detail: string;
  /** What to do about it; empty when ok. */
  readonly cure: string;
  /** The exit code a FAIL stands for (README's table); 0 for ok and warn. */
  readonly exitCode: ExitCode;
}

export const ok = (check: string, detail: string): Check => ({ check, verdict: "ok", detail, cure: "", exitCode: 0 });

export const warn = (check: string, detail: string, cure: string): Check => ({
  check,
  verdict: "warn",
  detail,
  cure,
  exitCode: 0,
});

/** A failed check; exit 4 (upstream unavailable or refusing) unless it is the configuration's (2). */
export const fail = (check: string, detail: string, cure: string, exitCode: ExitCode = EXIT.upstream): Check => ({
  check,
  verdict: "FAIL",
  detail,
  cure,
  exitCode,
});

/** The line an operator reads: `ok    <check>: <detail>`, and for warn and FAIL ` → <cure>`. */
export function formatCheck(c: Check): string {
  return `${c.verdict.padEnd(5)} ${c.check}: ${c.detail}${c.cure ? ` → ${c.cure}` : ""}`;
}

/** The run's exit code: 0 when nothing failed, else the code of the worst failure (4 over 2). */
export function exitCodeOf(checks: readonly Check[]): ExitCode {
  const codes = checks.filter((c) => c.verdict === "FAIL").map((c) => c.exitCode);
  if (codes.length === 0) return EXIT.ok;
  return codes.includes(EXIT.upstream) ? EXIT.upstream : (codes[0] ?? EXIT.upstream);
}

/** The message of an error, one line. */
export function messageOf(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split("\n")[0] ?? "";
}

/** A random suffix for probe names: doctor's objects and collections never collide with anything else. */
export function probeId(now: Date): string {
  const stamp = now.toISOString().replace(/[-:]/g, "").replace(/\..*$/, "");
  return `${stamp}-${Math.random().toString(36).slice(2, 10)}`;
}
