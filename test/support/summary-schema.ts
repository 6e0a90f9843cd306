// The --json summary's JSON Schema (schemas/summary.schema.json), compiled once with ajv in strict mode: every e2e test
// that reads a --json summary (test/e2e/harness.ts › parseJsonSummary) validates the real output against it.
import { readFileSync } from "node:fs";
import { Ajv, type ValidateFunction } from "ajv";

export const SUMMARY_SCHEMA: Record<string, unknown> = JSON.parse(
  readFileSync(new URL("../../schemas/summary.schema.json", import.meta.url), "utf8"),
) as Record<string, unknown>;

let compiled: ValidateFunction | undefined;

/** Throws naming every place `value` breaks the schema. */
export function assertValidSummary(value: unknown): void {
  compiled ??= new Ajv({ strict: true, allErrors: true }).compile(SUMMARY_SCHEMA);
  if (!compiled(value))
    throw new Error(
      `the --json summary breaks schemas/summary.schema.json: ${JSON.stringify(compiled.errors)}\n${JSON.stringify(value)}`,
    );
}
