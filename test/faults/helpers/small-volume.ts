/**
 * A small volume that fills up, for the full-disk tests. Two ways, the same failure for the tool (a write() that
 * writes part of its bytes, then fails):
 * - as root: a tmpfs of the given size mounted on a fresh directory (`mount -t tmpfs -o size=N`); writes beyond it
 *   fail with ENOSPC. Freeing space = deleting the filler file.
 * - not root (or FULL_DISK_MODE=fsize): no mount is possible, so the CLI is started under `ulimit -f` (RLIMIT_FSIZE,
 *   no privilege needed): a write that would make any file larger than the limit writes up to it, then fails with
 *   EFBIG. Freeing space = running without the limit.
 * A mount that fails as root is a failure, not a fallback: the test says why.
 */
import { execFile, spawn } from "node:child_process";
import { open, rm } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { CLI_PATH, type CliResult } from "../../support/cli.js";
import { makeTempDir } from "../../support/tmp.js";

const run = promisify(execFile);
const PAGE_BYTES = 4096;

export type VolumeMode = "tmpfs" | "fsize";

export function volumeMode(): VolumeMode {
  const forced = process.env["FULL_DISK_MODE"];
  if (forced === "tmpfs" || forced === "fsize") return forced;
  return process.getuid?.() === 0 ? "tmpfs" : "fsize";
}

export interface SmallVolume {
  mode: VolumeMode;
  /** Where the tool writes (the mount point with tmpfs, a plain directory with fsize). */
  dir: string;
  /** The error code a full write gives: ENOSPC (tmpfs) or EFBIG (fsize). */
  code: "ENOSPC" | "EFBIG";
  /**
   * Fills the volume up but `freeBytes` rounded up to whole 4 KiB pages (tmpfs), or sets the per-file limit to
   * `freeBytes` rounded down to 512-byte blocks (fsize).
   */
  fill(freeBytes: number): Promise<void>;
  /** Frees the space again. */
  free(): Promise<void>;
  /** Runs the CLI in `cwd` with `env` (plus PATH) on this volume: full as filled, or with space once freed. */
  runCli(args: readonly string[], opts: { env: Record<string, string>; cwd: string }): Promise<CliResult>;
  cleanup(): Promise<void>;
}

export async function mountSmallVolume(label: string, sizeBytes: number): Promise<SmallVolume> {
  const mode = volumeMode();
  const tmp = await makeTempDir(label);
  const dir = tmp.dir;
  if (mode === "tmpfs") {
    try {
      await run("mount", ["-t", "tmpfs", "-o", `size=${sizeBytes}`, "tmpfs", dir]);
    } catch (err) {
      await tmp.cleanup();
      throw new Error(
        `cannot mount a ${sizeBytes}-byte tmpfs on ${dir} as root (${String(err)}); run with FULL_DISK_MODE=fsize to use the file-size limit instead`,
      );
    }
  }
  const filler = path.join(dir, ".filler");
  let limit: number | undefined;
  return {
    mode,
    dir,
    code: mode === "tmpfs" ? "ENOSPC" : "EFBIG",
    async fill(freeBytes) {
      if (mode === "fsize") {
        limit = freeBytes;
        return;
      }
      // Write until the volume refuses, then give back exactly freeBytes.
      const handle = await open(filler, "w");
      const chunk = Buffer.alloc(4096, 0x2e);
      let size = 0;
      try {
        for (;;) size += (await handle.write(chunk)).bytesWritten;
      } catch {
        // full
      }
      // tmpfs hands out whole pages: give back whole pages, at least freeBytes.
      await handle.truncate(Math.max(0, size - Math.ceil(freeBytes / PAGE_BYTES) * PAGE_BYTES));
      await handle.close();
    },
    async free() {
      limit = undefined;
      await rm(filler, { force: true });
    },
    runCli(args, opts) {
      const env = {
        PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env["PATH"] ?? ""}`,
        ...opts.env,
      };
      const blocks = limit === undefined ? "unlimited" : String(Math.max(1, Math.floor(limit / 512)));
      const child = spawn("sh", ["-c", 'ulimit -f "$0" && exec "$@"', blocks, CLI_PATH, ...args], {
        cwd: opts.cwd,
        env,
        stdio: ["ignore", "pipe", "pipe"],
      });
      let stdout = "";
      let stderr = "";
      child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
      child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
      return new Promise<CliResult>((resolve, reject) => {
        child.on("error", reject);
        child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
      });
    },
    async cleanup() {
      if (mode === "tmpfs") await run("umount", [dir]).catch(() => run("umount", ["-l", dir]));
      await tmp.cleanup();
    },
  };
}
