/**
 * The emulator's own segment format inside Qdrant's archive layout: a nested tar per segment with `segment.json`,
 * `version.info`, a JSON-lines points file and the segment's payload indexes (`payload_index/config.json`).
 */
import { randomFillSync } from "node:crypto";
import { isSingleVector } from "./collection-config.js";
import type { Shared } from "./context.js";
import { serviceError } from "./envelope.js";
import { stringifyExact } from "./exact-json.js";
import { parseJson, Reader, type Json, type JsonObject } from "./json.js";
import type { Collection, Replica, StoredPoint } from "./state.js";
import { readTar, tarToBuffer, type TarEntry } from "./tar.js";
import { decodePoint } from "./archive-points.js";

export const POINTS_FILE = "emulator_points.jsonl";

export const SEGMENT_INDEX_FILE = "payload_index/config.json";

/** The payload indexes a replica's segments hold: the collection's, plus any a recovered snapshot brought along. */
export function segmentIndexesOf(c: Collection, replica: Replica | undefined): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of replica?.segmentIndexes ?? []) out[k] = v;
  for (const [k, v] of c.payloadIndex) out[k] = v;
  return out;
}

const json = (v: unknown): Buffer => Buffer.from(stringifyExact(v));

function segmentState(c: Collection): JsonObject {
  const vectors = c.config.params.vectors;
  const named = isSingleVector(vectors) ? { "": vectors } : vectors;
  const vectorData: JsonObject = {};
  for (const [name, p] of Object.entries(named)) {
    vectorData[name] = {
      size: p.size,
      distance: p.distance,
      storage_type: "InRamChunkedMmap",
      index: { type: "plain", options: {} },
      quantization_config: null,
    };
  }
  return {
    version: 1,
    config: { vector_data: vectorData, sparse_vector_data: {}, payload_storage_type: { type: "mmap" } },
  };
}

/** `size` random bytes, filled in 1 GiB steps: randomBytes() stops at 2^31 - 1, benchmarks pad 2 GiB. */
function randomPadding(size: number): Buffer {
  const buffer = Buffer.allocUnsafe(size);
  const step = 1 << 30;
  for (let offset = 0; offset < size; offset += step) randomFillSync(buffer, offset, Math.min(step, size - offset));
  return buffer;
}

/** A nested segment tar holding the points of one replica. */
export async function segmentTar(c: Collection, replica: Replica, shared: Shared): Promise<Buffer> {
  const lines: string[] = [];
  for (const p of replica.points.values())
    lines.push(JSON.stringify({ id: p.id, vector: p.vector, payload: p.payload }));
  const entries: TarEntry[] = [
    { name: "snapshot/", dir: true },
    { name: "snapshot/files/", dir: true },
    { name: "snapshot/files/segment.json", body: json(segmentState(c)) },
    { name: "snapshot/files/version.info", body: Buffer.from(shared.version) },
    { name: `snapshot/files/${POINTS_FILE}`, body: Buffer.from(lines.join("\n")) },
    { name: "snapshot/files/payload_index/", dir: true },
    {
      name: `snapshot/files/${SEGMENT_INDEX_FILE}`,
      body: json({ indexed_fields: segmentIndexesOf(c, replica) }),
    },
  ];
  if (shared.segmentPaddingBytes > 0) {
    // Random bytes do not compress, so transfer sizes stay honest in benchmarks.
    entries.push({
      name: "snapshot/files/vector_storage/padding.bin",
      body: randomPadding(shared.segmentPaddingBytes),
    });
  }
  return tarToBuffer(entries, shared.clock());
}

export async function readSegment(name: string, tarBytes: Buffer): Promise<Map<string, Buffer>> {
  let inner: Map<string, Buffer>;
  try {
    inner = await readTar(tarBytes);
  } catch (e) {
    throw serviceError(`Failed to read segment state: ${name}: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (![...inner.keys()].some((k) => k.endsWith(`files/${POINTS_FILE}`)))
    throw serviceError(`Failed to read segment state: ${name} was not written by the emulator`);
  return inner;
}

/** Points and payload indexes out of one segment's files (keys ending in `files/…`). */
export function readSegmentFiles(files: Map<string, Buffer>, indexes: Map<string, Json>): StoredPoint[] {
  const points: StoredPoint[] = [];
  for (const [key, bytes] of files) {
    if (key.endsWith(`files/${POINTS_FILE}`)) points.push(...decodePoints(bytes));
    else if (key.endsWith(`files/${SEGMENT_INDEX_FILE}`)) {
      const fields = Reader.of(parseJson(bytes.toString("utf8"), "file"), "payload_index", "file").optObject(
        "indexed_fields",
      );
      for (const [k, v] of Object.entries(fields ?? {})) indexes.set(k, v);
    }
  }
  return points;
}

export function decodePoints(bytes: Buffer): StoredPoint[] {
  return bytes
    .toString("utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => decodePoint(parseJson(l, "file")));
}
