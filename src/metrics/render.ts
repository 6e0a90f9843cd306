// Samples to the Prometheus text format, through prom-client (loaded only when metrics are asked for: `--help` and
// runs without metrics never evaluate it).
import { METRICS } from "./names.js";
import type { Sample } from "./previous.js";

export interface Rendered {
  readonly text: string;
  readonly contentType: string;
}

const known = new Set<string>(Object.values(METRICS).map((m) => m.name));

export async function render(samples: readonly Sample[]): Promise<Rendered> {
  const { Gauge, Registry } = await import("prom-client");
  const registry = new Registry();
  // Only families with samples: an empty one pushed would replace a family the Pushgateway keeps for this group.
  // A sample of a name or with labels this version does not write (an older file's) is dropped.
  const valid = samples.filter((s) => known.has(s.name) && sameKeys(s.labels, labelsOf(s.name)));
  const names = new Set(valid.map((s) => s.name));
  const gauges = new Map<string, InstanceType<typeof Gauge>>();
  for (const m of Object.values(METRICS))
    if (names.has(m.name))
      gauges.set(
        m.name,
        new Gauge({ name: m.name, help: m.help, labelNames: labelsOf(m.name), registers: [registry] }),
      );
  for (const s of valid) gauges.get(s.name)!.set(s.labels, s.value);
  return { text: await registry.metrics(), contentType: registry.contentType };
}

function sameKeys(labels: Readonly<Record<string, string>>, names: readonly string[]): boolean {
  const keys = Object.keys(labels);
  return keys.length === names.length && names.every((n) => n in labels);
}

function labelsOf(name: string): string[] {
  return name === METRICS.items.name ? ["task", "outcome"] : ["task"];
}
