/**
 * The probes of a restored collection: QDRANT_VERIFY_SAMPLE_POINTS random points (`points/query` with
 * `sample: random`, in batches of at most 100) read with payload and vectors — a payload store broken for a region
 * of points fails here though the collection is green — then, per dense named vector, one query with a probed
 * point's own vector, which must return that point first (for Dot, where another point may score higher, among
 * the results scoring at least its own score).
 */
import { QdrantError } from "../../qdrant/errors.js";
import type { ReadPoint } from "../../qdrant/point-types.js";
import { describeError } from "../task/items.js";
import type { Deps } from "../task/deps.js";
import type { Manifest } from "./manifest.js";
import { paramsOf } from "./restore-create.js";

const BATCH = 100;
/** Enough results for a Dot query to reach the probed point's own score among points scoring higher. */
const DOT_LIMIT = 100;

type ProbeDeps = Pick<Deps, "qdrant" | "log" | "config">;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/** The dense vectors of a collection: name ("" for the unnamed one) → distance; multivectors left out. */
function denseVectors(m: Manifest): Map<string, string> {
  const vectors = paramsOf(m)["vectors"];
  const out = new Map<string, string>();
  const add = (name: string, v: unknown) => {
    if (isObj(v) && typeof v["size"] === "number" && !isObj(v["multivector_config"]))
      out.set(name, String(v["distance"]));
  };
  if (isObj(vectors) && "size" in vectors) add("", vectors);
  else if (isObj(vectors)) for (const [name, v] of Object.entries(vectors)) add(name, v);
  return out;
}

function vectorOf(p: ReadPoint, name: string): number[] | undefined {
  const v = name === "" ? p.vector : isObj(p.vector) ? p.vector[name] : undefined;
  return Array.isArray(v) && v.every((x) => typeof x === "number") ? (v as number[]) : undefined;
}

const sameId = (a: ReadPoint["id"], b: ReadPoint["id"]) => String(a) === String(b);

async function attempt<T>(failures: string[], what: string, fn: () => Promise<T>): Promise<T | undefined> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof QdrantError && err.refused) throw err;
    failures.push(`${what}: ${describeError(err)}`);
    return undefined;
  }
}

export async function probePoints(deps: ProbeDeps, host: string, m: Manifest, restored: number): Promise<string[]> {
  const c = m.collection;
  const failures: string[] = [];
  const n = deps.config.restore.samplePoints;
  if (restored === 0) return failures;
  const probed: ReadPoint[] = [];
  if (n === 0)
    deps.log.warn(
      `WARNING: QDRANT_VERIFY_SAMPLE_POINTS=0: no random points of ${c} are read back (payload damage past the scroll goes unseen)`,
    );
  for (let left = n; left > 0; left -= BATCH) {
    const limit = Math.min(BATCH, left);
    const got = await attempt(failures, `random probe of ${c}`, () =>
      deps.qdrant.queryPoints(host, c, { query: { sample: "random" }, limit, withVector: true }),
    );
    if (got === undefined) break;
    if (got.length < Math.min(limit, restored)) {
      failures.push(`random probe of ${c}: ${got.length} point(s) returned, expected ${Math.min(limit, restored)}`);
      break;
    }
    probed.push(...got);
  }
  if (failures.length > 0) return failures;
  if (probed.length === 0) {
    const page = await attempt(failures, `reading a point of ${c} with vectors`, () =>
      deps.qdrant.scrollPage(host, c, { limit: 1, withVector: true }),
    );
    probed.push(...(page?.points ?? []));
  }
  for (const [name, distance] of denseVectors(m)) {
    const label = name === "" ? "the vector" : `vector ${name}`;
    const point = probed.find((p) => vectorOf(p, name) !== undefined);
    if (point === undefined) {
      failures.push(`vector query of ${c}: no probed point carries ${label}`);
      continue;
    }
    const vector = vectorOf(point, name)!;
    const dot = distance === "Dot";
    const results = await attempt(failures, `vector query of ${c} (${label})`, () =>
      deps.qdrant.queryPoints(host, c, {
        query: vector,
        ...(name !== "" ? { using: name } : {}),
        limit: dot ? DOT_LIMIT : 10,
        withVector: false,
      }),
    );
    if (results === undefined) continue;
    const own = vector.reduce((s, x) => s + x * x, 0);
    const ok = dot
      ? results.some((r) => sameId(r.id, point.id) && (r.score ?? own) >= own * (1 - 1e-6) - 1e-9)
      : // First, or tied with the first (a duplicate vector scores the same).
        results.some((r) => sameId(r.id, point.id) && Math.abs((r.score ?? 0) - (results[0]?.score ?? 0)) <= 1e-6);
    if (!ok)
      failures.push(
        `vector query of ${c} (${label}) with point ${String(point.id)}'s own vector did not return it ${dot ? "among the results scoring at least its own score" : "first"}`,
      );
  }
  return failures;
}
