// The streaming reader of full-storage snapshots: names, config.json, entry order, early stops, broken archives.
import { PassThrough, Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import tar from "tar-stream";
import {
  ArchiveError,
  collectionOfInnerSnapshot,
  isFullSnapshotName,
  parseFullSnapshotConfig,
  readFullArchive,
  type FullSnapshotConfig,
} from "../../src/backup/full-archive.js";

async function packTar(entries: readonly { name: string; body: Buffer; type?: "directory" }[]): Promise<Buffer> {
  const pack = tar.pack();
  const parts: Buffer[] = [];
  const collected = (async () => {
    for await (const chunk of pack) parts.push(chunk);
  })();
  for (const e of entries) {
    const header =
      e.type === "directory" ? { name: e.name, type: "directory" as const } : { name: e.name, size: e.body.length };
    await new Promise<void>((resolve, reject) =>
      pack.entry(header, e.type === "directory" ? undefined : e.body, (err) => (err ? reject(err) : resolve())),
    );
  }
  pack.finalize();
  await collected;
  return Buffer.concat(parts);
}

const CONFIG = Buffer.from(
  JSON.stringify({ collections_mapping: { a: "a-1-2026-01-01-00-00-00.snapshot" }, collections_aliases: { x: "a" } }),
);
const big = (n: number, fill: number) => Buffer.alloc(n, fill);
/** `bytes` as a stream of 16 KiB chunks, as a download delivers them. */
const chunked = (bytes: Buffer) =>
  Readable.from(
    Array.from({ length: Math.ceil(bytes.length / 16384) }, (_, i) => bytes.subarray(i * 16384, (i + 1) * 16384)),
  );

describe("full snapshot names", () => {
  it("recognises Qdrant's full snapshot names only", () => {
    expect(isFullSnapshotName("full-snapshot-2026-04-01-02-00-00.snapshot")).toBe(true);
    expect(isFullSnapshotName("c-1-2026-04-01-02-00-00.snapshot")).toBe(false);
    expect(isFullSnapshotName("full-snapshot-2026-04-01-02-00-00.snapshot.checksum")).toBe(false);
    expect(isFullSnapshotName("x/full-snapshot-2026-04-01-02-00-00.snapshot")).toBe(false);
  });

  it("maps inner snapshot names back to collections, dashes and digits included", () => {
    expect(collectionOfInnerSnapshot("docs-2024-7-5395573004126424-2026-08-04-10-49-10.snapshot")).toBe("docs-2024-7");
    expect(collectionOfInnerSnapshot("a-1-2026-08-04-10-49-10.snapshot")).toBe("a");
    expect(collectionOfInnerSnapshot("1-2-3-2026-08-04-10-49-10.snapshot")).toBe("1-2");
    expect(collectionOfInnerSnapshot("x-2026-08-04-10-49-10.snapshot")).toBeUndefined(); // no peer id (Qdrant < 1.0)
    expect(collectionOfInnerSnapshot("uploaded.snapshot")).toBeUndefined();
  });

  it("parses config.json strictly; aliases default to none", () => {
    expect(parseFullSnapshotConfig('{"collections_mapping":{"a":"f"}}')).toEqual({
      collections: new Map([["a", "f"]]),
      aliases: new Map(),
    });
    expect(() => parseFullSnapshotConfig('{"collections_aliases":{}}')).toThrow(/collections_mapping/);
    expect(() => parseFullSnapshotConfig('{"collections_mapping":{"a":1}}')).toThrow(/collections_mapping\.a/);
    expect(() => parseFullSnapshotConfig("[]")).toThrow(/not a JSON object/);
  });
});

describe("readFullArchive", () => {
  it("hands over each inner snapshot while the archive is still arriving (streamed, not buffered)", async () => {
    const bytes = await packTar([
      { name: "a-1-2026-01-01-00-00-00.snapshot", body: big(300_000, 1) },
      { name: "b-1-2026-01-01-00-00-00.snapshot", body: big(300_000, 2) },
      { name: "config.json", body: CONFIG },
    ]);
    const source = new PassThrough();
    // Only the first entry and a bit of the second have arrived when the first handler runs.
    source.write(bytes.subarray(0, 512 + 300_000 + 10_000));
    const seen: string[] = [];
    let config: FullSnapshotConfig | undefined;
    const reading = readFullArchive(source, "test", {
      onConfig: (c) => void (config = c),
      onSnapshot: async (inner) => {
        seen.push(`${inner.name}:${inner.size}`);
        let n = 0;
        for await (const chunk of inner.body) n += (chunk as Buffer).length;
        expect(n).toBe(inner.size);
        if (seen.length === 1) {
          expect(source.writableEnded).toBe(false);
          source.end(bytes.subarray(512 + 300_000 + 10_000));
        }
      },
    });
    await reading;
    expect(seen).toEqual(["a-1-2026-01-01-00-00-00.snapshot:300000", "b-1-2026-01-01-00-00-00.snapshot:300000"]);
    expect(config?.aliases).toEqual(new Map([["x", "a"]]));
  });

  it("a handler may read part of a body or none: the next entry still arrives intact", async () => {
    const bytes = await packTar([
      { name: "d/", body: Buffer.alloc(0), type: "directory" },
      { name: "a-1-2026-01-01-00-00-00.snapshot", body: big(200_000, 1) },
      { name: "b-1-2026-01-01-00-00-00.snapshot", body: big(200_000, 2) },
      { name: "notes.txt", body: Buffer.from("hi") },
      { name: "config.json", body: CONFIG },
    ]);
    const others: string[] = [];
    let last: Buffer | undefined;
    await readFullArchive(chunked(bytes), "test", {
      onConfig: () => undefined,
      onSnapshot: async (inner) => {
        if (inner.name.startsWith("a-")) {
          for await (const chunk of inner.body) {
            expect((chunk as Buffer)[0]).toBe(1);
            break; // stops early: destroys only the body
          }
          return;
        }
        const parts: Buffer[] = [];
        for await (const chunk of inner.body) parts.push(chunk as Buffer);
        last = Buffer.concat(parts);
      },
      onOther: (name, type) => others.push(`${type}:${name}`),
    });
    expect(last?.equals(big(200_000, 2))).toBe(true);
    expect(others).toEqual(["file:notes.txt"]);
  });

  it("a truncated archive fails the body in flight and the read with an ArchiveError", async () => {
    const bytes = await packTar([
      { name: "a-1-2026-01-01-00-00-00.snapshot", body: big(100_000, 1) },
      { name: "config.json", body: CONFIG },
    ]);
    let bodyError: unknown;
    let failure: unknown;
    const read = readFullArchive(Readable.from([bytes.subarray(0, 50_000)]), "cut.snapshot", {
      onConfig: () => expect.unreachable("config.json is past the cut"),
      onSnapshot: async (inner) => {
        try {
          for await (const _ of inner.body);
        } catch (err) {
          bodyError = err;
          failure = inner.archiveFailure();
        }
      },
    });
    await expect(read).rejects.toBeInstanceOf(ArchiveError);
    await expect(read).rejects.toThrow(/cut\.snapshot: cannot read the archive/);
    expect(bodyError).toBeInstanceOf(ArchiveError);
    expect(failure).toBe(bodyError);
  });

  it("garbage, oversize and invalid config.json are ArchiveErrors; handler errors pass through unchanged", async () => {
    await expect(
      readFullArchive(Readable.from([Buffer.alloc(1024, 0x41)]), "x", {
        onConfig: () => undefined,
        onSnapshot: async () => undefined,
      }),
    ).rejects.toBeInstanceOf(ArchiveError);
    const badConfig = await packTar([{ name: "config.json", body: Buffer.from("{") }]);
    await expect(
      readFullArchive(Readable.from([badConfig]), "x", {
        onConfig: () => undefined,
        onSnapshot: async () => undefined,
      }),
    ).rejects.toBeInstanceOf(ArchiveError);
    const hugeConfig = await packTar([{ name: "config.json", body: Buffer.alloc(16 * 1024 * 1024 + 1, 0x20) }]);
    await expect(
      readFullArchive(Readable.from([hugeConfig]), "x", {
        onConfig: () => undefined,
        onSnapshot: async () => undefined,
      }),
    ).rejects.toThrow(/config\.json is larger than/);
    const good = await packTar([{ name: "a-1-2026-01-01-00-00-00.snapshot", body: big(10, 1) }]);
    const boom = new Error("state file full");
    await expect(
      readFullArchive(Readable.from([good]), "x", {
        onConfig: () => undefined,
        onSnapshot: async () => Promise.reject(boom),
      }),
    ).rejects.toBe(boom);
  });
});
