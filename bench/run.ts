/**
 * `npm run bench [-- --only <scenario>] [--runs N] [--profile full|ci]`: runs the bench scenarios against the built
 * CLI and prints a table.
 * - The full profile with every scenario writes bench-results.json and regenerates BENCHMARKS.md from it; a run of
 *   some scenarios (--only) writes bench-results.partial.json, the ci profile bench-results.ci.json.
 * - A missed target prints MISS. A failed regression guard (see Figure.guard) prints GUARD FAILED and exits 1; so
 *   does a crash.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { writeFile } from "node:fs/promises";
import { latency } from "./latency.js";
import { renderMarkdown } from "./markdown.js";
import { overhead } from "./overhead.js";
import { scaling } from "./scaling.js";
import {
  guardFailures,
  machine,
  table,
  writeResults,
  type BenchResults,
  type Profile,
  type Scenario,
} from "./report.js";
import { startup } from "./startup.js";
import { sets } from "./sets.js";
import { transfer } from "./transfer.js";

// The SDK is pinned (package.json); its "upgrade Node" notice would only clutter the bench's output.
process.env["AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED"] ??= "true";

/** Every scenario, in the order they run. */
const SCENARIOS: readonly Scenario[] = [latency, overhead, scaling, startup, transfer, sets];

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const cli = path.join(root, "dist", "cli.js");
const progress = (line: string): void => void process.stderr.write(`${line}\n`);

/** A bad command line: exit 2 with the usage, no stack. */
class UsageError extends Error {}

function usage(): string {
  return `usage: npm run bench -- [--only <scenario>]... [--runs N] [--profile full|ci]\nscenarios: ${SCENARIOS.map((s) => s.name).join(", ")}\n`;
}

function newestMtime(dir: string): number {
  return Math.max(
    ...readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => statSync(path.join(e.parentPath, e.name)).mtimeMs),
  );
}

/** Builds dist/cli.js when it is missing or older than src/ or package.json (whose version it embeds). */
function buildIfNeeded(): void {
  const sources = Math.max(newestMtime(path.join(root, "src")), statSync(path.join(root, "package.json")).mtimeMs);
  if (existsSync(cli) && statSync(cli).mtimeMs >= sources) return;
  progress("$ npm run build");
  const r = spawnSync("npm", ["run", "--silent", "build"], { cwd: root, stdio: ["ignore", 2, 2] });
  if (r.status !== 0) throw new Error(`npm run build failed (${r.error?.message ?? `exit ${r.status ?? r.signal}`})`);
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      only: { type: "string", multiple: true },
      runs: { type: "string" },
      profile: { type: "string", default: "full" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(usage());
    return 0;
  }
  let runs: number | undefined;
  if (values.runs !== undefined) {
    runs = Number(values.runs);
    if (!Number.isInteger(runs) || runs < 1)
      throw new UsageError(`--runs: expected a positive integer, got "${values.runs}"`);
  }
  if (values.profile !== "full" && values.profile !== "ci")
    throw new UsageError(`--profile: expected full or ci, got "${values.profile}"`);
  const profile: Profile = values.profile;
  const only = values.only ?? [];
  const unknown = only.filter((n) => !SCENARIOS.some((s) => s.name === n));
  if (unknown.length) throw new UsageError(`unknown scenario ${unknown.map((n) => `"${n}"`).join(", ")}`);
  const selected = SCENARIOS.filter((s) => (only.length ? only.includes(s.name) : profile === "full" || s.inCi));

  buildIfNeeded();
  const results: BenchResults = {
    date: new Date().toISOString(),
    command:
      process.env["npm_lifecycle_event"] === "bench"
        ? `npm run bench${argv.length ? ` -- ${argv.join(" ")}` : ""}`
        : `tsx bench/run.ts${argv.length ? ` ${argv.join(" ")}` : ""}`,
    profile,
    machine: machine(),
    scenarios: [],
  };
  for (const s of selected) {
    progress(`running ${s.name}: ${s.title}`);
    const r = await s.run({ root, cli, runs, progress, profile });
    results.scenarios.push({ name: s.name, title: s.title, about: s.about, ...r });
  }
  process.stdout.write(table(results));
  const complete = profile === "full" && selected.length === SCENARIOS.length;
  const file = path.join(
    root,
    complete ? "bench-results.json" : profile === "ci" ? "bench-results.ci.json" : "bench-results.partial.json",
  );
  await writeResults(file, results);
  progress(`wrote ${path.relative(process.cwd(), file) || file}`);
  if (complete) {
    await writeFile(path.join(root, "BENCHMARKS.md"), renderMarkdown(results));
    progress("wrote BENCHMARKS.md (regenerated from bench-results.json)");
  }
  const failed = guardFailures(results);
  for (const line of failed) process.stderr.write(`bench: regression guard failed: ${line}\n`);
  return failed.length > 0 ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (err: unknown) => {
    const usageError =
      err instanceof UsageError || String((err as { code?: unknown }).code).startsWith("ERR_PARSE_ARGS_");
    process.stderr.write(
      `bench: ${err instanceof Error ? (usageError ? err.message : (err.stack ?? err.message)) : String(err)}\n`,
    );
    if (usageError) process.stderr.write(usage());
    process.exitCode = usageError ? 2 : 1;
  },
);
