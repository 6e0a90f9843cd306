// Reads a Prometheus text exposition with an independent parser (parse-prometheus-text-format, not the tool's code)
// and adds the checks it leaves out: every value a number, every family typed, no series twice.
import parsePrometheusTextFormat from "parse-prometheus-text-format";

export interface Series {
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface Family {
  readonly name: string;
  readonly help: string;
  readonly type: string;
  readonly series: readonly Series[];
}

/** The families of `text`; throws naming the first problem. */
export function parseExposition(text: string): Family[] {
  if (text !== "" && !text.endsWith("\n")) throw new Error("the exposition does not end with a newline");
  const families = parsePrometheusTextFormat(text).map((f) => ({
    name: f.name,
    help: f.help,
    type: f.type,
    series: f.metrics.map((m) => {
      const value = Number(m.value);
      if (
        m.value === undefined ||
        !/^[-+]?(\d|\.\d|Inf|NaN)/.test(m.value) ||
        Number.isNaN(value) !== (m.value === "NaN")
      )
        throw new Error(`${f.name}: "${m.value}" is not a sample value`);
      if (m.timestamp_ms !== undefined) throw new Error(`${f.name}: a sample carries a timestamp`);
      return { labels: m.labels ?? {}, value };
    }),
  }));
  // The parser keeps the last of two equal series; count the sample lines to see a duplicate it swallowed.
  const lines = text.split("\n").filter((l) => l !== "" && !l.startsWith("#"));
  const parsed = families.reduce((n, f) => n + f.series.length, 0);
  if (lines.length !== parsed) throw new Error(`${lines.length - parsed} duplicate series (same name and labels)`);
  const names = families.map((f) => f.name);
  if (new Set(names).size !== names.length) throw new Error("a metric family appears twice");
  for (const f of families) if (f.type === "UNTYPED") throw new Error(`${f.name}: no # TYPE line`);
  return families;
}

/** The value of the series of `name` with exactly `labels`, or undefined. */
export function valueOf(families: readonly Family[], name: string, labels: Record<string, string>): number | undefined {
  const family = families.find((f) => f.name === name);
  const want = JSON.stringify(Object.entries(labels).sort());
  return family?.series.find((s) => JSON.stringify(Object.entries(s.labels).sort()) === want)?.value;
}
