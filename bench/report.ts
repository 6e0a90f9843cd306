/** Shapes shared by the bench scenarios, the results table and bench-results.json. */
import { rename, writeFile } from "node:fs/promises";
import os from "node:os";

/** A goal for a figure: `value op bound`, e.g. { op: "<", value: 150 } for "under 150". */
export interface Target {
  op: "<" | "<=" | ">" | ">=";
  value: number;
}

/** One measured number. `reference` is what it is compared with (same unit), when that helps to read it. */
export interface Figure {
  name: string;
  value: number;
  unit: string;
  reference?: number;
  target?: Target;
  pass?: boolean;
  /**
   * A regression guard, looser than the target: a figure outside it makes `npm run bench` exit 1 (in every profile;
   * the short CI profile exists to check these). Only ratios and memory, never absolute times.
   */
  guard?: Target;
  /** Set from `guard` by judged(). */
  guardPass?: boolean;
  /** What the figure means, for BENCHMARKS.md. */
  meaning?: string;
}

/** "full" is `npm run bench`; "ci" the short profile CI runs (under a minute, guards only). */
export type Profile = "full" | "ci";

export interface ScenarioContext {
  /** Repository root. */
  root: string;
  /** The built CLI, dist/cli.js. */
  cli: string;
  /** --runs N, when given; each scenario has its own default. */
  runs: number | undefined;
  /** Progress lines (stderr), so stdout stays the results table. */
  progress: (line: string) => void;
  profile: Profile;
}

export interface Scenario {
  /** Short name, used by --only. */
  name: string;
  title: string;
  /** What the scenario does and how to read it, for BENCHMARKS.md. */
  about: string;
  /** Whether the short CI profile runs it (then it must take well under a minute there). */
  inCi: boolean;
  run: (ctx: ScenarioContext) => Promise<ScenarioResult>;
}

export interface ScenarioResult {
  runs: number;
  figures: Figure[];
  /** What a reader needs to know to trust the numbers (e.g. an environment that slows every run). */
  notes?: string[];
}

export interface BenchResults {
  date: string;
  command: string;
  profile: Profile;
  machine: { cores: number; cpu: string; memoryBytes: number; node: string; os: string };
  scenarios: ({ name: string; title: string; about: string } & ScenarioResult)[];
}

/** Whether `value` meets `target`. */
export function meets(value: number, target: Target): boolean {
  const { op, value: bound } = target;
  return op === "<" ? value < bound : op === "<=" ? value <= bound : op === ">" ? value > bound : value >= bound;
}

/** A figure with its pass/fail filled in from its target and guard. */
export function judged(f: Omit<Figure, "pass" | "guardPass">): Figure {
  return {
    ...f,
    ...(f.target ? { pass: meets(f.value, f.target) } : {}),
    ...(f.guard ? { guardPass: meets(f.value, f.guard) } : {}),
  };
}

/** The figures whose regression guard failed, as "scenario: figure value (guard …)" lines. */
export function guardFailures(results: BenchResults): string[] {
  return results.scenarios.flatMap((s) =>
    s.figures
      .filter((f) => f.guardPass === false)
      .map(
        (f) =>
          `${s.name}: ${f.name} = ${fmt(f.value)} ${f.unit}, guard ${f.guard!.op} ${fmt(f.guard!.value)} ${f.unit}`,
      ),
  );
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) throw new Error("median of no samples");
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export function machine(): BenchResults["machine"] {
  return {
    cores: os.availableParallelism(),
    cpu: os.cpus()[0]?.model.trim() ?? "unknown",
    memoryBytes: os.totalmem(),
    node: process.version,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
  };
}

export function fmt(n: number): string {
  const a = Math.abs(n);
  return a >= 100 ? n.toFixed(0) : a >= 10 ? n.toFixed(1) : n.toFixed(2);
}

export const TABLE_HEAD = ["scenario", "figure", "value", "reference", "target", "result"];

/** One row per figure, in TABLE_HEAD's columns. */
export function tableRows(results: BenchResults): string[][] {
  return results.scenarios.flatMap((s) =>
    s.figures.map((f) => [
      s.name,
      f.name,
      `${fmt(f.value)} ${f.unit}`,
      f.reference === undefined ? "" : `${fmt(f.reference)} ${f.unit}`,
      [
        f.target ? `${f.target.op} ${fmt(f.target.value)} ${f.unit}` : "",
        f.guard ? `guard ${f.guard.op} ${fmt(f.guard.value)}` : "",
      ]
        .filter(Boolean)
        .join("; "),
      [f.pass === undefined ? "" : f.pass ? "ok" : "MISS", f.guardPass === false ? "GUARD FAILED" : ""]
        .filter(Boolean)
        .join(", "),
    ]),
  );
}

/** The results as a plain-text table. */
export function table(results: BenchResults): string {
  const rows: string[][] = [TABLE_HEAD, ...tableRows(results)];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const line = (r: string[]): string =>
    r
      .map((c, i) => c.padEnd(widths[i]!))
      .join("  ")
      .trimEnd();
  const m = results.machine;
  const head = `${results.date}  node ${m.node}  ${m.os}  ${m.cores} cores (${m.cpu})  ${(m.memoryBytes / 2 ** 30).toFixed(1)} GiB`;
  const notes = results.scenarios.flatMap((s) => (s.notes ?? []).map((n) => `note (${s.name}): ${n}`));
  return (
    [
      head,
      "",
      line(rows[0]!),
      line(widths.map((w) => "-".repeat(w))),
      ...rows.slice(1).map(line),
      ...(notes.length ? ["", ...notes] : []),
    ].join("\n") + "\n"
  );
}

/** Writes the results as JSON through a .tmp file and a rename, so a reader never sees half a file. */
export async function writeResults(file: string, results: BenchResults): Promise<void> {
  const tmp = `${file}.tmp`;
  const round = (_key: string, v: unknown): unknown =>
    typeof v === "number" && !Number.isInteger(v) ? Math.round(v * 1000) / 1000 : v;
  await writeFile(tmp, `${JSON.stringify(results, round, 2)}\n`);
  await rename(tmp, file);
}
