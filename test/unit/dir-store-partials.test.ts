// The directory destination: a put removes the temporary `.partial-` files a killed earlier put of the same key left.
import { mkdir, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { createDirStore } from "../../src/store/dir.js";
import { makeTempDir } from "../support/tmp.js";

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => cleanup?.());

describe("directory destination, leftovers of a killed put", () => {
  it("the next put of the same key removes its .partial- files; other keys' are left alone", async () => {
    const tmp = await makeTempDir("dir-partials");
    cleanup = tmp.cleanup;
    const dir = join(tmp.dir, "snapshots", "c1");
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, "c1-1.snapshot.partial-0123456789ab"), "half of it");
    await writeFile(join(dir, "c1-2.snapshot.partial-ba9876543210"), "another key");
    const store = createDirStore(tmp.dir);

    await store.put("snapshots/c1/c1-1.snapshot", Readable.from([Buffer.from("whole")]));

    expect((await readdir(dir)).sort()).toEqual(["c1-1.snapshot", "c1-2.snapshot.partial-ba9876543210"]);
    expect(await store.listKeys("snapshots/")).toEqual(["snapshots/c1/c1-1.snapshot"]);
  });
});
