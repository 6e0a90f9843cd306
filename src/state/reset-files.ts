// StateStore's reset (files.ts): the state files deleted, or each renamed to `<name>-<time>.bkp`, then the directory
// synced. A dry run's reset only says what it would do (dry-run-overlay.ts).
import { StateFileError } from "../errors.js";
import { backUp, messageOf, remove, syncDir } from "../lib/fs.js";

/** What StateStore's reset did, as absolute-or-relative paths as built from the store's directory. */
export interface ResetResult {
  /** Files deleted (without `bkp`). */
  removed: string[];
  /** Backup paths the files were renamed to (with `bkp`). */
  backedUp: string[];
}

/**
 * Deletes each of `files` in `dir`, or with `bkp` renames it to `<name>-<stamp>.bkp` (`-1`, `-2`… before `.bkp`
 * when taken); missing files are ignored. `each(i, fn)` runs the i-th file's change when the store allows it.
 * @throws StateFileError naming `dir` when it cannot be synced after a change
 */
export async function resetFiles(
  dir: string,
  files: readonly string[],
  bkp: boolean,
  stamp: string,
  each: <T>(index: number, fn: () => Promise<T>) => Promise<T>,
): Promise<ResetResult> {
  const outcomes = await Promise.all(
    files.map((file, i) => each(i, () => (bkp ? backUp(file, stamp, ".bkp") : remove(file)))),
  );
  if (outcomes.some((outcome) => outcome !== undefined)) {
    await syncDir(dir).catch((err: unknown) => {
      throw new StateFileError(dir, undefined, `cannot sync the directory: ${messageOf(err)}`);
    });
  }
  const done = outcomes.filter((outcome): outcome is string => outcome !== undefined);
  return bkp ? { removed: [], backedUp: done } : { removed: done, backedUp: [] };
}
