/**
 * Crash tests' shared pieces: kill points drawn from a seeded PRNG over a command's request sequence, a CLI run
 * SIGKILLed (or signalled) exactly when its Nth matching request reaches the emulator (the `onMatch` fault hook),
 * and a strict reader of every state file, so that a torn or malformed row fails the test.
 */
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { parse } from "csv-parse/sync";
import { expect } from "vitest";
import type { CliResult, CliRun } from "../support/cli.js";
import { createSeededRandom } from "../support/seeded-random.js";
import { waitFor } from "../e2e/harness.js";

/** Every state file the tool writes, with its column count (README "State files"), named literally. */
export const STATE_COLUMNS = {
  collections: 2,
  snapshots: 3,
  collection_aliases: 2,
  snapshot_recovery_history: 3,
  failed_snapshot_recovery: 3,
  alias_recovery_history: 3,
  full_snapshots: 2,
  pruned_snapshots: 3,
  drill_history: 14,
} as const;
export type StateName = keyof typeof STATE_COLUMNS;
export type StateRows = Record<StateName, string[][]>;

/** A kind of request a run makes, and how many of them a complete run is known to make at least. */
export interface KillTarget {
  /** Short, stable text for test titles, e.g. `PUT recover`. */
  label: string;
  method: string;
  path: RegExp;
  /** A complete run makes at least this many matching requests, so any index in 1..total is reached. */
  total: number;
  /**
   * `arrival` (default): SIGKILL as the request arrives, before the emulator handles it (the emulator still does the
   * work: the side effect happens, the CLI never hears of it). `mid-body`: the answer is sent slowly and the CLI is
   * killed while it streams it, once `midBody` resolves.
   */
  when?: "arrival" | "mid-body";
}

/** A rule `runKilledAt` installs: the emulator's fault rules, or the S3 tap's (`helpers/s3-tap.ts`, which only counts). */
export interface KillSourceRule {
  method: string;
  path: RegExp;
  onMatch?: (hit: { count: number }) => void;
  slowBodyMs?: number;
  latencyMs?: number;
  status?: number;
}

/** Where requests are watched: an emulator, or the S3 tap. */
export interface KillSource {
  faults: { add(rule: KillSourceRule): () => void };
  requests(): readonly { method: string; path: string }[];
}

/** One kill: the `index`th request (1-based) matching `target`. */
export interface KillPoint {
  target: KillTarget;
  index: number;
  /** For titles and failure messages. */
  title: string;
}

/**
 * `count` kill points over `targets`, reproducible from `seed`: target i % targets.length (so every kind of request
 * is hit), index uniform in 1..total.
 */
export function planKills(seed: number, targets: readonly KillTarget[], count: number): KillPoint[] {
  const random = createSeededRandom(seed);
  const taken = new Set<string>();
  return Array.from({ length: count }, (_, i) => {
    const target = targets[i % targets.length];
    if (!target) throw new Error("planKills: no targets");
    // Draw again (a bounded number of times) rather than kill twice at the same point.
    let index = 1 + Math.floor(random() * target.total);
    for (let tries = 0; taken.has(`${i % targets.length}:${index}`) && tries < 20; tries++)
      index = 1 + Math.floor(random() * target.total);
    taken.add(`${i % targets.length}:${index}`);
    const when = target.when === "mid-body" ? " mid-body" : "";
    return { target, index, title: `kill ${i + 1}/${count}: ${target.label} #${index} of ${target.total}${when}` };
  });
}

export interface KillOptions {
  /** Milliseconds over which a `mid-body` answer is sent (default 1500). */
  slowBodyMs?: number;
  /** `mid-body`: resolves once the CLI is known to be inside the body (e.g. its temp file exists). */
  midBody?: () => Promise<void>;
  /** Signal to send (default SIGKILL). */
  signal?: NodeJS.Signals;
  /**
   * Hold the matched request this long, then answer it with a 503 instead of doing its work: a signalled CLI is
   * waiting on it and abandons it, and no late side effect of the abandoned request can race the re-run.
   */
  holdMs?: number;
}

/**
 * Starts a CLI run with `start` and sends it `opts.signal` (default SIGKILL) when the `point.index`th request matching
 * `point.target` arrives at `emu`. Fails unless the run was killed there (for SIGKILL) or the point was reached.
 * Returns the run's result and how many matching requests arrived in all (the signalled one included). When `start`
 * returns a rig run, its `finish()` (with the secret scan) is awaited.
 */
export async function runKilledAt(
  emu: KillSource,
  point: KillPoint,
  start: () => CliRun & { finish?: () => Promise<CliResult> },
  opts: KillOptions = {},
): Promise<{ result: CliResult; arrivals: number }> {
  const { target, index } = point;
  const signal = opts.signal ?? "SIGKILL";
  const midBody = target.when === "mid-body";
  let child: (CliRun & { finish?: () => Promise<CliResult> }) | undefined;
  let reached = false;
  let arrivals = 0;
  let pending: Promise<void> = Promise.resolve();
  const removeCounter = emu.faults.add({
    method: target.method,
    path: target.path,
    onMatch: ({ count }) => void (arrivals = count),
  });
  // The kill rule matches the index-th request only, so a hold or a slow body slows that request and no other.
  const remove = emu.faults.add({
    method: target.method,
    path: new NthMatch(target.path, index),
    ...(midBody ? { slowBodyMs: opts.slowBodyMs ?? 1500 } : {}),
    ...(opts.holdMs !== undefined ? { latencyMs: opts.holdMs, status: 503 } : {}),
    onMatch: () => {
      if (!child) return;
      reached = true;
      const pid = child.pid;
      if (midBody) {
        if (!opts.midBody) throw new Error("runKilledAt: a mid-body kill needs opts.midBody");
        pending = opts.midBody().then(() => void process.kill(pid, signal));
      } else process.kill(pid, signal);
    },
  });
  const logged = () => emu.requests().filter((q) => q.method === target.method && target.path.test(q.path)).length;
  const loggedBefore = logged();
  try {
    child = start();
    // The rig's finish() also runs the secret scan over the killed run's output and state.
    const result = await (child.finish ? child.finish() : child.done);
    await pending;
    const said = `${point.title}: the CLI said:\n--- stdout ---\n${result.stdout}--- stderr ---\n${result.stderr}`;
    expect(reached, `kill point not reached (${arrivals} matching requests); ${said}`).toBe(true);
    if (signal === "SIGKILL") expect(result.signal, `killed by SIGKILL at ${said}`).toBe("SIGKILL");
    // The emulator logs a request when its connection closes. Wait until every matching request of the killed run is
    // logged, so that a caller who resets the log before the re-run never sees them there.
    await waitFor(
      () => (logged() - loggedBefore >= arrivals ? true : undefined),
      `the emulator to log the killed run's ${arrivals} ${target.label} requests`,
    );
    return { result, arrivals };
  } finally {
    remove();
    removeCounter();
  }
}

/**
 * A pattern that matches only the `n`th pathname (1-based) that `source` matches: the emulator tests a rule's path
 * once per arriving request whose node and method match, so this picks exactly one request of a sequence.
 */
class NthMatch extends RegExp {
  private seen = 0;

  constructor(
    source: RegExp,
    private readonly n: number,
  ) {
    super(source.source, source.flags.replace("g", ""));
  }

  override test(text: string): boolean {
    if (!super.test(text)) return false;
    this.seen += 1;
    return this.seen === this.n;
  }
}

/**
 * Parses every state file in `dir` strictly as RFC 4180 CSV (csv-parse, not the CLI's reader): each ends with a
 * newline (no partial last line), every row has the file's column count, no field holds a NUL. Missing files read
 * as no rows. Any other file in `dir` whose name starts with a state file's name is reported (e.g. a `.tmp-` left
 * by an interrupted atomic write) unless `allowExtra` matches it.
 */
export async function readStateStrict(
  dir: string,
  allowExtra: (name: string) => boolean = () => false,
): Promise<StateRows> {
  const out = {} as StateRows;
  const names = Object.keys(STATE_COLUMNS) as StateName[];
  for (const name of names) {
    let text: string;
    try {
      text = await readFile(path.join(dir, name), "utf8");
    } catch (err) {
      if (err instanceof Error && "code" in err && err.code === "ENOENT") {
        out[name] = [];
        continue;
      }
      throw err;
    }
    if (text !== "") expect(text.endsWith("\n"), `${name} ends with a newline (no partial last row)`).toBe(true);
    expect(text.includes("\0"), `${name} holds a NUL byte`).toBe(false);
    const rows: unknown = parse(text, { relax_column_count: false, skip_empty_lines: false, relax_quotes: false });
    if (!Array.isArray(rows)) throw new Error(`${name}: csv-parse returned no rows`);
    out[name] = rows.map((row, i) => {
      if (
        !Array.isArray(row) ||
        row.length !== STATE_COLUMNS[name] ||
        !row.every((f): f is string => typeof f === "string")
      ) {
        throw new Error(`${name} row ${i + 1}: expected ${STATE_COLUMNS[name]} fields, got ${JSON.stringify(row)}`);
      }
      return row;
    });
  }
  const strays = (await readdir(dir)).filter((f) => names.some((n) => f.startsWith(n) && f !== n) && !allowExtra(f));
  expect(strays, "stray files next to the state files").toEqual([]);
  return out;
}

/** Every file under `root` as a `/`-separated key, sorted (temp files included). */
export async function filesUnder(root: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(root, { recursive: true, withFileTypes: true });
  } catch (err) {
    if (err instanceof Error && "code" in err && err.code === "ENOENT") return [];
    throw err;
  }
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(root, path.join(e.parentPath, e.name)).split(path.sep).join("/"))
    .sort();
}

/** Resolves once a `.partial-` temp file under `root` has received bytes: the CLI is inside a directory put. */
export async function partialFileAppears(root: string): Promise<void> {
  await waitFor(async () => {
    for (const key of await filesUnder(root)) {
      if (!key.includes(".partial-")) continue;
      const info = await readFile(path.join(root, ...key.split("/"))).catch(() => undefined);
      if (info && info.length > 0) return true;
    }
    return undefined;
  }, `a .partial- file under ${root}`);
}

/** Sorted, for order-free comparisons. */
export const sorted = (xs: Iterable<string>): string[] => [...xs].sort();

/** The values occurring more than once. */
export function duplicates(xs: readonly string[]): string[] {
  const seen = new Set<string>();
  return sorted(new Set(xs.filter((x) => (seen.has(x) ? true : (seen.add(x), false)))));
}
