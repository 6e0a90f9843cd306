/**
 * BENCHMARKS.md, generated from bench-results.json (never typed by hand): `npm run bench` regenerates it after a
 * complete run, `npm run bench:md` from the JSON already on disk. test/unit/bench-report.test.ts checks that the
 * committed file is what this renders from the committed JSON. Tables measured by hand come from bench/measured.ts.
 */
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { explainMiss } from "./explain.js";
import { MEASURED_BY_HAND } from "./measured.js";
import { fmt, TABLE_HEAD, tableRows, type BenchResults } from "./report.js";

const cell = (text: string): string => text.replace(/\|/g, "\\|");

/** The figures that missed their target in this run, each with what the run's own numbers say about it. */
function missedSection(results: BenchResults): string[] {
  const missed = results.scenarios.flatMap((s) =>
    s.figures.flatMap((f) => (f.pass === false && f.target ? [{ s, f: { ...f, target: f.target } }] : [])),
  );
  if (missed.length === 0) return [];
  return [
    "## Targets missed in this run",
    "",
    "Each line is computed from this run's figures: the distance to the target, the reference measured next to it,",
    "and the same figure at the run's other sizes.",
    "",
    ...missed.map(({ s, f }) => `- **${s.name}: ${f.name}**: ${explainMiss(results, s.name, f)}.`),
    "",
  ];
}

/** The whole of BENCHMARKS.md for `results`. */
export function renderMarkdown(results: BenchResults): string {
  const m = results.machine;
  const out: string[] = [
    "# Benchmarks",
    "",
    "<!-- Generated from bench-results.json by bench/markdown.ts (npm run bench, or npm run bench:md). Do not edit by hand. -->",
    "",
    `Measured ${results.date} with \`${results.command}\` (profile ${results.profile}).`,
    "",
    `- Machine: ${m.cores} cores (${m.cpu}), ${(m.memoryBytes / 2 ** 30).toFixed(1)} GiB memory, ${m.os}`,
    `- Node.js ${m.node}`,
    "- Everything on loopback: the Qdrant emulator and the local S3 server run in the bench process, the CLI in its own",
    "  process (its CPU time and peak RSS come from `/usr/bin/time`).",
    "",
    "Each figure sits next to its reference, measured in the same run: these machines are noisy, so ratios and",
    "memory say more than absolute times. A `guard` is the regression limit that makes `npm run bench` (and the short",
    "CI profile, `npm run bench:ci`) exit 1.",
    "",
    `| ${TABLE_HEAD.join(" | ")} |`,
    `|${TABLE_HEAD.map(() => "---").join("|")}|`,
    ...tableRows(results).map((r) => `| ${r.map(cell).join(" | ")} |`),
    "",
    ...missedSection(results),
    "## What the figures mean",
  ];
  for (const s of results.scenarios) {
    out.push("", `### ${s.name}: ${s.title}`, "", s.about, "");
    for (const f of s.figures) if (f.meaning) out.push(`- **${f.name}** (${fmt(f.value)} ${f.unit}): ${f.meaning}`);
    if (s.notes?.length) out.push("", "Notes:", "", ...s.notes.map((n) => `- ${n}`));
    const byHand = MEASURED_BY_HAND[s.name];
    if (byHand) out.push("", ...byHand);
  }
  return `${out.join("\n").replace(/\n{3,}/g, "\n\n")}\n`;
}

async function main(): Promise<void> {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
  const results = JSON.parse(await readFile(path.join(root, "bench-results.json"), "utf8")) as BenchResults;
  await writeFile(path.join(root, "BENCHMARKS.md"), renderMarkdown(results));
  process.stderr.write("wrote BENCHMARKS.md from bench-results.json\n");
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err: unknown) => {
    process.stderr.write(`bench:md: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
}
