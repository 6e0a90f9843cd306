// The bench's results: targets and regression guards judged right, BENCHMARKS.md generated from the committed JSON,
// and CI running the short profile.
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { explainMiss } from "../../bench/explain.js";
import { renderMarkdown } from "../../bench/markdown.js";
import { guardFailures, judged, table, type BenchResults } from "../../bench/report.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

function results(figures: BenchResults["scenarios"][number]["figures"]): BenchResults {
  return {
    date: "2026-11-21T00:00:00.000Z",
    command: "npm run bench",
    profile: "full",
    machine: { cores: 2, cpu: "cpu", memoryBytes: 2 ** 30, node: "v20.20.2", os: "Linux" },
    scenarios: [{ name: "latency", title: "t", about: "a", runs: 1, figures }],
  };
}

describe("judged and guards", () => {
  it("fills pass from the target and guardPass from the guard, each independently", () => {
    const f = judged({
      name: "ratio",
      value: 1.3,
      unit: "×",
      target: { op: "<=", value: 1.15 },
      guard: { op: "<=", value: 1.5 },
    });
    expect(f).toMatchObject({ pass: false, guardPass: true });
    const g = judged({
      name: "ratio",
      value: 1.6,
      unit: "×",
      target: { op: "<=", value: 1.15 },
      guard: { op: "<=", value: 1.5 },
    });
    expect(g).toMatchObject({ pass: false, guardPass: false });
    expect(judged({ name: "plain", value: 1, unit: "s" })).not.toHaveProperty("pass");
  });

  it("lists failed guards only, naming the scenario, the figure and the limit", () => {
    const r = results([
      judged({ name: "create_snap, defaults: wall / ideal", value: 1.62, unit: "×", guard: { op: "<=", value: 1.5 } }),
      judged({
        name: "peak RSS",
        value: 120,
        unit: "MiB",
        target: { op: "<", value: 100 },
        guard: { op: "<", value: 150 },
      }),
    ]);
    expect(guardFailures(r)).toEqual(["latency: create_snap, defaults: wall / ideal = 1.62 ×, guard <= 1.50 ×"]);
    expect(table(r)).toMatch(/GUARD FAILED/);
    expect(table(r)).toMatch(/MISS/);
  });
});

describe("explanations of missed targets", () => {
  const miss = (r: BenchResults, name: string): string => {
    const f = r.scenarios[0]!.figures.find((x) => x.name === name)!;
    return explainMiss(r, "latency", { ...f, target: f.target! });
  };

  it("come from the run's numbers: the distance to the target and what the reference shows", () => {
    const speedUp = (value: number, reference: number) =>
      results([
        judged({
          name: "create_snap: speed-up over concurrency 1",
          value,
          unit: "×",
          reference,
          target: { op: ">=", value: 3 },
        }),
      ]);
    expect(miss(speedUp(2.88, 2.9), "create_snap: speed-up over concurrency 1")).toBe(
      "2.88 ×, 4.00 % short of the target (>= 3.00 ×); its reference in the same run is 2.90 × (the figure is 0.99× it), " +
        "which misses the target too: 2.90 ×, 3.33 % short of the target (>= 3.00 ×)",
    );
    // Other numbers, another explanation: a reference that meets the target says so.
    expect(miss(speedUp(2.4, 3.2), "create_snap: speed-up over concurrency 1")).toBe(
      "2.40 ×, 20.0 % short of the target (>= 3.00 ×); its reference in the same run is 3.20 × (the figure is 0.75× it), which meets the target",
    );
  });

  it("show the same figure across the run's sizes and which way it moves, and nothing but the distance otherwise", () => {
    const cpu = (size: string, value: number) =>
      judged({ name: `create_snap @${size}: CPU per snapshot`, value, unit: "ms", target: { op: "<", value: 1 } });
    const r = results([
      cpu("500", 4),
      cpu("1,000", 3),
      cpu("5,000", 2),
      judged({ name: "resume", value: 1.2, unit: "s", target: { op: "<", value: 1 } }),
    ]);
    expect(miss(r, "create_snap @1,000: CPU per snapshot")).toBe(
      "3.00 ms, 200 % above the target (< 1.00 ms); the same figure at each size of this run: @500 4.00 ms, @1,000 3.00 ms, @5,000 2.00 ms: " +
        "it falls as the size grows (50.0 % from the smallest to the largest)",
    );
    expect(miss(r, "resume")).toBe("1.20 s, 20.0 % above the target (< 1.00 s)");
    const md = renderMarkdown(r);
    expect(md).toContain("- **latency: resume**: 1.20 s, 20.0 % above the target (< 1.00 s).");
  });
});

describe("BENCHMARKS.md", () => {
  it("is exactly what bench/markdown.ts renders from the committed bench-results.json (regenerate: npm run bench:md)", () => {
    const committed = JSON.parse(readFileSync(path.join(root, "bench-results.json"), "utf8")) as BenchResults;
    expect(readFileSync(path.join(root, "BENCHMARKS.md"), "utf8")).toBe(renderMarkdown(committed));
  });

  it("comes from a complete full-profile run that names the machine and covers scenarios a) to e)", () => {
    const committed = JSON.parse(readFileSync(path.join(root, "bench-results.json"), "utf8")) as BenchResults;
    expect(committed.profile).toBe("full");
    expect(committed.scenarios.map((s) => s.name)).toEqual(["latency", "overhead", "scaling", "startup", "transfer"]);
    expect(committed.machine.cores).toBeGreaterThan(0);
    for (const s of committed.scenarios)
      for (const f of s.figures) expect(Number.isFinite(f.value), `${s.name}: ${f.name}`).toBe(true);
  });
});

describe("CI", () => {
  it("runs the short bench profile after the tests", () => {
    const ci = readFileSync(path.join(root, ".ci/run"), "utf8");
    const pkg = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as {
      scripts: Record<string, string>;
    };
    expect(pkg.scripts["bench:ci"]).toBe("tsx bench/run.ts --profile ci");
    expect(ci.indexOf("npm run bench:ci")).toBeGreaterThan(ci.indexOf("npm test"));
  });
});
