// The series an earlier run left in the metrics file: carried over for the tasks this run did not run, and the last
// success of a task that did not succeed now (so "no successful backup for 26 h" still has its timestamp).
import { readFile } from "node:fs/promises";
import { codeOf } from "../lib/fs.js";
import { METRIC_PREFIX } from "./names.js";

/** One sample of the previous file: metric name, labels, value. */
export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

// The tool's own lines only: `name{label="value",...} number`. Label values here are task and outcome names, which
// need no escapes; a line that does not look like that is not one the tool wrote, and is dropped.
const LINE = /^([a-z_]+)\{((?:[a-z_]+="[^"\\]*",?)*)\} (\S+)$/;
const LABEL = /([a-z_]+)="([^"\\]*)"/g;

/** The samples of the file the tool wrote last time; none when it is missing or unreadable (the run goes on). */
export async function readPrevious(file: string): Promise<{ samples: Sample[]; problem?: string }> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    if (codeOf(err) === "ENOENT") return { samples: [] };
    return { samples: [], problem: `cannot read the previous metrics file ${file}: ${String(codeOf(err) ?? err)}` };
  }
  return { samples: parseSamples(text) };
}

export function parseSamples(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split("\n")) {
    const m = LINE.exec(line);
    if (!m || !m[1]!.startsWith(METRIC_PREFIX)) continue;
    const value = Number(m[3]);
    if (!Number.isFinite(value)) continue;
    const labels: Record<string, string> = {};
    for (const l of m[2]!.matchAll(LABEL)) labels[l[1]!] = l[2]!;
    samples.push({ name: m[1]!, labels, value });
  }
  return samples;
}
