/**
 * Strict field validation for Kubernetes manifests, as `kubectl apply` does it (`--validate=strict`, the default):
 * every key must be a field of the object's schema.
 *
 * kubernetes-models' `.validate()` checks types and required fields but lets unknown keys through, and the
 * package ships no JSON schemas to walk (`_schemas/` holds compiled ajv validators only). Its TypeScript
 * declarations, however, are generated from the same Kubernetes OpenAPI schema: one interface per definition, one
 * property per field, index signatures for maps (labels, ConfigMap data). So the TypeScript compiler, given those
 * declarations, is the schema: this walks a manifest and the interface of its kind side by side.
 */
import path from "node:path";
import ts from "typescript";

/** Kind key (`apiVersion/kind`) → [module, exported interface] in kubernetes-models. */
export const KIND_TYPES = {
  "v1/ServiceAccount": ["kubernetes-models/v1/ServiceAccount", "IServiceAccount"],
  "v1/ConfigMap": ["kubernetes-models/v1/ConfigMap", "IConfigMap"],
  "v1/Secret": ["kubernetes-models/v1/Secret", "ISecret"],
  "batch/v1/CronJob": ["kubernetes-models/batch/v1/CronJob", "ICronJob"],
  "batch/v1/Job": ["kubernetes-models/batch/v1/Job", "IJob"],
  "monitoring.coreos.com/v1/PrometheusRule": [
    "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule",
    "IPrometheusRule",
  ],
} as const;

export type KindKey = keyof typeof KIND_TYPES;

export interface FieldChecker {
  /** Every path in `manifest` that its kind's schema has no field for (empty = valid), e.g. `spec.backofLimit`. */
  unknownFields(kind: KindKey, manifest: unknown): string[];
}

/** Builds a checker over the installed kubernetes-models declarations (about a second: a TypeScript program). */
export function createFieldChecker(root: string): FieldChecker {
  const file = path.join(root, "test", "unit", "__k8s-kinds__.ts");
  const text =
    Object.entries(KIND_TYPES)
      .map(([, [mod, name]], i) => `import type { ${name} as T${i} } from "${mod}";`)
      .join("\n") +
    `\nexport interface Kinds {\n${Object.keys(KIND_TYPES)
      .map((k, i) => `  ${JSON.stringify(k)}: T${i};`)
      .join("\n")}\n}\n`;
  const options: ts.CompilerOptions = {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    strict: true,
    skipLibCheck: true,
    noEmit: true,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  host.getSourceFile = (name, lang, ...rest) =>
    name === file ? ts.createSourceFile(name, text, lang) : getSourceFile(name, lang, ...rest);
  host.fileExists = (name) => name === file || fileExists(name);
  const program = ts.createProgram([file], options, host);
  const problems = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
  if (problems.length > 0) throw new Error(`cannot load the kubernetes-models declarations:\n${problems.join("\n")}`);
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(file);
  const moduleSymbol = source && checker.getSymbolAtLocation(source);
  const kindsSymbol = moduleSymbol && checker.getExportsOfModule(moduleSymbol).find((s) => s.name === "Kinds");
  if (kindsSymbol === undefined) throw new Error("cannot find the Kinds interface");
  const kinds = checker.getDeclaredTypeOfSymbol(kindsSymbol);

  const objectMembers = (type: ts.Type): ts.Type[] =>
    (type.isUnion() ? type.types : [type]).filter(
      (t) => (t.flags & ts.TypeFlags.Object) !== 0 && !checker.isArrayType(t),
    );
  const arrayMember = (type: ts.Type): ts.Type | undefined =>
    (type.isUnion() ? type.types : [type]).find((t) => checker.isArrayType(t));

  const walk = (value: unknown, declared: ts.Type, at: string, out: string[]): void => {
    if (value === null || value === undefined) return;
    const type = checker.getNonNullableType(declared);
    if (Array.isArray(value)) {
      const array = arrayMember(type);
      if (array === undefined) {
        out.push(`${at}: a list where the schema has ${checker.typeToString(type)}`);
        return;
      }
      const element = checker.getTypeArguments(array as ts.TypeReference)[0];
      if (element !== undefined) value.forEach((v, i) => walk(v, element, `${at}[${i}]`, out));
      return;
    }
    if (typeof value !== "object") return; // scalars: .validate() checks their types
    const [object] = objectMembers(type);
    if (object === undefined) {
      out.push(`${at}: an object where the schema has ${checker.typeToString(type)}`);
      return;
    }
    const index = checker.getIndexTypeOfType(object, ts.IndexKind.String);
    for (const [key, v] of Object.entries(value)) {
      const where = at === "" ? key : `${at}.${key}`;
      const prop = checker.getPropertyOfType(object, key);
      if (prop !== undefined) walk(v, checker.getTypeOfSymbol(prop), where, out);
      else if (index !== undefined) walk(v, index, where, out);
      else out.push(`${where}: unknown field`);
    }
  };

  return {
    unknownFields(kind, manifest) {
      const prop = kinds.getProperty(kind);
      if (prop === undefined) throw new Error(`no declaration for ${kind}`);
      const out: string[] = [];
      walk(manifest, checker.getTypeOfSymbol(prop), "", out);
      return out;
    },
  };
}
