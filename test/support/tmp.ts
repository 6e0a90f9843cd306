import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

/** A fresh temporary directory; remove it with the returned cleanup. */
export async function makeTempDir(label: string): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `qbr-${label}-`));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}
