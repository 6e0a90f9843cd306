/**
 * What BENCHMARKS.md says about a missed target, built only from the run's own numbers: how far the figure is from
 * its target, what its reference (measured in the same run) shows, and how the same figure moves across the sizes
 * of the run. No fixed prose: a figure with neither a reference nor other sizes gets its distance and nothing else.
 */
import { fmt, meets, type BenchResults, type Figure, type Target } from "./report.js";

/** `@1,000` in "create_snap @1,000: CPU per snapshot": the size a figure was measured at. */
const SIZE = / @([\d,]+)/;

const pct = (x: number): string => `${fmt(Math.abs(x) * 100)} %`;

/** "12 % above the target (< 1.00 ms)" or "4.0 % short of the target (>= 3.00 ×)". */
export function distance(value: number, target: Target, unit: string): string {
  const bound = `${target.op} ${fmt(target.value)} ${unit}`;
  if (target.value === 0) return `${fmt(value)} ${unit} against a target of ${bound}`;
  const rel = (value - target.value) / Math.abs(target.value);
  const upper = target.op === "<" || target.op === "<=";
  return `${fmt(value)} ${unit}, ${pct(rel)} ${upper ? "above" : "short of"} the target (${bound})`;
}

function referenceSays(f: Figure & { target: Target; reference: number }): string {
  const ref = `its reference in the same run is ${fmt(f.reference)} ${f.unit}`;
  const at = f.reference === 0 ? "" : ` (the figure is ${fmt(f.value / f.reference)}× it)`;
  if (meets(f.reference, f.target)) return `${ref}${at}, which meets the target`;
  return `${ref}${at}, which misses the target too: ${distance(f.reference, f.target, f.unit)}`;
}

/** The same figure at the run's other sizes, in size order, and which way it moves. */
function acrossSizes(figures: readonly Figure[], f: Figure): string | undefined {
  const base = f.name.replace(SIZE, "");
  const series = figures
    .filter((g) => g.unit === f.unit && SIZE.test(g.name) && g.name.replace(SIZE, "") === base)
    .map((g) => ({
      size: Number(SIZE.exec(g.name)![1]!.replace(/,/g, "")),
      label: SIZE.exec(g.name)![1]!,
      value: g.value,
    }))
    .sort((a, b) => a.size - b.size);
  if (series.length < 2 || !SIZE.test(f.name)) return undefined;
  const values = series.map((p) => p.value);
  const falls = values.every((v, i) => i === 0 || v < values[i - 1]!);
  const grows = values.every((v, i) => i === 0 || v > values[i - 1]!);
  const trend = falls
    ? `: it falls as the size grows (${pct(values.at(-1)! / values[0]! - 1)} from the smallest to the largest)`
    : grows
      ? `: it grows with the size (${pct(values.at(-1)! / values[0]! - 1)} from the smallest to the largest)`
      : "";
  return `the same figure at each size of this run: ${series.map((p) => `@${p.label} ${fmt(p.value)} ${f.unit}`).join(", ")}${trend}`;
}

/** One sentence (clauses joined by "; ") about a figure that missed its target, from the numbers of `results` only. */
export function explainMiss(results: BenchResults, scenario: string, f: Figure & { target: Target }): string {
  const parts = [distance(f.value, f.target, f.unit)];
  if (f.reference !== undefined) parts.push(referenceSays({ ...f, reference: f.reference }));
  const figures = results.scenarios.find((s) => s.name === scenario)?.figures ?? [];
  const sizes = acrossSizes(figures, f);
  if (sizes) parts.push(sizes);
  return parts.join("; ");
}
