/**
 * Checks Qdrant answers against Qdrant's own OpenAPI document (src/qdrant/openapi/qdrant-openapi.json, the copy the
 * tool's wire types are generated from): the answer's path and method pick the operation, its status the response
 * (`200`, else `4XX`/`5XX`, else `default`), its content type the media type, whose schema the JSON body must match.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Ajv, type ValidateFunction } from "ajv";

const DOC_FILE = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  "../../src/qdrant/openapi/qdrant-openapi.json",
);
const DOC_ID = "qdrant-openapi";

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

/** An answer to check: what the client asked and what came back. */
export interface Answer {
  method: string;
  /** Pathname, percent-encoded as sent. */
  path: string;
  status: number;
  contentType: string;
  /** The body's bytes; undefined when streamed (then only the media type is checked). */
  body: Buffer | undefined;
}

/** How an answer compares with the document: the operation it matched (`GET /collections/{collection_name}`). */
export interface Verdict {
  operation: string;
  /** Problems found; empty when the answer conforms. */
  problems: string[];
}

/**
 * The integer formats of the document: the value must be an integer in range. A uint64 (a peer id) may exceed 2^53;
 * the body is parsed into doubles, where u64::MAX rounds to 2^64, hence that bound (exactness is checked on the raw
 * text by the tests that need it).
 */
const INTEGER_FORMATS: Record<string, [number, number]> = {
  uint: [0, Number.MAX_SAFE_INTEGER],
  uint8: [0, 255],
  uint32: [0, 2 ** 32 - 1],
  uint64: [0, 2 ** 64],
  int64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
};

/**
 * The document's schemas as strict JSON Schema: OpenAPI 3.0's `nullable: true` becomes `type: [t, "null"]` (a bare
 * `{nullable: true}`, the document's way to write "or null" in an anyOf, becomes `{type: "null"}`), and an object
 * schema that lists its properties allows no others (the document has no allOf, so nothing relies on extra keys):
 * an emulator that invents a field fails.
 */
function strictSchemas(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(strictSchemas);
  if (!isObject(node)) return node;
  const out: Json = {};
  for (const [k, v] of Object.entries(node)) if (!(k === "nullable" && v === true)) out[k] = strictSchemas(v);
  if (node["nullable"] === true) out["type"] = typeof node["type"] === "string" ? [node["type"], "null"] : "null";
  if (isObject(node["properties"]) && node["additionalProperties"] === undefined) out["additionalProperties"] = false;
  return out;
}

export class OpenApiAnswers {
  private readonly doc: Json;
  private readonly ajv: Ajv;
  private readonly templates: { template: string; pattern: RegExp; literals: number }[];
  private readonly compiled = new Map<string, ValidateFunction>();

  constructor() {
    this.doc = strictSchemas(JSON.parse(readFileSync(DOC_FILE, "utf8"))) as Json;
    // Qdrant serialises ReshardingInfo's `uuid` though its schema leaves it out (`#[schemars(skip)]`, no `serde(skip)`).
    const resharding = ((this.doc["components"] as Json)["schemas"] as Json)["ReshardingInfo"];
    if (isObject(resharding) && isObject(resharding["properties"]))
      resharding["properties"]["uuid"] = { type: "string", format: "uuid" };
    // OpenAPI 3.0 schemas are JSON Schema plus `nullable` (rewritten by strictSchemas) and `example` (ignored: strict off).
    this.ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false });
    for (const [name, [min, max]] of Object.entries(INTEGER_FORMATS)) {
      this.ajv.addFormat(name, {
        type: "number",
        validate: (n: number) => Number.isInteger(n) && n >= min && n <= max,
      });
    }
    this.ajv.addFormat("float", { type: "number", validate: Number.isFinite });
    this.ajv.addFormat("double", { type: "number", validate: Number.isFinite });
    this.ajv.addFormat("uuid", /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i);
    // Qdrant's snapshot times carry no zone ("2024-05-01T10:00:00"), hence its own "partial-date-time".
    this.ajv.addFormat("partial-date-time", /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?$/);
    this.ajv.addFormat("date-time", /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?$/i);
    for (const unchecked of ["uri", "binary"]) this.ajv.addFormat(unchecked, true);
    this.ajv.addSchema(this.doc, DOC_ID);
    const paths = this.doc["paths"];
    if (!isObject(paths)) throw new Error(`${DOC_FILE} has no paths`);
    this.templates = Object.keys(paths).map((template) => {
      const parts = template
        .split("/")
        .map((p) => (p.startsWith("{") ? "[^/]+" : p.replace(/[.*+?^$()|[\]\\]/g, "\\$&")));
      return {
        template,
        pattern: new RegExp(`^${parts.join("/")}$`),
        literals: template.split("/").filter((p) => p && !p.startsWith("{")).length,
      };
    });
  }

  /** The document's path template for `pathname` with `method`, the most literal one when several match. */
  operationOf(method: string, pathname: string): string | undefined {
    const m = method.toLowerCase();
    const paths = this.doc["paths"] as Json;
    const found = this.templates
      .filter((t) => t.pattern.test(pathname) && isObject(paths[t.template]) && m in (paths[t.template] as Json))
      .sort((a, b) => b.literals - a.literals)[0];
    return found?.template;
  }

  /** Checks one answer; an operation the document lacks is itself a problem. */
  check(a: Answer): Verdict {
    const template = this.operationOf(a.method, a.path);
    if (template === undefined)
      return { operation: `${a.method} ${a.path}`, problems: ["no such operation in the OpenAPI document"] };
    const operation = `${a.method} ${template}`;
    const responses = (((this.doc["paths"] as Json)[template] as Json)[a.method.toLowerCase()] as Json)[
      "responses"
    ] as Json;
    // A 206 (a Range request) is part of the 200 representation; the document lists only 200.
    const status = a.status === 206 ? 200 : a.status;
    const statusKey = [String(status), `${String(status)[0]}XX`, "default"].find((k) => k in responses);
    if (statusKey === undefined)
      return {
        operation,
        problems: [`status ${a.status} is not among the responses (${Object.keys(responses).join(", ")})`],
      };
    const content = (responses[statusKey] as Json)["content"];
    const media = a.contentType.split(";")[0]!.trim().toLowerCase();
    if (!isObject(content) || !(media in content)) {
      return {
        operation,
        problems: [
          `content type "${media || "none"}" for ${a.status} is not among ${isObject(content) ? Object.keys(content).join(", ") || "none" : "none"}`,
        ],
      };
    }
    if (a.body === undefined || media !== "application/json") return { operation, problems: [] };
    let value: unknown;
    try {
      value = JSON.parse(a.body.toString("utf8"));
    } catch {
      return { operation, problems: ["the body is not JSON"] };
    }
    const validate = this.validator(template, a.method.toLowerCase(), statusKey);
    if (validate(value)) return { operation, problems: [] };
    return {
      operation,
      problems: (validate.errors ?? []).map((e) =>
        `${e.instancePath || "/"} ${e.message ?? "is invalid"} ${e.params ? JSON.stringify(e.params) : ""}`.trim(),
      ),
    };
  }

  /**
   * Problems of `value` against one of the document's component schemas (`ScoredPoint`): for the answers of an
   * operation Qdrant still serves but dropped from the document (`POST /collections/{c}/points/search` in 1.19).
   */
  checkComponent(name: string, value: unknown): string[] {
    const ref = `${DOC_ID}#/components/schemas/${encodeURIComponent(name)}`;
    let fn = this.compiled.get(ref);
    if (!fn) {
      fn = this.ajv.compile({ $ref: ref });
      this.compiled.set(ref, fn);
    }
    if (fn(value)) return [];
    return (fn.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message ?? "is invalid"}`.trim());
  }

  private validator(template: string, method: string, statusKey: string): ValidateFunction {
    const pointer = ["paths", template, method, "responses", statusKey, "content", "application/json", "schema"]
      .map((t) => encodeURIComponent(t.replace(/~/g, "~0").replace(/\//g, "~1")))
      .join("/");
    const ref = `${DOC_ID}#/${pointer}`;
    let fn = this.compiled.get(ref);
    if (!fn) {
      fn = this.ajv.compile({ $ref: ref });
      this.compiled.set(ref, fn);
    }
    return fn;
  }
}
