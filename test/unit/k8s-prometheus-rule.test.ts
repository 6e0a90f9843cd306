// k8s/monitoring/: the example PrometheusRule, read statically like the other manifests: valid against the
// Prometheus Operator's CRD schema (@kubernetes-models/prometheus-operator), every expression valid PromQL (the
// parser of Prometheus' own UI), and every metric and task it names one the tool writes.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { PrometheusRule } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule";
import { parser } from "@prometheus-io/lezer-promql";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { METRICS } from "../../src/metrics/names.js";
import { TASKS } from "../../src/tasks.js";
import { ROOT } from "../e2e/image.js";
import { createFieldChecker } from "./k8s-fields.js";

const DIR = path.join(ROOT, "k8s", "monitoring");
const read = (file: string): unknown => parseYaml(readFileSync(path.join(DIR, file), "utf8"), { uniqueKeys: true });
const doc = read("prometheus-rule.yaml");
const rule = new PrometheusRule(doc as ConstructorParameters<typeof PrometheusRule>[0]);
const rules = (rule.spec.groups ?? []).flatMap((g) => g.rules ?? []);
const alerts = new Map(rules.map((r) => [r.alert ?? "", r]));
const exprOf = (alert: string): string => String(alerts.get(alert)?.expr ?? "");

/** The syntax errors of a PromQL expression (positions), and the metric names its selectors use. */
function promql(expr: string): { errors: number[]; metrics: string[]; labelValues: string[] } {
  const tree = parser.parse(expr);
  const errors: number[] = [];
  const metrics: string[] = [];
  const labelValues: string[] = [];
  tree.iterate({
    enter: (n) => {
      if (n.type.isError) errors.push(n.from);
      if (n.name === "Identifier" && n.node.parent?.name === "VectorSelector") metrics.push(expr.slice(n.from, n.to));
      if (n.name === "StringLiteral" && n.node.parent?.name === "UnquotedLabelMatcher")
        labelValues.push(JSON.parse(expr.slice(n.from, n.to)) as string);
    },
  });
  return { errors, metrics, labelValues };
}

describe("k8s/monitoring: the example PrometheusRule", () => {
  it("validates against the Prometheus Operator's PrometheusRule schema, which rejects a misspelt field", () => {
    expect(PrometheusRule.is(doc)).toBe(true);
    expect(() => rule.validate()).not.toThrow();
    const broken = new PrometheusRule(
      JSON.parse(JSON.stringify(doc).replace('"expr"', '"expression"')) as ConstructorParameters<
        typeof PrometheusRule
      >[0],
    );
    expect(() => broken.validate()).toThrow();
  });

  it("has no field the CRD does not define (validate() lets unknown keys through; kubectl's strict check does not)", () => {
    const fields = createFieldChecker(ROOT);
    expect(fields.unknownFields("monitoring.coreos.com/v1/PrometheusRule", doc)).toEqual([]);
    const broken = JSON.parse(JSON.stringify(doc).replace('"labels":{"severity"', '"label":{"severity"')) as unknown;
    expect(fields.unknownFields("monitoring.coreos.com/v1/PrometheusRule", broken)).toContain(
      "spec.groups[0].rules[0].label: unknown field",
    );
  });

  it("every expression parses as PromQL (and the parser sees a broken one)", () => {
    expect(rules.length).toBeGreaterThanOrEqual(3);
    for (const r of rules) expect(promql(String(r.expr)).errors, r.alert).toEqual([]);
    expect(promql("max by (task (x)").errors).not.toEqual([]);
  });

  it("names only metrics the tool writes, and only its tasks", () => {
    const written = new Set<string>(Object.values(METRICS).map((m) => m.name));
    const tasks = new Set(TASKS.map((t) => t.name));
    for (const r of rules) {
      const { metrics, labelValues } = promql(String(r.expr));
      expect(metrics.length, r.alert).toBeGreaterThan(0);
      for (const m of metrics) expect(written.has(m), `${r.alert}: ${m}`).toBe(true);
      for (const v of labelValues.flatMap((l) => l.split("|")))
        expect(tasks.has(v), `${r.alert}: task ${v}`).toBe(true);
    }
  });

  it("alerts when the backup's last success is older than 26 h, and when a task's last run failed", () => {
    const tooOld = promql(exprOf("QdrantBackupTooOld"));
    expect(tooOld.metrics).toEqual([METRICS.lastSuccess.name]);
    expect(tooOld.labelValues).toEqual(["create_snap|create_snap_shards"]);
    expect(exprOf("QdrantBackupTooOld")).toMatch(/^time\(\) - max by \(task\) \(.*\)\s+> 26 \* 3600$/);
    expect(promql(exprOf("QdrantBackupRestoreRunFailed")).metrics).toEqual([METRICS.exitCode.name]);
    expect(exprOf("QdrantBackupRestoreRunFailed")).toMatch(/ != 0$/);
    for (const r of rules) expect(r.labels?.["severity"], r.alert).toMatch(/^(critical|warning)$/);
  });

  it("its kustomization lists exactly the manifests of k8s/monitoring/", () => {
    const k = read("kustomization.yaml") as { kind?: string; resources?: string[] };
    expect(k.kind).toBe("Kustomization");
    const files = readdirSync(DIR).filter((f) => /\.ya?ml$/.test(f) && f !== "kustomization.yaml");
    expect([...(k.resources ?? [])].sort()).toEqual(files.sort());
  });
});
