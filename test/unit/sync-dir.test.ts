// syncDir: a directory fsync that fails (EIO and the like) is an error; only "not supported on this file system"
// answers are ignored, as there is then nothing more durable to wait for.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { syncDir } from "../../src/lib/fs.js";

/** An opener whose handle's sync fails with `code`; records whether the handle was closed. */
function failingSync(code: string): { open: Parameters<typeof syncDir>[1]; closed: () => boolean } {
  let closed = false;
  const open = () =>
    Promise.resolve({
      sync: () => Promise.reject(Object.assign(new Error(`${code}: fsync failed`), { code })),
      close: () => {
        closed = true;
        return Promise.resolve();
      },
    });
  return { open, closed: () => closed };
}

describe("syncDir", () => {
  it("syncs a real directory", async () => {
    const dir = await mkdtemp(join(tmpdir(), "sync-dir-"));
    try {
      await expect(syncDir(dir)).resolves.toBeUndefined();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it.each(["EIO", "ENOSPC", "EROFS", "EDQUOT"])(
    "throws a failed fsync (%s) with its code, and closes the directory",
    async (code) => {
      const fake = failingSync(code);
      await expect(syncDir("/state", fake.open)).rejects.toMatchObject({ code });
      expect(fake.closed()).toBe(true);
    },
  );

  it("throws when the directory cannot be opened (ENOENT)", async () => {
    await expect(syncDir(join(tmpdir(), "no-such-dir-for-sync-dir-test"))).rejects.toMatchObject({ code: "ENOENT" });
  });

  it.each(["EINVAL", "ENOTSUP", "EOPNOTSUPP", "ENOSYS"])(
    "ignores %s: directory fsync not supported by the file system",
    async (code) => {
      await expect(syncDir("/state", failingSync(code).open)).resolves.toBeUndefined();
    },
  );
});
