/**
 * The directory destination (QDRANT_BACKUP_DIR): the bucket's key layout as paths under one directory, so a cron
 * user can keep snapshots on a disk or a mounted volume and move them offsite with rsync or NFS.
 */
import { randomBytes } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, open, readdir, rename, stat, unlink } from "node:fs/promises";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { ToolError, UpstreamError } from "../errors.js";
import { cureFor, describeSystemError, syncDir } from "../lib/fs.js";
import type { SnapshotStore, StoredObject } from "./types.js";

const TEMP_MARK = ".partial-"; // in-progress puts: `<name>.partial-<random>`, never listed
/** The name of such a temporary file (12 hex digits, as put writes them). */
const TEMP_NAME = /\.partial-[0-9a-f]{12}$/;

/** A SnapshotStore over `root` (absolute). Keys are `/`-separated; `.`/`..`/empty segments are refused. */
export function createDirStore(root: string): SnapshotStore {
  const fileOf = (key: string): string => {
    const segments = key.split("/");
    if (segments.some((s) => s === "" || s === "." || s === ".."))
      throw new DirStoreError(root, `refusing key outside the layout: ${JSON.stringify(key)}`);
    return path.join(root, ...segments);
  };
  const fail = (what: string, file: string, err: unknown): never => {
    if (err instanceof ToolError) throw err;
    throw new DirStoreError(root, `${what} ${file}: ${describeSystemError(err)}${cureFor(err, root)}`);
  };

  /**
   * Calls `onFile` for every file under the directory of `dirKey` (`""` or ending in `/`), recursively, into the
   * folders `enter` accepts; each file is named by its key (`/`-separated). A missing directory has no files.
   */
  const visitFiles = async (
    dirKey: string,
    enter: (key: string) => boolean,
    onFile: (key: string, file: string) => Promise<void>,
  ): Promise<void> => {
    const dir = dirKey === "" ? root : fileOf(dirKey.slice(0, -1));
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return;
      return fail("cannot list", dir, err);
    }
    for (const entry of entries) {
      const key = `${dirKey}${entry.name}`;
      if (!enter(key)) continue;
      if (entry.isDirectory()) await visitFiles(`${key}/`, enter, onFile);
      else if (entry.isFile()) await onFile(key, path.join(dir, entry.name));
    }
  };

  const walk = async (prefix: string): Promise<StoredObject[]> => {
    // The prefix may end mid-name (`snapshots/col`): list its directory and filter by the full key.
    const base = prefix.slice(0, prefix.lastIndexOf("/") + 1);
    const out: StoredObject[] = [];
    const underPrefix = (key: string) => key.startsWith(prefix) || prefix.startsWith(`${key}/`);
    await visitFiles(base, underPrefix, async (key, file) => {
      if (path.basename(file).includes(TEMP_MARK)) return;
      const info = await stat(file);
      out.push({ key, size: info.size, lastModified: info.mtime });
    });
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  };

  /** Every leftover temporary file (its key) under the directory whose last write is before `before`. */
  const stalePartials = async (before: Date): Promise<string[]> => {
    const out: string[] = [];
    await visitFiles(
      "",
      () => true,
      async (key, file) => {
        if (TEMP_NAME.test(key) && (await stat(file)).mtime < before) out.push(key);
      },
    );
    return out.sort();
  };

  return {
    kind: "dir",
    location: root,
    listKeys: async (prefix) => (await walk(prefix)).map((o) => o.key),
    listObjects: walk,
    listPrefixes: async (prefix) => {
      const dir = prefix === "" ? root : fileOf(prefix.replace(/\/$/, ""));
      try {
        const entries = await readdir(dir, { withFileTypes: true });
        return entries
          .filter((e) => e.isDirectory())
          .map((e) => `${prefix}${e.name}/`)
          .sort();
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
        return fail("cannot list", dir, err);
      }
    },
    put: async (key, body) => {
      const file = fileOf(key);
      const temp = `${file}${TEMP_MARK}${randomBytes(6).toString("hex")}`;
      try {
        await mkdir(path.dirname(file), { recursive: true });
        // Temporary files of earlier puts of this key, left by a killed run: this put replaces them. (One run per state
        // holds the lock, and snapshot names are unique per second, so no live put of the same key is writing them.)
        const mark = `${path.basename(file)}${TEMP_MARK}`;
        for (const name of await readdir(path.dirname(file))) {
          if (name.startsWith(mark) && /^[0-9a-f]{12}$/.test(name.slice(mark.length)))
            await unlink(path.join(path.dirname(file), name)).catch(() => undefined);
        }
        const out = createWriteStream(temp, { flags: "wx", mode: 0o640 });
        await pipeline(body, out);
        const handle = await open(temp, "r+");
        try {
          await handle.datasync();
        } finally {
          await handle.close();
        }
        const { size } = await stat(temp);
        await rename(temp, file);
        await syncDir(path.dirname(file));
        return size;
      } catch (err) {
        await unlink(temp).catch(() => undefined);
        return fail("cannot write", file, err);
      }
    },
    get: async (key, opts) => {
      const file = fileOf(key);
      try {
        const { size } = await stat(file);
        return { body: createReadStream(file, { start: opts?.start ?? 0 }), size };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
        return fail("cannot read", file, err);
      }
    },
    head: async (key) => {
      const file = fileOf(key);
      try {
        const info = await stat(file);
        if (!info.isFile()) return undefined;
        const etag = `${Math.trunc(info.mtimeMs).toString(16)}-${info.size.toString(16)}`;
        return { key, size: info.size, lastModified: info.mtime, etag };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
        return fail("cannot read", file, err);
      }
    },
    sweepPartials: async (before, remove) => {
      const found = await stalePartials(before);
      if (remove) {
        for (const rel of found) {
          await unlink(path.join(root, rel)).catch((err: unknown) => {
            if ((err as NodeJS.ErrnoException).code !== "ENOENT") fail("cannot delete", path.join(root, rel), err);
          });
        }
      }
      return found;
    },
    delete: async (key) => {
      const file = fileOf(key);
      try {
        await unlink(file);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "ENOENT") fail("cannot delete", file, err);
      }
    },
  };
}

/** A problem with the backup directory: exit 4 (the destination is unavailable, as an S3 failure), naming the path. */
export class DirStoreError extends UpstreamError {
  constructor(root: string, detail: string) {
    super(`backup directory ${root}: ${detail}`);
  }
}
