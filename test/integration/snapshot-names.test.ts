// Names from Qdrant's own snapshot listing: with S3 snapshot storage they are percent-encoded object-key segments,
// with local storage the file names as created. The tool works with the raw name in both cases (the one a create
// answers, the one Qdrant's download, recover and delete accept).
import { describe, expect, it } from "vitest";
import { run as getSnap } from "../../src/commands/get_snap.js";
import { EXIT } from "../../src/errors.js";
import { rawSnapshotName } from "../../src/qdrant/snapshot-names.js";
import { qdrantCall, seedCollection } from "../support/emulator/seed.js";
import { csv, startRig } from "./helpers/rig.js";

const COLLECTION = "ünï docs #1 [a%b]";

describe("snapshot names from Qdrant's listing, S3 snapshot storage", () => {
  it("are decoded from the object-key segment: get_snap records the name the create answered, and it downloads", async () => {
    const rig = await startRig("snapshot-names-s3", { nodes: 1, peerIds: [5] });
    const url = rig.urls[0]!;
    await seedCollection(url, COLLECTION, { points: 3, dim: 2 });
    const created = await qdrantCall(url, "POST", `/collections/${encodeURIComponent(COLLECTION)}/snapshots?wait=true`);
    const name = (created as { name: string }).name;
    const listed = await qdrantCall(url, "GET", `/collections/${encodeURIComponent(COLLECTION)}/snapshots`);
    // As the reference says: the listing holds the encoded segment, not the created name.
    expect((listed as { name: string }[]).map((s) => s.name)).not.toContain(name);
    await rig.write("collections", csv([url, "ünï docs #1 [a%b]"]));

    const d = rig.deps({ QDRANT_SOURCE_HOSTS: url });
    expect(await getSnap({}, d)).toMatchObject({ done: 1, failed: 0, exitCode: EXIT.ok });

    expect(await d.state.read("snapshots")).toEqual([{ host: url, collection: COLLECTION, snapshot: name }]);
    const [first] = await d.qdrant.listSnapshots(url, COLLECTION);
    expect(first?.name).toBe(name);
    const res = await fetch(
      `${url}/collections/${encodeURIComponent(COLLECTION)}/snapshots/${encodeURIComponent(name)}`,
    );
    expect(res.status).toBe(200);
    await res.body?.cancel();
  });
});

describe("rawSnapshotName", () => {
  it("keeps a name that starts with the collection's, decodes one whose decoded form does, and leaves others alone", () => {
    expect(rawSnapshotName("docs", "docs-1-2026-01-01-00-00-00.snapshot")).toBe("docs-1-2026-01-01-00-00-00.snapshot");
    expect(rawSnapshotName("a ü", "a %C3%BC-1-2026-01-01-00-00-00.snapshot")).toBe(
      "a ü-1-2026-01-01-00-00-00.snapshot",
    );
    // A raw name with a literal % (local storage) is not decoded.
    expect(rawSnapshotName("100%25", "100%25-1-t.snapshot")).toBe("100%25-1-t.snapshot");
    expect(rawSnapshotName("a%b", "a%25b-1-t.snapshot")).toBe("a%b-1-t.snapshot");
    expect(rawSnapshotName("x", "other%ZZ.snapshot")).toBe("other%ZZ.snapshot");
  });
});
