/**
 * Every environment variable the tool reads, in one table, with the one copy of each default: config.ts parses an
 * unset variable's default from here. --help, README.md, .env.sample and the k8s manifests are checked against it by
 * tests, so a variable cannot be added in one place and forgotten in another.
 */
import type { VariableSpec } from "./core/variables/spec.js";
import { CONNECTION_VARIABLES } from "./core/variables/connection.js";
import { STATE_AND_RECOVERY_VARIABLES } from "./core/variables/state-and-recovery.js";
import { RETENTION_VARIABLES } from "./core/variables/retention.js";
import { BACKUP_SET_VARIABLES } from "./core/variables/backup-sets.js";
import { RUN_VARIABLES } from "./core/variables/run.js";

export type { VariableSpec } from "./core/variables/spec.js";

/** The table, group after group; each group of variables lives in core/variables/. */
export const VARIABLES = [
  ...CONNECTION_VARIABLES,
  ...STATE_AND_RECOVERY_VARIABLES,
  ...RETENTION_VARIABLES,
  ...BACKUP_SET_VARIABLES,
  ...RUN_VARIABLES,
] as const satisfies readonly VariableSpec[];

export type VariableName = (typeof VARIABLES)[number]["name"];

export const VARIABLE_NAMES: ReadonlySet<string> = new Set(VARIABLES.map((v) => v.name));

/** The variables that have a default in VARIABLES. */
export type DefaultedVariable = Extract<(typeof VARIABLES)[number], { default: string }>["name"];

const DEFAULTS: ReadonlyMap<string, string> = new Map(
  VARIABLES.flatMap((v) => ("default" in v ? [[v.name, v.default] as const] : [])),
);

/** The default of `name`, as the user would write it (config.ts parses it like a value from the environment). */
export function defaultOf(name: DefaultedVariable): string {
  const value = DEFAULTS.get(name);
  if (value === undefined) throw new Error(`${name} has no default in VARIABLES`);
  return value;
}
