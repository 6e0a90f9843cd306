// The shape of one row of the variable table (variables.ts).
export interface VariableSpec {
  readonly name: string;
  /** Default as the user would write it; undefined = no default. */
  readonly default?: string;
  readonly secret?: boolean;
  readonly description: string;
}
