/**
 * Local snapshot storage, laid out like Qdrant's `snapshots_path`: `{c}/{name}`,
 * `{c}/shards/{id}/{name}`, `{name}` for full snapshots, each with a `{name}.checksum` companion
 * holding the bare 64-hex SHA-256 (no newline).
 */
import { randomUUID } from "node:crypto";
import { createReadStream } from "node:fs";
import { copyFile, mkdir, readdir, readFile, rename, rm, stat, unlink, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { isPlainFileName, naiveUtc } from "./names.js";
import {
  scopeSegments,
  type SnapshotDescription,
  type SnapshotScope,
  type SnapshotStore,
  type StoredSnapshot,
} from "./storage.js";

const CHECKSUM = /^[0-9a-f]{64}$/;

function isErrno(e: unknown, code: string): boolean {
  return e instanceof Error && "code" in e && e.code === code;
}

/** Rename, falling back to copy + delete across file systems. */
export async function moveFile(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
  } catch (e) {
    if (!isErrno(e, "EXDEV")) throw e;
    await copyFile(from, to);
    await unlink(from);
  }
}

export class LocalStore implements SnapshotStore {
  readonly kind = "local";

  constructor(
    readonly root: string,
    private readonly clock: () => Date,
  ) {}

  dir(scope: SnapshotScope): string {
    return join(this.root, ...scopeSegments(scope));
  }

  async save(scope: SnapshotScope, name: string, tmpFile: string, sha256: string): Promise<SnapshotDescription> {
    const dir = this.dir(scope);
    await mkdir(dir, { recursive: true });
    const target = join(dir, name);
    // The checksum is written first (temp + rename), then the snapshot is moved into place.
    // Unique temp name: two snapshots of one collection in the same second share `name` (the later one wins).
    const tmpSum = join(dir, `.${name}.${randomUUID()}.checksum.tmp`);
    await writeFile(tmpSum, sha256);
    await rename(tmpSum, join(dir, `${name}.checksum`));
    await moveFile(tmpFile, target);
    // File times follow the emulator clock, so creation_time agrees with the name's timestamp.
    const now = this.clock();
    await utimes(target, now, now);
    return this.describe(dir, name);
  }

  private async describe(dir: string, name: string): Promise<SnapshotDescription> {
    const st = await stat(join(dir, name));
    const d: SnapshotDescription = {
      name,
      creation_time: naiveUtc(new Date(Math.floor(st.mtimeMs / 1000) * 1000)),
      size: st.size,
    };
    try {
      const sum = (await readFile(join(dir, `${name}.checksum`), "utf8")).trim();
      if (CHECKSUM.test(sum)) d.checksum = sum;
    } catch (e) {
      if (!isErrno(e, "ENOENT")) throw e;
    }
    return d;
  }

  async list(scope: SnapshotScope): Promise<SnapshotDescription[]> {
    const dir = this.dir(scope);
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (e) {
      if (isErrno(e, "ENOENT")) return [];
      throw e;
    }
    const names = entries.filter((e) => e.isFile() && e.name.endsWith(".snapshot")).map((e) => e.name);
    return Promise.all(names.sort().map((n) => this.describe(dir, n)));
  }

  async get(scope: SnapshotScope, name: string): Promise<StoredSnapshot | undefined> {
    if (!isPlainFileName(name)) return undefined;
    const path = join(this.dir(scope), name);
    try {
      const st = await stat(path);
      if (!st.isFile()) return undefined;
      return {
        size: st.size,
        lastModified: st.mtime,
        path,
        open: async (range): Promise<Readable> =>
          createReadStream(path, range ? { start: range.start, end: range.end } : {}),
      };
    } catch (e) {
      if (isErrno(e, "ENOENT")) return undefined;
      throw e;
    }
  }

  async delete(scope: SnapshotScope, name: string): Promise<boolean> {
    if (!isPlainFileName(name)) return false;
    const path = join(this.dir(scope), name);
    try {
      await unlink(path);
    } catch (e) {
      if (isErrno(e, "ENOENT") || isErrno(e, "EISDIR") || isErrno(e, "EPERM")) return false;
      throw e;
    }
    await rm(`${path}.checksum`, { force: true });
    return true;
  }
}
